"""Deals: list, edit, kanban board and its move endpoint; pipeline, stage and rule settings."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views import View

from clients.models import Counterparty
from core import access
from core.filtersets import name_filterset
from core.models import ConflictError
from core.views import generic

from ..filtersets import DealFilterSet, StageRuleFilterSet
from ..forms import DealForm, PipelineForm, StageForm, StageRuleForm
from ..models import Deal, LostReason, Pipeline, Stage, StageRule
from ..services import board
from ..services.stages import move_deal, stage_entered
from ..tables import DealTable, PipelineTable, StageRuleTable


class DealListView(generic.ObjectListView):
    model = Deal
    filterset_class = DealFilterSet
    table_class = DealTable
    export_name = "deals"
    add_url_name = "sales:deal_add"
    walks = False  # see ObjectListView.walks

    def get_base_queryset(self):
        return self.get_queryset().select_related("counterparty", "stage", "responsible")


class DealEditView(generic.ObjectEditView):
    model = Deal
    form_class = DealForm
    template_name = "sales/deal_edit.html"
    delete_url_name = "sales:deal_delete"

    def get_form(self, obj, data=None):
        self.stage_before = obj.stage if obj.pk else None
        initial = {}
        if not obj.pk:
            initial["responsible"] = self.request.user.pk
            cp = self.request.GET.get("counterparty", "")
            if cp.isdigit():
                get_object_or_404(Counterparty.objects.restrict(self.request.user, access.CHANGE), pk=cp)
                initial["counterparty"] = int(cp)
        return self.form_class(data, instance=obj, user=self.request.user, initial=initial)

    def save(self, form):
        deal = form.instance
        moved = self.stage_before is not None and self.stage_before.pk != deal.stage_id
        if moved and deal.probability in (None, self.stage_before.probability):
            deal.probability = deal.stage.probability  # still the old stage's default: take the new one
        if self.stage_before is None or moved:  # as on the board: won / lost deals know when they closed
            deal.closed_at = timezone.now() if deal.stage.is_closed else None
        deal = form.save()
        if self.stage_before is None or moved:
            stage_entered(deal, self.stage_before, self.request.user)
        return deal

    def form_context(self, obj, form):
        if not obj.pk:
            return {}
        return {"changes": obj.stage_changes.select_related("from_stage", "to_stage", "moved_by")
                .order_by("-moved_at", "-pk")[:50]}


class DealDeleteView(generic.ObjectDeleteView):
    model = Deal
    success_url_name = "sales:deal_list"


class BoardView(generic.RestrictedMixin, View):
    model = Deal

    def get(self, request, pk=None):
        if pk is None:
            pipeline = Pipeline.default()
            if pipeline is None:
                raise Http404
            return redirect("sales:board", pk=pipeline.pk)
        pipeline = get_object_or_404(Pipeline.objects.all(), pk=pk)
        if not access.can(request.user, access.VIEW, Deal):
            raise Http404
        return render(request, "sales/board.html", {
            "pipeline": pipeline, "pipelines": Pipeline.objects.all(),
            "columns": board.board_columns(request.user, pipeline),
            "can_change": access.can(request.user, access.CHANGE, Deal),
            "can_add": access.can(request.user, access.ADD, Deal),
            "lost_reasons": LostReason.objects.all(),
        })


def _totals_json(user, pipeline):
    return {str(stage_id): {"count": total["count"],
                            "sums": [f"{number_format(amount, 2, force_grouping=True)} {currency}"
                                     for currency, amount in total["sums"]]}
            for stage_id, total in board.column_totals(user, pipeline).items()}


class DealMoveView(generic.RestrictedMixin, View):
    """POST stage, version: move a deal on the board. 404 unless the user may change the deal."""

    model = Deal

    def post(self, request, pk):
        deal = Deal.objects.restrict(request.user, access.CHANGE).select_related("stage").filter(pk=pk).first()
        if deal is None:
            return JsonResponse({"message": _("This deal does not exist or you may not change it.")}, status=404)
        data = request.POST
        if not data.get("stage", "").isdigit() or not data.get("version", "").isdigit():
            return JsonResponse({"message": _("The move could not be understood. Reload the page.")}, status=400)
        stage = Stage.objects.filter(pk=data["stage"], pipeline_id=deal.stage.pipeline_id).first()
        if stage is None:
            return JsonResponse({"message": _("The stage belongs to another pipeline.")}, status=400)
        reason_id = data.get("lost_reason", "")
        lost_reason = LostReason.objects.filter(pk=reason_id).first() if reason_id.isdigit() else None
        if reason_id and lost_reason is None:
            return JsonResponse({"message": _("Choose why the deal was lost.")}, status=400)
        comment = data.get("comment", "").strip() if "comment" in data else None
        try:
            with transaction.atomic():
                move_deal(deal, stage, request.user, int(data["version"]), lost_reason=lost_reason,
                          comment=comment)
        except ConflictError:
            return JsonResponse({"message": _(
                "Someone else has changed this deal since the board was loaded. Nothing was moved: "
                "reload the board to see the current version.")}, status=409)
        except ValidationError as exc:
            return JsonResponse({"message": " ".join(exc.messages)}, status=400)
        deal.refresh_from_db()
        html = render_to_string("sales/includes/card.html", {"deal": deal, "can_change": True}, request=request)
        return JsonResponse({
            "ok": True, "version": deal.version, "html": html,
            "totals": _totals_json(request.user, stage.pipeline),
            "message": _("“%(title)s” moved to “%(stage)s”.") % {"title": deal.title, "stage": stage.name},
        })


# --- Settings (administrators): pipelines, stages, stage rules ------------------------------

class PipelineListView(generic.ObjectListView):
    model = Pipeline
    filterset_class = name_filterset(Pipeline)
    table_class = PipelineTable
    add_url_name = "sales:pipeline_add"


class SettingsEditView(generic.ObjectEditView):
    list_url = None

    def success_url(self, obj):
        return reverse(self.list_url)


class PipelineEditView(SettingsEditView):
    model = Pipeline
    form_class = PipelineForm
    template_name = "sales/pipeline_edit.html"
    list_url = "sales:pipeline_list"

    def form_context(self, obj, form):
        if not obj.pk:
            return {}
        return {"stages": obj.stages.order_by("order", "pk").prefetch_related("rules")}

    def save(self, form):
        pipeline = form.save()
        if pipeline.is_default:  # one default pipeline: the board and new deals start there
            for other in Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk):
                other.is_default = False
                other.save(check_version=False)
        return pipeline


class StageEditView(SettingsEditView):
    model = Stage
    form_class = StageForm

    def get_form(self, obj, data=None):
        initial = {}
        if not obj.pk and self.request.GET.get("pipeline", "").isdigit():
            initial["pipeline"] = int(self.request.GET["pipeline"])
        return self.form_class(data, instance=obj, user=self.request.user, initial=initial)

    def success_url(self, obj):
        return reverse("sales:pipeline_edit", args=[obj.pipeline_id])


class StageRuleListView(generic.ObjectListView):
    model = StageRule
    filterset_class = StageRuleFilterSet
    table_class = StageRuleTable
    add_url_name = "sales:rule_add"

    def get_base_queryset(self):
        return self.get_queryset().select_related("stage__pipeline", "user")


class StageRuleEditView(SettingsEditView):
    model = StageRule
    form_class = StageRuleForm
    list_url = "sales:rule_list"
    delete_url_name = "sales:rule_delete"

    def get_form(self, obj, data=None):
        initial = {}
        if not obj.pk and self.request.GET.get("stage", "").isdigit():
            initial["stage"] = int(self.request.GET["stage"])
        return self.form_class(data, instance=obj, user=self.request.user, initial=initial)


class StageRuleDeleteView(generic.ObjectDeleteView):
    model = StageRule
    success_url_name = "sales:rule_list"
