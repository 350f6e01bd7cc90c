"""The four activity reports (SPEC §3 "Reports"): querysets and already-aggregated rows.

Every report starts from ``restrict(user, "view")`` querysets, so a sales manager's report covers
only their own and shared clients. Counting, averaging and "last interaction" are done by the
database (annotate / aggregate / values); Python only arranges the grouped rows it gets back.
"""

from dataclasses import dataclass, field
from functools import reduce
from operator import add

from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import (
    PHONE_KINDS,
    ContactInfo,
    ContactKind,
    ContactPerson,
    Counterparty,
    RelationshipType,
)
from clients.services import search_q
from clients.validators import format_phone
from core import access
from core.reports import Period, current_month  # noqa: F401 (the period is core's; re-exported)

from ..models import Interaction, InteractionType

# --- Access-narrowed sources -------------------------------------------------------------------


def counterparties(user):
    return Counterparty.objects.restrict(user, access.VIEW)


def interactions(user):
    """Interactions the user may see, about clients the user may see.

    ``Interaction.restrict`` also lets a manager see interactions they were responsible for on a
    colleague's client; reports are about *clients*, so such rows stay out of a manager's report.
    """
    return Interaction.objects.restrict(user, access.VIEW).filter(counterparty__in=counterparties(user))


ROLE_FILTERS = {
    "client": Q(is_client=True),
    "supplier": Q(is_supplier=True),
    "partner": Q(is_partner=True),
    "competitor": Q(is_competitor=True),
    "all": Q(),
}


def filter_counterparties(qs, *, managers=(), no_manager=False, group=None, relationship_types=(),
                          role="all"):
    """The counterparty filters shared by reports 1 and 4."""
    qs = qs.filter(ROLE_FILTERS.get(role or "all", Q()))
    manager_q = Q()
    if managers:
        manager_q |= Q(main_manager__in=list(managers))
    if no_manager:
        manager_q |= Q(main_manager__isnull=True)
    if manager_q:
        qs = qs.filter(manager_q)
    if group is not None:
        qs = qs.filter(group_id__in=group.descendant_ids())
    if relationship_types:
        qs = qs.filter(relationship_type__in=list(relationship_types))
    return qs


def users_by_id(ids):
    ids = [pk for pk in ids if pk is not None]
    return get_user_model().objects.in_bulk(ids) if ids else {}


NO_MANAGER = _("No main manager")
NO_TYPE = _("No relationship type")


def _user_label(users, pk, empty=NO_MANAGER):
    return str(users[pk]) if pk in users else str(empty)


def _user_sort_key(user):
    """Managers in the User model's order (last name, first name, username); "nobody" last."""
    if user is None:
        return (1, "", "", "")
    return (0, user.last_name.lower(), user.first_name.lower(), user.username.lower())


# --- 1. Contact information of counterparties ------------------------------------------------

CALL_KINDS = [ContactKind.PHONE, ContactKind.MOBILE]
ADDRESS_KINDS = [ContactKind.LEGAL_ADDRESS, ContactKind.ACTUAL_ADDRESS]
SHOWN_KINDS = [*PHONE_KINDS, ContactKind.EMAIL, *ADDRESS_KINDS]


def _own_info(*kinds):
    """The counterparty itself (not one of its people) has contact information of these kinds."""
    return Exists(ContactInfo.objects.filter(counterparty=OuterRef("pk"), contact_person__isnull=True,
                                             kind__in=kinds))


def _reachable_person():
    return Exists(ContactInfo.objects.filter(
        counterparty=OuterRef("pk"), contact_person__isnull=False,
        contact_person__deleted_at__isnull=True, kind__in=[*CALL_KINDS, ContactKind.EMAIL]))


# The completeness checklist: each item present adds an equal share (documented on the page).
CHECKLIST = [
    ("tax_id", _("Tax id"), lambda: ~Q(tax_id="")),
    ("phone", _("Phone (landline or mobile) of the counterparty"), lambda: Q(_own_info(*CALL_KINDS))),
    ("email", _("Email of the counterparty"), lambda: Q(_own_info(ContactKind.EMAIL))),
    ("legal_address", _("Legal address"), lambda: Q(_own_info(ContactKind.LEGAL_ADDRESS))),
    ("actual_address", _("Actual address"), lambda: Q(_own_info(ContactKind.ACTUAL_ADDRESS))),
    ("website", _("Website"), lambda: Q(_own_info(ContactKind.WEBSITE))),
    ("person", _("A contact person with a phone or email"), lambda: Q(_reachable_person())),
]


