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


# --- Samples and probes for the generated access matrix (core/tests/test_access_matrix.py) ------

def attachment_upload(name="note.txt", content=b"some bytes"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/plain")


def _register_matrix():
    from clients.models import Counterparty
    from core import access
    from core.attachments import attach
    from core.models import Attachment
    from core.tests import samples

    @samples.sample(Attachment)
    def attachment_sample(world):
        # On the owner's client: who may see (change) the client sees (changes) its files.
        return attach(world.get(Counterparty), world.text("attachment").encode(), name=f"{world.token}.txt",
                      user=world.owner, description=world.text("file"))

    def client_kwargs(world):
        return {"label": "clients.counterparty", "pk": world.get(Counterparty).pk}

    samples.probe("attachments", target=Counterparty, kwargs=client_kwargs)
    samples.probe("attachment_add", method="post", action=access.CHANGE, target=Counterparty, kwargs=client_kwargs,
                  data=lambda world, _row: {"file": attachment_upload(), "description": "probe"})
    samples.probe("api:attachment-download", target=Attachment)


_register_matrix()
