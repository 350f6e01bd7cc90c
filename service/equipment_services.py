"""Service work: planning a contract's visits, the installation task of an order, phone
consultations on equipment, and the reminders before warranties and contracts end."""

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from activities.models import Interaction, InteractionType, Task
from activities.services.notifications import in_language_of, notify, notify_task_assigned, url_of
from core.access import Role
from core.working_time import add_working_time, workday_bounds
from sales.models import Order, PlanFact, Shipment

from .models import Equipment, InstallationTask, ServiceContract, ServiceVisit
from .models.equipment import DEFAULT_INSTALLATION_DAYS

logger = logging.getLogger(__name__)
VISIT_HOUR = datetime.time(10, 0)
VISIT_LENGTH = datetime.timedelta(hours=2)


def remind_days():
    """How many days before a warranty or contract ends the reminder goes out (a setting)."""
    return int(getattr(settings, "KLIENTURA_SERVICE_REMIND_DAYS", 30))


def _local(day, time):
    return timezone.make_aware(datetime.datetime.combine(day, time))


def service_engineers():
    return get_user_model().objects.filter(is_active=True, role=Role.SERVICE).order_by("pk")


# --- Visits planned from a contract -----------------------------------------------------------

def plan_dates(contract):
    """The days of the contract's planned visits: visits per year over its period, evenly spread
    (each in the middle of its share of the period)."""
    days = (contract.end - contract.start).days + 1
    count = max(1, round(contract.visits_per_year * days / 365)) if contract.visits_per_year else 0
    return [contract.start + datetime.timedelta(days=int((i + 0.5) * days / count)) for i in range(count)]


def plan_visits(contract, engineer=None):
    """Create the contract's missing planned visits; returns how many. Idempotent: each visit
    carries its index in the plan, and an index already used (even a visit cancelled or in the
    trash) is not planned again."""
    engineer = engineer or contract.engineer
    used = set(ServiceVisit.all_objects.filter(contract=contract, plan_index__isnull=False)
               .values_list("plan_index", flat=True))
    created = 0
    for index, day in enumerate(plan_dates(contract)):
        if index in used:
            continue
        start = _local(day, VISIT_HOUR)
        visit = ServiceVisit(contract=contract, engineer=engineer, kind=ServiceVisit.Kind.MAINTENANCE,
                             planned_start=start, planned_end=start + VISIT_LENGTH, plan_index=index)
        try:
            with transaction.atomic():
                visit.save()
        except IntegrityError:  # planned at the same moment by another request
            continue
        created += 1
    return created


# --- Installation task from an order ----------------------------------------------------------

def contract_for_order(order):
    """The service contract the order's installation follows: the one of equipment sold with the
    order, else the client's contract running on the order's date (the latest one)."""
    linked = (ServiceContract.objects.filter(equipment__order=order, equipment__deleted_at__isnull=True)
              .order_by("-start", "-pk").first())
    if linked is not None:
        return linked
    return (ServiceContract.objects.filter(counterparty_id=order.counterparty_id, start__lte=order.date,
                                           end__gte=order.date).order_by("-start", "-pk").first())


def installation_start(order):
    """The day counting starts: the order's first planned shipment, else its date."""
    first = (Shipment.objects.filter(order=order, kind=PlanFact.PLANNED, deleted_at__isnull=True)
             .aggregate(d=Min("date"))["d"])
    return first or order.date


def installation_deadline(order, contract=None):
    """The start day + the contract's installation deadline in working days (default 5), at the
    end of that working day."""
    days = contract.installation_days if contract else DEFAULT_INSTALLATION_DAYS
    start = _local(installation_start(order), workday_bounds()[0])
    due = add_working_time(start, days=days)
    return _local(timezone.localdate(due), workday_bounds()[1])


def existing_installation(order):
    link = InstallationTask.objects.filter(order=order).select_related("task").first()
    return link.task if link and link.task.deleted_at is None else None


