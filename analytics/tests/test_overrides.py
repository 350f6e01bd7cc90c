"""A head overrides a client's class or stage: the service and the card's form."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from analytics.models import Classification, ClassOverride, ClientAnalysis
from analytics.services import overrides
from analytics.tests.factories import AnalysisRunFactory, ClassificationFactory, ClientAnalysisFactory
from clients.tests.factories import CounterpartyFactory
from core.models import ConflictError

pytestmark = pytest.mark.django_db


@pytest.fixture
def cp(manager):
    return CounterpartyFactory(name="Клиент", main_manager=manager)


@pytest.fixture
def row(cp):
    """The client in the current run: computed C / one-time / no XYZ; previous run: B, regular."""
    run = AnalysisRunFactory()
    ClassificationFactory(counterparty=cp, abc="C", stage="one_time", abc_prev="B", stage_prev="regular",
                          xyz_prev="")
    return ClientAnalysisFactory(run=run, counterparty=cp, abc="C", stage="one_time", abc_prev="B",
                                 stage_prev="regular", xyz_prev="")


def effective(cp):
    row = ClientAnalysis.objects.get(counterparty=cp)
    c = Classification.objects.get(counterparty=cp)
    return (row.abc_effective, row.stage_effective, row.xyz_effective), (c.abc, c.stage, c.xyz, c.overridden)


def test_set_change_remove_updates_the_classification(cp, row, head):
    override = overrides.set_override(cp, head, abc="A", reason="Стратегический")
    assert override.set_by == head and override.version == 1
    assert effective(cp) == (("A", "one_time", ""), ("A", "one_time", "", True))
    assert Classification.objects.get(counterparty=cp).abc_prev == "B"  # the arrow still compares

    overrides.set_override(cp, head, stage="regular", reason="Договор на год", version=1)
    assert effective(cp) == (("C", "regular", ""), ("C", "regular", "", True))
    assert ClassOverride.objects.get(counterparty=cp).version == 2

    removed = overrides.remove_override(cp, head)
    assert removed.is_deleted  # in the trash, restorable
    assert effective(cp) == (("C", "one_time", ""), ("C", "one_time", "", False))
    assert ClassOverride.objects.filter(counterparty=cp).count() == 0
    assert ClassOverride.all_objects.filter(counterparty=cp).count() == 1
    assert overrides.remove_override(cp, head) is None


def test_history_keeps_who_what_why(cp, row, head, sales_head):
    overrides.set_override(cp, head, abc="A", reason="Первый")
    overrides.set_override(cp, sales_head, abc="B", reason="Второй")
    overrides.remove_override(cp, head)
    records = overrides.history(cp)
    assert [(r.history_user, r.abc, r.reason, r.deleted_at is not None) for r in records] == [
        (head, "B", "Второй", True), (sales_head, "B", "Второй", False), (head, "A", "Первый", False)]


@pytest.mark.parametrize("role_user", ["manager", "quality", "marketer", "service"])
def test_only_heads_override(cp, row, role_user, request):
    user = request.getfixturevalue(role_user)
    with pytest.raises(PermissionDenied):
        overrides.set_override(cp, user, abc="A", reason="нет")
    assert not ClassOverride.all_objects.exists()


def test_invisible_client_is_404(cp, row, teammate, head):
    with pytest.raises(Http404):
        overrides.set_override(cp, teammate, abc="A", reason="нет")
    overrides.set_override(cp, head, abc="A", reason="да")
    with pytest.raises(Http404):
        overrides.remove_override(cp, teammate)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"reason": "без класса"}, "abc"),
    ({"abc": "A", "reason": "   "}, "reason"),
    ({"abc": "Q", "reason": "x"}, "abc"),
    ({"stage": "vip", "reason": "x"}, "stage"),
])
def test_invalid_input_names_the_field(cp, row, head, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        overrides.set_override(cp, head, **kwargs)
    assert field in exc.value.message_dict
    assert effective(cp)[1][3] is False


def test_stale_version_is_a_conflict(cp, row, head, sales_head):
    overrides.set_override(cp, head, abc="A", reason="Первый")
    overrides.set_override(cp, sales_head, abc="B", reason="Второй", version=1)
    with pytest.raises(ConflictError):
        overrides.set_override(cp, head, abc="C", reason="По старой версии", version=1)
    assert ClassOverride.objects.get(counterparty=cp).abc == "B"


def test_without_a_current_run_the_override_is_kept_for_the_next(cp, head):
    overrides.set_override(cp, head, abc="A", reason="Ждёт анализа")
    assert ClassOverride.objects.get(counterparty=cp).abc == "A"
    assert not Classification.objects.filter(counterparty=cp).exists()


# --- The card's form ---------------------------------------------------------------------------------

def url(cp, name="override"):
    return reverse(f"analytics:{name}", args=[cp.pk])


def test_head_sets_changes_and_removes_from_the_card(cp, row, head, client_for):
    c = client_for(head)
    assert c.get(url(cp)).status_code == 200
    resp = c.post(url(cp), {"abc": "A", "stage": "", "xyz": "", "reason": "Ключевой клиент"})
    assert resp.status_code == 302 and resp["Location"] == cp.get_absolute_url()
    assert effective(cp)[1] == ("A", "one_time", "", True)
    card = c.get(cp.get_absolute_url()).content.decode()
    assert "Ключевой клиент" in card and "computed: C" in card and 'data-testid="override-history-row"' in card

    form = c.get(url(cp))
    assert 'value="1"' in form.content.decode()  # the version the change is based on
    resp = c.post(url(cp), {"abc": "B", "reason": "Пересмотрели", "version": 1})
    assert resp.status_code == 302 and effective(cp)[1][0] == "B"

    resp = c.post(url(cp), {"abc": "A", "reason": "Старая форма", "version": 1})
    assert resp.status_code == 409 and effective(cp)[1][0] == "B"

    resp = c.post(url(cp, "override_remove"), {"version": 2})
    assert resp.status_code == 302 and effective(cp)[1] == ("C", "one_time", "", False)
    history = c.get(url(cp)).content.decode()
    assert history.count('data-testid="override-history-row"') == 3


def test_form_errors_are_400_naming_the_field(cp, row, head, client_for):
    resp = client_for(head).post(url(cp), {"abc": "", "stage": "", "xyz": "", "reason": "Без выбора"})
    assert resp.status_code == 400 and "abc" in resp.context["form"].errors
    resp = client_for(head).post(url(cp), {"abc": "A", "reason": ""})
    assert resp.status_code == 400 and "reason" in resp.context["form"].errors
    resp = client_for(head).post(url(cp), {"abc": "A", "reason": "x", "version": "99999999999999999999999"})
    assert resp.status_code == 400 and "version" in resp.context["form"].errors


def test_manager_is_refused_403_and_an_unseen_client_404(cp, row, manager, teammate, client_for):
    for method, name in (("get", "override"), ("post", "override"), ("post", "override_remove")):
        data = {"abc": "A", "reason": "x"} if name == "override" else {}
        assert getattr(client_for(manager), method)(url(cp, name), data).status_code == 403
        assert getattr(client_for(teammate), method)(url(cp, name), data).status_code == 404
    assert not ClassOverride.all_objects.exists()


def test_restore_from_the_trash(cp, row, head, client_for):
    overrides.set_override(cp, head, abc="A", reason="Ключевой")
    removed = overrides.remove_override(cp, head)
    resp = client_for(head).post(reverse("restore", args=["analytics.classoverride", removed.pk]))
    assert resp.status_code == 302
    assert ClassOverride.objects.get(counterparty=cp).abc == "A"


def test_remove_with_a_forged_version_is_400(cp, row, head, client_for):
    overrides.set_override(cp, head, abc="A", reason="Ключевой")
    resp = client_for(head).post(url(cp, "override_remove"), {"version": "99999999999999999999999"})
    assert resp.status_code == 400 and b"version" in resp.content
    assert ClassOverride.objects.filter(counterparty=cp).exists()
