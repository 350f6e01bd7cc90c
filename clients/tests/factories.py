import factory
from stdnum.ru import inn

from clients.models import (
    ContactInfo,
    ContactKind,
    ContactPerson,
    Counterparty,
    CounterpartyGroup,
    RelationshipType,
)


def valid_inn(n):
    """A valid 10-digit legal-entity INN derived from a sequence number."""
    body = f"77{n:07d}"[-9:]
    return body + inn.calc_company_check_digit(body)


class CounterpartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Counterparty

    name = factory.Sequence(lambda n: f"ООО Клиент {n}")
    full_name = factory.LazyAttribute(lambda o: f"Общество с ограниченной ответственностью «{o.name}»")
    tax_id = factory.Sequence(valid_inn)


class ContactPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPerson

    counterparty = factory.SubFactory(CounterpartyFactory)
    last_name = factory.Sequence(lambda n: f"Иванов{n}")
    first_name = "Иван"


class ContactInfoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactInfo

    counterparty = factory.SubFactory(CounterpartyFactory)
    kind = ContactKind.PHONE
    value = "+79035236645"


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CounterpartyGroup

    name = factory.Sequence(lambda n: f"Group {n}")


class RelationshipTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelationshipType

    name = factory.Sequence(lambda n: f"Type {n}")
