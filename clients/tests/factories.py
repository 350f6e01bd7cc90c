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


# --- Samples and probes for the generated access matrix (core/tests/test_access_matrix.py) ------

def _register_matrix():
    from clients.models import SuppliedItem
    from core import access
    from core.tests import samples

    @samples.sample(Counterparty)
    def counterparty_sample(world):
        return CounterpartyFactory(main_manager=world.owner, name=world.text("client"))

    @samples.sample(ContactPerson)
    def person_sample(world):
        return ContactPersonFactory(counterparty=world.get(Counterparty), last_name=world.text("person"))

    @samples.sample(ContactInfo)
    def info_sample(world):
        return ContactInfoFactory(counterparty=world.get(Counterparty), kind=ContactKind.OTHER,
                                  value=world.text("info"))

    @samples.sample(SuppliedItem)
    def supplied_item_sample(world):
        return SuppliedItem.objects.create(counterparty=world.get(Counterparty), name=world.text("item"),
                                           price=10)

    samples.probe("clients:duplicates", method="post", kind="list", positive=False,
                  data=lambda world, _row: {"name": world.get(Counterparty).name})
    samples.probe("clients:batch", kind="list", positive=False, action=access.CHANGE,
                  data=lambda world, _row: {"pk": world.get(Counterparty).pk})
    # Both managers' clients match: each must get their own only.
    samples.probe("clients:lookup", kind="list", data=lambda world, _row: {"q": "client"})

    # Duplicates and merge: a fresh twin of the owner's client (and their pair) per request, as a
    # merge or a "not duplicates" mark uses it up.
    def twin(world):
        return CounterpartyFactory(main_manager=world.owner, name=world.text("client twin"))

    def pair(world):
        from clients.models import DuplicatePair

        a, b = sorted([world.get(Counterparty).pk, twin(world).pk])
        return DuplicatePair.objects.create(first_id=a, second_id=b, reasons=["name"], score=95)

    samples.probe("clients:duplicate_list", kind="list", positive=False,
                  data=lambda world, _row: pair(world) and {})
    samples.probe("clients:duplicate_scan", method="post", kind="list", positive=False, action=access.CHANGE)
    samples.probe("clients:duplicate_dismiss", method="post", action=access.CHANGE, target=Counterparty,
                  kwargs=lambda world: {"pk": pair(world).pk})
    samples.probe("clients:counterparty_merge", action=access.CHANGE, target=Counterparty,
                  kwargs=lambda world: {"pk": world.get(Counterparty).pk, "merged": twin(world).pk})
    # Sharing: heads and administrators only, as on the card's form (the owner's own client: 403).
    # With the owner themselves, so the matrix's other personas still see exactly what they saw.
    for route in ("api:counterparty-share", "api:counterparty-unshare"):
        samples.probe(route, method="post", action=access.CHANGE, target=Counterparty,
                      data=lambda world, row: {"user": world.owner.pk}, extra={"assigners_only": True})
    samples.probe("api:counterparty-merge", method="post", action=access.CHANGE, target=Counterparty,
                  data=lambda world, row: {"merged": twin(world).pk, "version": row.version, "merged_version": 1})


_register_matrix()
