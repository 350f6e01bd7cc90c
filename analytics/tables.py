"""Tables of the analytics pages (runs, a run's rows, the at-risk list) and how a risk reads."""

import datetime
from decimal import Decimal, InvalidOperation

from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from core.tables import Column, Table

from .models import RiskReason, Stage


def duration_text(run):
    """How long a run took ("1 min 5 s"), empty while it has not finished."""
    if not (run.started_at and run.finished_at):
        return ""
    seconds = max(0, int((run.finished_at - run.started_at).total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    if minutes:
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": seconds}
    return _("%(seconds)s s") % {"seconds": seconds}


def period_text(run):
    return f"{date_format(run.period_start, 'SHORT_DATE_FORMAT')} – {date_format(run.period_end, 'SHORT_DATE_FORMAT')}"


class RunTable(Table):
    default_sort = "-created"

    analysis_date = Column(gettext_lazy("Analysis date"), order_by="analysis_date", linkify=True)
    period = Column(gettext_lazy("Period"), render=period_text)
    measure = Column(gettext_lazy("Measure"))
    currency = Column(gettext_lazy("Currency"))
    status = Column(gettext_lazy("Status"))
    progress = Column(gettext_lazy("Progress, %"), css="text-end")
    started_by = Column(gettext_lazy("Started by"),
                        render=lambda run: str(run.started_by) if run.started_by else _("scheduler"))
    clients = Column(gettext_lazy("Clients"), css="text-end",
                     render=lambda run: getattr(run, "visible_clients", run.clients))
    duration = Column(gettext_lazy("Duration"), render=duration_text)
    created = Column(gettext_lazy("Created"), accessor="created_at", order_by="created_at")


def share_text(row):
    return "" if row.share is None else number_format(row.share, 2)


def with_computed(effective, computed, label=lambda value: value):
    """The effective value, and the computed one beside it when an override differs."""
    if effective == computed:
        return label(effective) or "—"
    return format_html('{} <span class="text-body-secondary small" title="{}">({})</span>',
                       label(effective) or "—", _("computed"), label(computed) or "—")


def stage_label(value):
    return str(Stage(value).label) if value in Stage.values else (value or "")


class RunRowTable(Table):
    """A run's row per client, ordered by the measure (the ABC order)."""

    default_sort = "rank"

    rank = Column(gettext_lazy("Place"), order_by="rank", css="text-end")
    counterparty = Column(gettext_lazy("Client"), render=lambda row: format_html(
        '<a href="{}">{}</a>', row.counterparty.get_absolute_url(), row.counterparty))
    main_manager = Column(gettext_lazy("Main manager"))
    revenue = Column(gettext_lazy("Revenue"), css="text-end")
    profit = Column(gettext_lazy("Profit"), css="text-end")
    share = Column(gettext_lazy("Share, %"), render=share_text, css="text-end")
    abc = Column(gettext_lazy("ABC class"), render=lambda row: with_computed(row.abc_effective, row.abc))
    stage = Column(pgettext_lazy("relationship", "Stage"),
                   render=lambda row: with_computed(row.stage_effective, row.stage, stage_label))
    xyz = Column(gettext_lazy("XYZ class"), render=lambda row: with_computed(row.xyz_effective, row.xyz))
    cv = Column(gettext_lazy("Variation, %"), css="text-end")
    purchases = Column(gettext_lazy("Purchases"), css="text-end")
    last_purchase = Column(gettext_lazy("Last purchase"))


# --- Risks ------------------------------------------------------------------------------------

def _date(text):
    try:
        return date_format(datetime.date.fromisoformat(text), "SHORT_DATE_FORMAT")
    except (TypeError, ValueError):
        return ""


def _number(text, places=None):
    try:
        value = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return str(text)
    return number_format(value, places)


def _no_contact(d):
    if d.get("days") is None:
        return _("never contacted")
    days = int(d["days"])
    text = ngettext("no contact for %(days)s day", "no contact for %(days)s days", days) % {"days": days}
    last = _date(d.get("last_contact"))
    return _("%(text)s (last on %(date)s)") % {"text": text, "date": last} if last else text


def _overdue(d):
    days = int(d["days"])
    since = ngettext("%(days)s day since the last purchase", "%(days)s days since the last purchase",
                     days) % {"days": days}
    median = int(d["median"])
    usual = ngettext("usual interval %(days)s day", "usual interval %(days)s days", median) % {"days": median}
    return f"{usual}, {since}"


def _class_drop(d):
    return _("class %(from)s → %(to)s") % {"from": d.get("from") or "—", "to": d.get("to") or "—"}


def _stage_drop(d):
    return _("stage %(from)s → %(to)s") % {"from": stage_label(d.get("from")).lower() or "—",
                                            "to": stage_label(d.get("to")).lower() or "—"}


def _sales_drop(d):
    return _("sales −%(pct)s %% on a year ago (%(recent)s against %(year_ago)s)") % {
        "pct": _number(d["pct"], 1), "recent": _number(d.get("recent", ""), 2),
        "year_ago": _number(d.get("year_ago", ""), 2)}


EXPLAIN = {
    RiskReason.NO_CONTACT: _no_contact, RiskReason.OVERDUE: _overdue, RiskReason.CLASS_DROP: _class_drop,
    RiskReason.STAGE_DROP: _stage_drop, RiskReason.SALES_DROP: _sales_drop,
}


def explain(reason, details):
    """The figures behind a risk as a person reads them ("no contact for 45 days"); "" if unknown."""
    fn = EXPLAIN.get(reason)
    if fn is None or not isinstance(details, dict):
        return ""
    try:
        return fn(details)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return ""


class RiskTable(Table):
    default_sort = "counterparty"

    counterparty = Column(gettext_lazy("Client"), order_by="client_name", render=lambda flag: format_html(
        '<a href="{}">{}</a>', flag.counterparty.get_absolute_url(), flag.counterparty))
    main_manager = Column(gettext_lazy("Main manager"))
    reason = Column(gettext_lazy("Reason"), order_by="reason")
    explanation = Column(gettext_lazy("Details"), render=lambda flag: explain(flag.reason, flag.details))
