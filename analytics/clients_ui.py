"""What analytics adds to the client list, its filters and the client card (registered in ready()).

The clients app may not import analytics: the columns, filters and the card panel are
contributed through core's registries (core.filtersets, core.tables, core.cards). Values come
from ``Classification`` (the current run with overrides applied, ``counterparty.classification``).
"""

import django_filters
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core import access
from core.cards import CardPanel, register_panel
from core.filtersets import register_filter
from core.tables import Column, register_column

from .models import (
    ABC,
    ABC_RANK,
    STAGE_RANK,
    XYZ,
    XYZ_RANK,
    AnalysisRun,
    Classification,
    ClassOverride,
    ClientAnalysis,
    Stage,
)

COUNTERPARTY = "clients.counterparty"
TABLE = "clients.CounterpartyTable"
RANKS = {"abc": ABC_RANK, "stage": STAGE_RANK, "xyz": XYZ_RANK}
LABELS = {"abc": dict(ABC.choices), "stage": dict(Stage.choices), "xyz": dict(XYZ.choices)}


# --- Trend against the previous run --------------------------------------------------------------

def trend(kind, current, previous):
    """"new" (not in the previous run), "up", "down" or "same" by the kind's rank (higher is better)."""
    if previous is None:
        return "new"
    ranks = RANKS[kind]
    now, before = ranks.get(current or "", 0), ranks.get(previous or "", 0)
    return "up" if now > before else "down" if now < before else "same"


ARROWS = {"up": ("↑", "text-success", _("up since the previous run")),
          "down": ("↓", "text-danger", _("down since the previous run")),
          "same": ("=", "text-body-secondary", _("as in the previous run")),
          "new": (pgettext_lazy("analysis", "new"), "badge text-bg-info", _("not in the previous run"))}


def label(kind, value):
    return str(LABELS[kind].get(value, value)) if value else "—"


def arrow_html(direction):
    sign, css, title = ARROWS[direction]
    return format_html('<span class="{}" title="{}" data-trend="{}">{}</span>', css, title, direction, sign)


def classification_of(counterparty):
    try:
        return counterparty.classification
    except ObjectDoesNotExist:
        return None


def cell(kind):
    """Render of a list cell: the effective value and the arrow; "" for a client never analysed."""
    def render(counterparty):
        c = classification_of(counterparty)
        if c is None:
            return ""
        value = getattr(c, kind)
        direction = trend(kind, value, getattr(c, f"{kind}_prev"))
        return format_html('<span class="text-nowrap" data-testid="{}-cell">{} {}{}</span>', kind, label(kind, value),
                           arrow_html(direction), format_html(" <span title=\"{}\">*</span>", _("overridden"))
                           if c.overridden else "")
    return render


# --- List columns (sortable: the sort keys are annotations, never NULL) ---------------------------

def _rank_case(field, ranks):
    return Case(*[When(**{field: code}, then=Value(rank)) for code, rank in ranks.items() if code],
                default=Value(-1), output_field=IntegerField())


def prepare(queryset):
    return queryset.select_related("classification").annotate(
        analytics_abc=Coalesce("classification__abc", Value("")),
        analytics_stage=_rank_case("classification__stage", STAGE_RANK),
        analytics_xyz=Coalesce("classification__xyz", Value("")),
    )


# --- Filters -------------------------------------------------------------------------------------

RARE_SHARE = 0.05

def _choice_filter(kind, choices, title):
    return lambda: django_filters.MultipleChoiceFilter(label=title, choices=choices, distinct=False,
                                                       field_name=kind, method=filter_class)


def filter_class(queryset, name, value):
    """Clients whose current ``name`` (abc / stage / xyz) is one of ``value``.

    The list walks clients in name order: for a common class a correlated EXISTS lets it stop
    after a page; a rare one (under 5 % of the run's clients) is an id list instead, so the walk
    does not scan the whole base for a handful of rows.
    """
    if not value:
        return queryset
    rows = Classification.objects.filter(**{f"{name}__in": value})
    run = AnalysisRun.current()
    counts = (run.counts or {}).get(name, {}) if run else {}
    if run and sum(counts.get(v, 0) for v in value) < RARE_SHARE * max(run.clients, 1):
        return queryset.filter(pk__in=rows.values("counterparty_id"))
    return queryset.filter(Exists(rows.filter(counterparty=OuterRef("pk"))))


