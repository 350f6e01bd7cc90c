import factory

from core.access import Role
from core.models import CustomProperty, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.SALES_MANAGER
    password = factory.django.Password("Secret-pass-123")


class CustomPropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomProperty

    name = factory.Sequence(lambda n: f"Property {n}")
    code = factory.Sequence(lambda n: f"prop{n}")
    kind = "text"