def _flag(condition):
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def filled_expression():
    """How many checklist items a counterparty has (0 … len(CHECKLIST)), as one SQL expression."""
    return reduce(add, (_flag(make()) for _key, _label, make in CHECKLIST))


def percent(filled):
    return round(float(filled) * 100 / len(CHECKLIST), 1)


def contact_info_queryset(user, *, order="name", **filters):
    persons = (ContactPerson.objects.filter(counterparty=OuterRef("pk")).order_by()
               .values("counterparty").annotate(n=Count("pk")).values("n"))
    checks = {f"has_{key}": _flag(make()) for key, _label, make in CHECKLIST}
    infos = ContactInfo.objects.filter(contact_person__isnull=True, kind__in=SHOWN_KINDS).order_by("kind", "id")
    qs = (filter_counterparties(counterparties(user), **filters)
          .select_related("main_manager", "group", "relationship_type")
          .prefetch_related(Prefetch("contact_info", queryset=infos, to_attr="shown_info"))
          .annotate(persons_count=Coalesce(Subquery(persons, output_field=IntegerField()), 0), **checks))
    if order == "completeness":
        return qs.alias(filled=filled_expression()).order_by("filled", "name", "id")
    return qs.order_by("name", "id")


@dataclass
class ContactInfoRow:
    counterparty: Counterparty
    phones: list
    emails: list
    address: str
    persons: int
    filled: int
    missing: list

    @property
    def percent(self):
        return percent(self.filled)


def contact_info_row(cp):
    """A counterparty of ``contact_info_queryset`` as a ContactInfoRow (no further queries)."""
    by_kind = {}
    for info in cp.shown_info:
        by_kind.setdefault(info.kind, []).append(info.value)
    phones = [format_phone(v) for kind in PHONE_KINDS for v in by_kind.get(kind, [])]
    address = next(iter(by_kind.get(ContactKind.LEGAL_ADDRESS, []) or
                        by_kind.get(ContactKind.ACTUAL_ADDRESS, [])), "")
    flags = {key: getattr(cp, f"has_{key}") for key, _label, _make in CHECKLIST}
    return ContactInfoRow(
        counterparty=cp, phones=phones, emails=by_kind.get(ContactKind.EMAIL, []), address=address,
        persons=cp.persons_count, filled=sum(flags.values()),
        missing=[label for key, label, _make in CHECKLIST if not flags[key]],
    )


def contact_info_rows(objects):
    return (contact_info_row(cp) for cp in objects)


def completeness_by_manager(user, **filters):
    """[(manager label, counterparties, average completeness %)] — one grouped query."""
    qs = filter_counterparties(counterparties(user), **filters)
    grouped = list(qs.order_by().values("main_manager").annotate(n=Count("pk"), avg=Avg(filled_expression())))
    users = users_by_id([g["main_manager"] for g in grouped])
    grouped.sort(key=lambda g: _user_sort_key(users.get(g["main_manager"])))
    return [(_user_label(users, g["main_manager"]), g["n"], percent(g["avg"] or 0)) for g in grouped]


# --- 2. Contacts for a period ------------------------------------------------------------------


def filter_interactions(qs, period, *, states=(Interaction.State.DONE,), responsible=(), types=(), client="",
                        direction=""):
    qs = qs.filter(period.q(), state__in=list(states))
    if responsible:
        qs = qs.filter(responsible__in=list(responsible))
    if types:
        qs = qs.filter(type__in=list(types))
    if client:
        qs = qs.filter(search_q(client, prefix="counterparty__"))
    if direction:
        qs = qs.filter(direction=direction)
    return qs


def contacts_queryset(user, period, **filters):
    persons = ContactPerson.objects.order_by("last_name", "first_name", "id")
    return (filter_interactions(interactions(user), period, **filters)
            .select_related("type", "counterparty", "responsible")
            .prefetch_related(Prefetch("contact_persons", queryset=persons))
            .order_by("start", "id"))


