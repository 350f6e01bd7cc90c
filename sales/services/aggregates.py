"""Aggregates kept up to date as deals change, so that the sales pages do not scan history.

- ``Deal.furthest_stage``: the furthest non-lost stage of the deal's pipeline it has been in, now
  or in its stage history (the stage with the highest ``order``, ties by id). The funnel counts
  "reached stage N" as ``furthest_stage.order >= N`` from the deal row instead of walking
  ``StageChange``. Kept by ``Deal.save()`` when a deal is created or changes stage (board, form,
  API, conversion of inquiries), by ``StageChange.save()`` / ``delete()`` for history entries into
  another stage, by ``Stage.save()`` when a stage's order, kind or pipeline changes, and filled in
  bulk by the demo and bench generators and migration 0015. It does not depend on the client or
  the trash, so merges, soft delete and restore leave it right; hard delete removes the row with it.

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
    from ..models import Deal

    counts = {"deal furthest stage": refresh_furthest_stage(Deal.all_objects.all())}
    return counts
