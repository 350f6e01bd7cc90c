"""Analysis runs: the list, starting one (heads), a run's page with its progress and summary.

Runs are company-wide objects, but every figure drawn from their rows (clients, sums by class,
stage and XYZ class, the rows themselves) comes from ``ClientAnalysis.objects.restrict(user)``:
a sales manager sees their own clients' part of each run.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from core import access, registry
from core.pagination import paginate
from core.views.generic import ObjectListView, RestrictedMixin

from ..filtersets import RunFilterSet
from ..forms import RunForm
from ..models import ABC, XYZ, AnalysisRun, ClientAnalysis, Stage
from ..services import runs as service
from ..tables import RunRowTable, RunTable, duration_text, period_text

ROWS_PER_PAGE = 50
ROWS_ORDERING = ["-measure", "id"]  # the ABC order; keyset pagination, no COUNT of the run's rows
REPORTS = [("abc", gettext_lazy("ABC analysis")), ("xyz-stages", gettext_lazy("XYZ and stages"))]


def can_start(user):
    return access.can_assign(user)


def sees_everything(user):
    return access.rule_for(user)[0] == "all"


def visible_rows(user, run):
    return ClientAnalysis.objects.restrict(user).filter(run=run)


def with_visible_totals(queryset, user):
    """Runs annotated, for a user who sees only some clients, with their clients' count and measure."""
    if sees_everything(user):
        return queryset
    rows = ClientAnalysis.objects.restrict(user).filter(run=OuterRef("pk")).order_by().values("run")
    return queryset.annotate(
        visible_clients=Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0),
        visible_total=Subquery(rows.annotate(s=Sum("measure")).values("s")))


class RunListView(ObjectListView):
    model = AnalysisRun
    filterset_class = RunFilterSet
    table_class = RunTable
    template_name = "analytics/run_list.html"
    export_name = "analysis-runs"
    add_url_name = "analytics:run_add"

    def get_base_queryset(self):
        qs = self.get_queryset().select_related("started_by")
        return with_visible_totals(qs, self.request.user)

    def extra_context(self):
        return {"can_add": can_start(self.request.user)}


class RunStartView(RestrictedMixin, View):
    """The "Run analysis" form: heads and administrators queue a run for the worker."""

    model = AnalysisRun
    template_name = "analytics/run_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_start(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": RunForm()})

    def post(self, request):
        form = RunForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        with transaction.atomic():
            run = service.start(request.user, **form.cleaned_data)
        return HttpResponseRedirect(run.get_absolute_url())


def group_rows(rows, field, order, label=str):
    """Counts and sums of ``rows`` grouped by ``field`` (one query), in ``order``."""
    found = {row[field]: row for row in rows.order_by().values(field).annotate(
        clients=Count("pk"), revenue=Sum("revenue"), profit=Sum("profit"), share=Sum("share"))}
    return [{"key": key, "label": label(key), **found[key]} for key in order if key in found]


def class_label(value):
    return value or _("no class")


def stage_label(value):
    return str(Stage(value).label) if value in Stage.values else value


def summary(user, run):
    rows = visible_rows(user, run)
    groups = [
        ("abc", _("By ABC class"), group_rows(rows, "abc_effective", [*ABC.values, ""], class_label)),
        ("stage", _("By relationship stage"), group_rows(rows, "stage_effective", Stage.values, stage_label)),
        ("xyz", _("By XYZ class"), group_rows(rows, "xyz_effective", [*XYZ.values, ""], class_label)),
    ]
    clients = sum(row["clients"] for row in groups[1][2])  # every row has a stage
    return {"groups": groups, "clients": clients}


def skipped_note(run):
    """ "N shipment lines in other currencies (EUR: 3, …) were left out", or ""."""
    skipped = {code: count for code, count in (run.skipped or {}).items() if isinstance(count, int) and count > 0}
    if not skipped:
        return ""
    total = sum(skipped.values())
    detail = ", ".join(f"{code}: {count}" for code, count in sorted(skipped.items()))
    return ngettext("%(count)s shipment line in other currencies (%(detail)s) was left out.",
                    "%(count)s shipment lines in other currencies (%(detail)s) were left out.",
                    total) % {"count": total, "detail": detail}


def report_links(user, run):
    """Links to the reports of this run; a report not installed (or not allowed) is left out."""
    links = []
    for slug, title in REPORTS:
        report = registry.reports[slug] if slug in registry.reports else None
        if report is None or not report.has_permission(user):
            continue
        links.append((getattr(report, "title", None) or title, f"{reverse('report', args=[slug])}?run={run.pk}"))
    return links


def status_context(request, run):
    """What the status block shows: progress while running, the summary once done."""
    user = request.user
    context = {"run": run, "finished": run.status in (AnalysisRun.Status.DONE, AnalysisRun.Status.FAILED),
               "can_start": can_start(user), "duration": duration_text(run)}
    if run.status == AnalysisRun.Status.DONE:
        page = paginate(visible_rows(user, run).select_related("counterparty", "main_manager"), ROWS_ORDERING,
                        request.GET.get("cursor"), ROWS_PER_PAGE)
        context.update(summary(user, run), page=page, table=RunRowTable(page.items),
                       skipped=skipped_note(run), reports=report_links(user, run))
    return context


class RunDetailView(RestrictedMixin, View):
    model = AnalysisRun

    def get(self, request, pk):
        run = get_object_or_404(self.get_queryset().select_related("started_by", "previous"), pk=pk)
        return render(request, "analytics/run_detail.html",
                      {**status_context(request, run), "period": period_text(run)})


class RunStatusView(RestrictedMixin, View):
    """The status block alone, polled by htmx every second until the run is done or failed."""

    model = AnalysisRun

    def get(self, request, pk):
        run = get_object_or_404(self.get_queryset(), pk=pk)
        return render(request, "analytics/run_detail.html#status", status_context(request, run))