def _trend_filter():
    return django_filters.ChoiceFilter(label=_("Class or stage since the previous run"), method=filter_trend,
                                       choices=[("down", _("Dropped")), ("up", _("Rose")), ("new", _("New"))])


def filter_trend(queryset, name, value):
    """Clients whose ABC class or stage rose / dropped since the previous run, or new in this one."""
    if not value:
        return queryset
    if value == "new":
        return queryset.filter(classification__stage_prev__isnull=True, classification__isnull=False)
    abc_now, abc_before = _rank_case("classification__abc", ABC_RANK), _rank_case("classification__abc_prev", ABC_RANK)
    st_now, st_before = (_rank_case("classification__stage", STAGE_RANK),
                         _rank_case("classification__stage_prev", STAGE_RANK))
    qs = queryset.filter(classification__stage_prev__isnull=False).alias(
        _abc_now=abc_now, _abc_before=abc_before, _st_now=st_now, _st_before=st_before)
    if value == "down":
        return qs.filter(Q(_abc_now__lt=F("_abc_before")) | Q(_st_now__lt=F("_st_before")))
    return qs.filter(Q(_abc_now__gt=F("_abc_before")) | Q(_st_now__gt=F("_st_before")))


# --- Card panel ----------------------------------------------------------------------------------

def panel_context(request, counterparty):
    classification = Classification.objects.filter(counterparty=counterparty).first()
    override = ClassOverride.objects.filter(counterparty=counterparty).select_related("set_by").first()
    can_override = access.can(request.user, access.CHANGE, ClassOverride)
    if classification is None and override is None and not can_override:
        return None
    run = AnalysisRun.current()  # the classification mirrors it
    row = (ClientAnalysis.objects.filter(run=run, counterparty=counterparty).first()
           if run is not None else None)
    values = []
    for kind, title in (("abc", _("ABC class")), ("stage", _("Relationship stage")), ("xyz", _("XYZ class"))):
        value = getattr(classification, kind) if classification is not None else ""
        computed = getattr(row, kind) if row is not None else None
        previous = getattr(classification, f"{kind}_prev") if classification is not None else None
        values.append({
            "kind": kind, "title": title, "value": label(kind, value),
            "arrow": arrow_html(trend(kind, value, previous)) if classification is not None else "",
            "previous": label(kind, previous) if previous is not None else None,
            "computed": label(kind, computed) if computed is not None and computed != value else None,
            "overridden": bool(override is not None and getattr(override, kind)),
        })
    from .services.overrides import history

    return {"classification": classification, "run": run, "values": values, "override": override,
            "can_override": can_override, "history": history(counterparty, limit=20)}


# --- Registration --------------------------------------------------------------------------------

def register():
    register_filter(COUNTERPARTY, "abc", _choice_filter("abc", ABC.choices, _("ABC class")))
    register_filter(COUNTERPARTY, "stage", _choice_filter("stage", Stage.choices, _("Relationship stage")))
    register_filter(COUNTERPARTY, "xyz", _choice_filter("xyz", XYZ.choices, _("XYZ class")))
    register_filter(COUNTERPARTY, "class_trend", _trend_filter)
    register_column(TABLE, "abc", Column(_("ABC"), order_by="analytics_abc", render=cell("abc"),
                                         css="text-nowrap"), prepare=prepare)
    # One prepare serves the three columns.
    register_column(TABLE, "stage", Column(pgettext_lazy("relationship", "Stage"), order_by="analytics_stage",
                                           render=cell("stage"), css="text-nowrap"))
    register_column(TABLE, "xyz", Column(_("XYZ"), order_by="analytics_xyz", render=cell("xyz"),
                                         css="text-nowrap"))
    register_panel(CardPanel("classification", "analytics/card_classification.html", panel_context), order=10)
