"""Starting analysis runs: on demand (in the worker, with progress) and nightly."""

import datetime

from django.db import transaction
from django.utils import timezone

from core.dashboard import month_start

from ..models import AnalysisRun, AnalysisSettings


def default_period(day, months=12):
    """The ``months`` full months before ``day``'s month: (first day, last day)."""
    return month_start(day, -months), month_start(day) - datetime.timedelta(days=1)


def settings_params(conf):
    """The thresholds a run records (so its figures stay reproducible after settings change)."""
    return {
        "a_threshold": str(conf.a_threshold), "b_threshold": str(conf.b_threshold),
        "lost_days": conf.lost_days, "x_threshold": str(conf.x_threshold), "y_threshold": str(conf.y_threshold),
        "no_contact_days": conf.no_contact_days, "interval_factor": str(conf.interval_factor),
        "sales_drop_pct": str(conf.sales_drop_pct), "sales_drop_months": conf.sales_drop_months,
    }


def new_run(user=None, *, analysis_date=None, measure=None, period_start=None, period_end=None,
            currency=None, nightly=False, **overrides):
    """A queued run with the company's settings; ``overrides`` replace single parameters."""
    conf = AnalysisSettings.load()
    day = analysis_date or timezone.localdate()
    start, end = default_period(day, conf.period_months)
    params = settings_params(conf)
    params.update({key: str(value) for key, value in overrides.items()})
    return AnalysisRun.objects.create(
        analysis_date=day, period_start=period_start or start, period_end=period_end or end,
        measure=measure or conf.measure, currency=currency or conf.analysis_currency, params=params,
        nightly=nightly, started_by=user if getattr(user, "pk", None) else None)


def start(user=None, **kwargs):
    """Queue a run for the worker (after the caller's transaction commits)."""
    from ..tasks import run_analysis

    run = new_run(user, **kwargs)
    transaction.on_commit(lambda: run_analysis.enqueue(run.pk))
    return run


def run_now(user=None, **kwargs):
    """Compute a run here and now (demo data, tests, the management command)."""
    from .engine import compute

    run = new_run(user, **kwargs)
    compute(run)
    run.refresh_from_db()
    return run
