import phonenumbers
import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from stdnum.ru import inn, ogrn

from clients import demo
from clients.models import (
    PHONE_KINDS,
    ContactInfo,
    ContactPerson,
    Counterparty,
    CounterpartyGroup,
    CounterpartyShare,
    RelationshipType,
    SuppliedItem,
)
from clients.services import build_search_text
from clients.validators import okpo_is_valid
from core.access import Role
from core.models import CustomProperty
from core.tests.demo import load, load_once

pytestmark = pytest.mark.django_db

MODELS = [get_user_model(), Counterparty, ContactPerson, ContactInfo, SuppliedItem, CounterpartyShare,
          CounterpartyGroup, CustomProperty]


def counts():
    counts = {model.__name__: model._default_manager.count() for model in MODELS}
    counts["history"] = Counterparty.history.count() + ContactInfo.history.count()
    return counts


@pytest.fixture(scope="module")
def demo_company(django_db_setup, django_db_blocker):
    """The demo in demo mode (passwords = user names), loaded once for the module."""
    yield from load_once(django_db_blocker)


def test_load_twice_changes_nothing(demo_company, db, settings):
    output = demo_company
    settings.DEMO_MODE = True
    first = counts()
    assert "admin / admin" in output and "http://127.0.0.1:8000" in output
    load()
    assert counts() == first
    assert first["Counterparty"] == sum(n for _c, n in demo.DEMO_PLAN) == 300
    assert first["history"] >= first["Counterparty"] + first["ContactInfo"]  # the History tab has rows
    users = {u.username: u for u in get_user_model().objects.all()}
    roles = {name: users[name].role for name in users}
    assert roles == {
        "admin": Role.ADMIN, "head": Role.COMPANY_HEAD, "saleshead": Role.SALES_HEAD, "manager1": Role.SALES_MANAGER,
        "manager2": Role.SALES_MANAGER, "manager3": Role.SALES_MANAGER, "marketer": Role.MARKETER,
        "quality": Role.QUALITY, "service": Role.SERVICE,
    }
    assert users["admin"].is_superuser and users["admin"].check_password("admin")
    assert users["manager2"].check_password("manager2")
    # The managers are the head of sales' department: their calendars are in the picker.
    assert {users[m].head for m in demo.MANAGERS} == {users["saleshead"]}
    assert users["saleshead"].head == users["head"]
    from core.calendar import calendar_users

    assert set(demo.MANAGERS) <= set(calendar_users(users["saleshead"]).values_list("username", flat=True))


def test_counterparties_are_valid(demo_company, db):
    cps = list(Counterparty.objects.all())
    assert len({cp.tax_id for cp in cps}) == len(cps)  # unique tax ids
    for cp in cps:
        assert inn.is_valid(cp.tax_id) and ogrn.is_valid(cp.ogrn) and okpo_is_valid(cp.okpo)
        assert len(cp.tax_id) == (10 if cp.kind == "legal" else 12)
        assert cp.search_text
    for cp in cps[::15]:
        cp.full_clean()
        assert set(cp.search_text.split("|")) == set(build_search_text(cp).split("|"))
        for row in [*cp.contact_persons.all(), *cp.contact_info.all(), *cp.supplied_items.all()]:
            row.full_clean()
    for info in ContactInfo.objects.filter(kind__in=PHONE_KINDS):
        assert phonenumbers.is_valid_number(phonenumbers.parse(info.value))
        assert info.value.startswith("+7")
    props = {p.code: p for p in CustomProperty.objects.all()}
    for cp in Counterparty.objects.filter(is_client=True)[:50]:
        assert cp.properties["activity"] in props["activity"].choices
        assert set(cp.properties["interests"]) <= set(props["interests"].choices)
        assert isinstance(cp.properties["employees"], int)
    assert SuppliedItem.objects.filter(counterparty__is_supplier=True).exists()
    assert Counterparty.objects.filter(main_manager__isnull=True, is_client=True).exists()


def test_managers_see_only_their_clients(demo_company, db):
    assert CounterpartyShare.objects.exists()
    everything = set(Counterparty.objects.values_list("pk", flat=True))
    seen = {}
    for username in demo.MANAGERS:
        manager = get_user_model().objects.get(username=username)
        visible = set(Counterparty.objects.restrict(manager).values_list("pk", flat=True))
        own = set(Counterparty.objects.filter(main_manager=manager).values_list("pk", flat=True))
        shared = set(CounterpartyShare.objects.filter(user=manager).values_list("counterparty", flat=True))
        assert own and visible == own | shared
        seen[username] = visible
    assert len(seen["manager1"] | seen["manager2"] | seen["manager3"]) < len(everything)
    head = get_user_model().objects.get(username="head")
    assert set(Counterparty.objects.restrict(head).values_list("pk", flat=True)) == everything


def test_demo_uses_the_builtin_relationship_types_by_code(demo_company, db):
    assert RelationshipType.objects.count() == 4
    regular = RelationshipType.objects.get(code="regular")
    stored = RelationshipType.all_objects.filter(pk=regular.pk).values_list("name", flat=True).get()
    assert stored == "Regular" and regular.description  # the English msgid, shown translated
    assert Counterparty.objects.filter(relationship_type=regular).exists()
    with translation.override("en"):
        assert {str(r) for r in RelationshipType.objects.all()} == {"VIP", "Regular", "Potential", "One-off"}
