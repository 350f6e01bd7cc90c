"""Aggregates kept up to date as deals change, so that the sales pages do not scan history.

- ``Deal.furthest_stage``: the furthest non-lost stage of the deal's pipeline it has been in, now
  or in its stage history (the stage with the highest ``order``, ties by id). The funnel counts
  "reached stage N" as ``furthest_stage.order >= N`` from the deal row instead of walking
  ``StageChange``. Kept by ``Deal.save()`` when a deal is created or changes stage (board, form,
  API, conversion of inquiries), by ``StageChange.save()`` / ``delete()`` for history entries into
  another stage, by ``Stage.save()`` when a stage's order, kind or pipeline changes, and filled in
  bulk by the demo and bench generators and migration 0015. It does not depend on the client or
  the trash, so merges, soft delete and restore leave it right; hard delete removes the row with it.

- ``StageChange.furthest_before``: the furthest non-lost stage of the move's pipeline among the
  deal's earlier moves (by ``moved_at``, then id); empty for a first move. "The move that first
  brought the deal to stage N or further" (the interests report's proposals) is then a move into
  such a stage whose ``furthest_before`` is empty or before N — no search of earlier moves. Kept
  by ``StageChange.save()`` / ``delete()`` (the deal's few moves recomputed: a past move written
  afterwards shifts the later ones) and ``Stage.save()`` as above; the bench's single moves need
  nothing, the demo loader and migration 0016 fill it set-based.

- ``SaleDay``: an order's sales per day, kept by database triggers (``sales.sale_days``).

``rebuild()`` (``manage.py rebuild_sales_aggregates``) recomputes everything from scratch.
"""

from django.db.models import Exists, OuterRef, Q, Subquery


def furthest_stage_subquery(stage_model, change_model, deal_ref="pk"):
    """The furthest stage of the outer deal as a subquery (also used by the data migration with
    historical models): non-lost stages of the pipeline of the deal's current stage that are the
    current stage or appear in its history, highest order first."""
    in_history = change_model.objects.filter(deal=OuterRef(OuterRef(deal_ref)), to_stage=OuterRef("pk"))
    return Subquery(
        stage_model._base_manager.filter(pipeline__stages=OuterRef("stage_id"))
        .exclude(kind="lost")
        .filter(Q(pk=OuterRef("stage_id")) | Exists(in_history))
        .order_by("-order", "-pk").values("pk")[:1])


def furthest_before_subquery(stage_model, change_model):
    """The outer move's ``furthest_before`` as a subquery (also used by migration 0016)."""
    earlier = change_model.objects.filter(deal=OuterRef(OuterRef("deal_id")), to_stage=OuterRef("pk")).filter(
        Q(moved_at__lt=OuterRef(OuterRef("moved_at")))
        | Q(moved_at=OuterRef(OuterRef("moved_at")), pk__lt=OuterRef(OuterRef("pk"))))
    return Subquery(
        stage_model._base_manager.filter(pipeline__stages=OuterRef("to_stage_id")).exclude(kind="lost")
        .filter(Exists(earlier)).order_by("-order", "-pk").values("pk")[:1])


def refresh_furthest_before(changes):
    """Recompute ``furthest_before`` of the moves in the queryset ``changes`` (one UPDATE)."""
    from ..models import Stage, StageChange

    return StageChange.objects.filter(pk__in=changes.values("pk")).update(
        furthest_before=furthest_before_subquery(Stage, StageChange))


def refresh_furthest_stage(deals):
    """Recompute ``furthest_stage`` of the deals in the queryset ``deals`` (one UPDATE)."""
    from ..models import Deal, Stage, StageChange

    return Deal.all_objects.filter(pk__in=deals.values("pk")).update(
        furthest_stage=furthest_stage_subquery(Stage, StageChange))


def furthest_after_entering(deal):
    """Keep ``deal.furthest_stage`` after the deal entered its current stage (history written)."""
    from ..models import Deal

    refresh_furthest_stage(Deal.all_objects.filter(pk=deal.pk))
    # Forget the in-memory value: it is loaded again when read, and a later deal.save() writes only
    # the loaded fields (Django's rule for deferred fields), so it cannot put a stale value back.
    deal.__dict__.pop("furthest_stage_id", None)
    deal._state.fields_cache.pop("furthest_stage", None)


def expected_furthest(stage, history_stages):
    """The furthest stage from Python objects: ``stage`` now and the stages of its history (generators)."""
    candidates = [s for s in [stage, *history_stages]
                  if s.pipeline_id == stage.pipeline_id and s.kind != "lost"]
    return max(candidates, key=lambda s: (s.order, s.pk), default=None)


def rebuild():
    """Recompute every maintained aggregate from scratch; returns {name: rows updated}."""
    from .. import sale_days
    from ..models import Deal, StageChange

    counts = {"deal furthest stage": refresh_furthest_stage(Deal.all_objects.all()),
              "stage change furthest before": refresh_furthest_before(StageChange.objects.all()),
              "sale days": sale_days.rebuild()}
    return counts