# --- 3. Interaction analysis -------------------------------------------------------------------


@dataclass
class AnalysisNode:
    """A manager or a client line: counts per type column and the subtotal."""

    label: str
    counts: dict = field(default_factory=dict)  # type id -> count
    children: list = field(default_factory=list)
    counterparty_id: int | None = None

    @property
    def total(self):
        return sum(self.counts.values())

    def cells(self, types):
        return [self.counts.get(t.pk, 0) for t in types]


@dataclass
class Analysis:
    types: list
    managers: list
    total: AnalysisNode


def analysis(user, period, *, include_planned=False, **filters):
    """Counts of interactions per responsible → client → type, with subtotals (one grouped query)."""
    states = [Interaction.State.DONE] + ([Interaction.State.PLANNED] if include_planned else [])
    qs = filter_interactions(interactions(user), period, states=states, **filters)
    grouped = list(qs.order_by().values("responsible", "counterparty", "counterparty__name", "type")
                   .annotate(n=Count("pk")))
    users = users_by_id({g["responsible"] for g in grouped})
    types = sorted(InteractionType.all_objects.filter(pk__in={g["type"] for g in grouped}),
                   key=lambda t: (t.order, t.name.lower(), t.pk))
    managers, clients, grand = {}, {}, AnalysisNode(str(_("Total")))
    for g in grouped:
        manager = managers.get(g["responsible"])
        if manager is None:
            manager = managers[g["responsible"]] = AnalysisNode(_user_label(users, g["responsible"]))
        key = (g["responsible"], g["counterparty"])
        client = clients.get(key)
        if client is None:
            client = clients[key] = AnalysisNode(g["counterparty__name"], counterparty_id=g["counterparty"])
            manager.children.append(client)
        for node in (client, manager, grand):
            node.counts[g["type"]] = node.counts.get(g["type"], 0) + g["n"]
    ordered = sorted(managers.items(), key=lambda item: _user_sort_key(users.get(item[0])))
    for _pk, manager in ordered:
        manager.children.sort(key=lambda c: (c.label.lower(), c.counterparty_id))
    return Analysis(types=types, managers=[m for _pk, m in ordered], total=grand)


# --- 4. Clients without interactions in a period ----------------------------------------------


def without_interactions_queryset(user, period, **filters):
    """Counterparties with no done interaction in the period, with their last done one ever."""
    done = Interaction.objects.restrict(user, access.VIEW).filter(
        counterparty=OuterRef("pk"), state=Interaction.State.DONE)
    last = done.order_by("-start").values("start")[:1]
    return (filter_counterparties(counterparties(user), **filters)
            .filter(~Exists(done.filter(period.q())))
            .annotate(last_contact=Subquery(last))
            .select_related("main_manager", "relationship_type", "group")
            .order_by(F("main_manager__last_name").asc(nulls_last=True),
                      F("main_manager__first_name").asc(nulls_last=True),
                      F("main_manager__username").asc(nulls_last=True), "main_manager_id",
                      F("relationship_type__name").asc(nulls_last=True), "relationship_type_id", "name", "id"))


def without_interactions_summary(qs):
    """[(manager label, [(relationship type label, count)], total)] — one grouped query."""
    grouped = list(qs.order_by().values("main_manager", "relationship_type").annotate(n=Count("pk")))
    users = users_by_id({g["main_manager"] for g in grouped})
    reltypes = RelationshipType.all_objects.in_bulk({g["relationship_type"] for g in grouped} - {None})
    summary = {}
    for g in grouped:
        label = str(reltypes[g["relationship_type"]]) if g["relationship_type"] in reltypes else str(NO_TYPE)
        summary.setdefault(g["main_manager"], []).append((label, g["n"]))
    rows = []
    for pk in sorted(summary, key=lambda pk: _user_sort_key(users.get(pk))):
        parts = sorted(summary[pk], key=lambda p: (p[0] == str(NO_TYPE), p[0].lower()))
        rows.append((_user_label(users, pk), parts, sum(n for _label, n in parts)))
    return rows


def last_contact_date(value):
    return timezone.localtime(value).date() if value else None
