"""A head's override of a client's ABC class, stage or XYZ class (SPEC §5, issue 10 item 1).

The override is a ``ClassOverride`` (history, trash): one live per client, kept across runs (the
engine applies live overrides in every new run). Setting or removing one updates the client's
``Classification`` and the current run's ``ClientAnalysis`` effective values at once, so the
list, card and filters show it without waiting for the next run.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404

from analytics.models import AnalysisRun, Classification, ClassOverride, ClientAnalysis
from clients.models import Counterparty
from core import access

FIELDS = ("abc", "stage", "xyz")


def check(counterparty, user):
    """404 for a client the user may not see, 403 for anyone but a head."""
    if not Counterparty.objects.restrict(user, access.VIEW).filter(pk=counterparty.pk).exists():
        raise Http404
    if not access.can(user, access.CHANGE, ClassOverride):
        raise PermissionDenied


def live_override(counterparty):
    return ClassOverride.objects.filter(counterparty=counterparty).select_related("set_by").first()


@transaction.atomic
def set_override(counterparty, user, abc="", stage="", xyz="", reason="", version=None):
    """Create or change the client's override; ``version`` (the one the form showed) guards
    against overwriting a concurrent change (ConflictError). Invalid input: ValidationError
    keyed by field."""
    check(counterparty, user)
    override = (ClassOverride.objects.select_for_update().filter(counterparty=counterparty).first()
                or ClassOverride(counterparty=counterparty))
    if override.pk and version is not None:
        override.version = version
    override.abc, override.stage, override.xyz = abc or "", stage or "", xyz or ""
    override.reason = (reason or "").strip()
    override.set_by = user
    override.full_clean(exclude=["counterparty"])
    override._history_user = user
    override.save()
    apply(counterparty)
    return override


@transaction.atomic
def remove_override(counterparty, user, version=None):
    """Move the client's live override to the trash (restorable); returns it, or None."""
    check(counterparty, user)
    override = ClassOverride.objects.select_for_update().filter(counterparty=counterparty).first()
    if override is None:
        return None
    if version is not None:
        override.version = version
    override._history_user = user
    override.delete()
    apply(counterparty)
    return override


def effective(row, override):
    """{field: value} of a run's row with the override applied (blank override fields keep the row's)."""
    return {name: (getattr(override, name) if override is not None and getattr(override, name)
                   else getattr(row, name)) for name in FIELDS}


def apply(counterparty):
    """Mirror the client's live override into the current run's row and its Classification.

    A client without a row in the current run keeps its Classification: the next run applies it.
    """
    run = AnalysisRun.current()
    if run is None:
        return
    row = ClientAnalysis.objects.filter(run=run, counterparty_id=counterparty.pk).first()
    if row is None:
        return
    override = ClassOverride.objects.filter(counterparty_id=counterparty.pk).first()
    values = effective(row, override)
    ClientAnalysis.objects.filter(pk=row.pk).update(**{f"{name}_effective": v for name, v in values.items()})
    Classification.objects.update_or_create(counterparty_id=counterparty.pk, defaults={
        **values, "abc_prev": row.abc_prev, "stage_prev": row.stage_prev, "xyz_prev": row.xyz_prev,
        "overridden": override is not None,
    })


def history(counterparty, limit=50):
    """The client's override records, newest first (who, when, what, why)."""
    return list(ClassOverride.history.filter(counterparty_id=counterparty.pk)
                .select_related("history_user").order_by("-history_date")[:limit])