def create_installation_task(order, author, engineer=None):
    """(task, created): the "install equipment" task of ``order`` for a service engineer. A second
    call returns the first task (one link per order, settled by its unique key)."""
    found = existing_installation(order)
    if found is not None:
        return found, False
    contract = contract_for_order(order)
    engineer = engineer or (contract.engineer if contract and contract.engineer_id else None) \
        or service_engineers().first() or author
    deadline = installation_deadline(order, contract)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        InstallationTask.objects.filter(order=order, task__deleted_at__isnull=False).delete()
        link = InstallationTask.objects.filter(order=order).select_related("task").first()
        if link is not None:
            return link.task, False
        lines = ", ".join(str(line.product) for line in order.lines.filter(deleted_at__isnull=True)[:10])
        description = _("Install the equipment of order %(number)s for %(client)s.") % {
            "number": order.number, "client": order.counterparty}
        if lines:
            description += "\n" + lines
        if contract:
            description += "\n" + _("%(contract)s: %(days)s working days for the installation.") % {
                "contract": contract, "days": contract.installation_days}
        task = Task.objects.create(
            title=_("Install equipment: order %(number)s") % {"number": order.number}, description=description,
            author=author, assignee=engineer, counterparty_id=order.counterparty_id, deadline=deadline)
        InstallationTask.objects.create(order=order, task=task)
        notify_task_assigned(task, by=author)
    return task, True


# --- Phone consultations ----------------------------------------------------------------------

def equipment_interactions(equipment, user):
    ct = ContentType.objects.get_for_model(Equipment)
    return (Interaction.objects.restrict(user).filter(basis_type=ct, basis_id=equipment.pk)
            .select_related("type", "responsible").order_by("-start", "-pk"))


def log_consultation(equipment, user, subject, content="", minutes=None, now=None):
    """A done incoming call about ``equipment`` (its basis), answered by ``user``."""
    now = now or timezone.now()
    return Interaction.objects.create(
        type=InteractionType.by_code("incoming_call"), direction=Interaction.Direction.INCOMING,
        state=Interaction.State.DONE, subject=subject, content=content, counterparty_id=equipment.counterparty_id,
        responsible=user, start=now, duration_minutes=minutes,
        basis_type=ContentType.objects.get_for_model(Equipment), basis_id=equipment.pk)


# --- Reminders before warranties and contracts end --------------------------------------------

def _recipients(counterparty):
    users = list(service_engineers())
    manager = counterparty.main_manager
    if manager is not None and manager.is_active and manager not in users:
        users.insert(0, manager)
    return users


def _claim(model, pk, field, day):
    """Mark the reminder for ``day`` as sent, if nobody did yet; True means the caller sends it."""
    return model.objects.filter(pk=pk).filter(~Q(**{field: day}) | Q(**{f"{field}__isnull": True})) \
        .update(**{field: day}) == 1


def _send(obj, kind, end, field, text_for, now):
    with transaction.atomic():
        if not _claim(type(obj), obj.pk, field, end):
            return False
        for user in _recipients(obj.counterparty):
            with in_language_of(user):
                text = text_for(obj, formats.date_format(end, "SHORT_DATE_FORMAT"))
                notify(user, text, url=url_of(obj), source=f"{kind}:{obj.pk}:{end.isoformat()}:{user.pk}",
                       email_subject=text[:150], now=now)
    return True


def _warranty_text(equipment, day):
    return _("Warranty of %(equipment)s (%(client)s) ends on %(day)s") % {
        "equipment": equipment, "client": equipment.counterparty, "day": day}


def _contract_text(contract, day):
    return _("%(contract)s with %(client)s ends on %(day)s") % {
        "contract": contract, "client": contract.counterparty, "day": day}


def send_end_reminders(today=None, now=None):
    """Notify the client's main manager and the service engineers ``remind_days()`` before a
    warranty or a service contract ends, once per end date (a moved end date is reminded again)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    horizon = today + datetime.timedelta(days=remind_days())
    sent = 0
    equipment = (Equipment.objects.filter(warranty_until__gte=today, warranty_until__lte=horizon,
                                           counterparty__deleted_at__isnull=True)
                 .exclude(warranty_notified_for=F("warranty_until"))
                 .select_related("product", "counterparty__main_manager"))
    for item in equipment[:500]:
        try:
            sent += _send(item, "warranty-end", item.warranty_until, "warranty_notified_for", _warranty_text, now)
        except Exception:
            logger.exception("Warranty reminder of equipment %s failed", item.pk)
    contracts = (ServiceContract.objects.filter(end__gte=today, end__lte=horizon, counterparty__deleted_at__isnull=True)
                 .exclude(end_notified_for=F("end")).select_related("counterparty__main_manager"))
    for contract in contracts[:500]:
        try:
            sent += _send(contract, "contract-end", contract.end, "end_notified_for", _contract_text, now)
        except Exception:
            logger.exception("Contract end reminder of contract %s failed", contract.pk)
    return sent
