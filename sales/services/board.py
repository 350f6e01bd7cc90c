"""The kanban board: the deals a user may see, by stage, with totals computed in the database."""

from django.db.models import Count, Sum

from core import access
from core.pagination import serial

from .. import rollups
from ..models import Deal, Stage

# Enough to work a column; the rest is one click away in the list (and keeps the page fast).
CARDS_PER_COLUMN = 20


def column_totals(user, pipeline):
    """{stage id: {"count": n, "sums": [(currency, amount), …]}} for the user's visible deals."""
    # The pipeline's stage ids as an uncorrelated subquery: no join to the stages per deal row.
    stage_ids = Stage.all_objects.filter(pipeline=pipeline).values("pk")
    if rollups.reads_totals(user):  # the rollup, not 200 000 deals
        rows = rollups.totals(user, ["stage_id", "currency"], stage__in=stage_ids)
    else:
        rows = (Deal.objects.restrict(user, access.VIEW).filter(stage__in=stage_ids)
                .values("stage_id", "currency").annotate(n=Count("id"), total=Sum("amount")).order_by())
    totals = {}
    for row in sorted(rows, key=lambda r: (r["stage_id"], r["currency"])):
        column = totals.setdefault(row["stage_id"], {"count": 0, "sums": []})
        column["count"] += row["n"]
        column["sums"].append((row["currency"], row["total"]))
    return totals


def board_columns(user, pipeline):
    """Stages with their cards (newest first, capped per column) and totals."""
    # Every query here reads a few rows (the rollup, a sales manager's shared clients, a column's
    # cards walking the (stage, updated) index): no parallel workers to start.
    with serial():
        totals = column_totals(user, pipeline)
        # The scope's form for such a walk: a sales manager's clients checked by a join, not collected.
        visible = Deal.objects.restrict(user, access.VIEW, walk=True).select_related("counterparty", "responsible")
        stages = list(pipeline.stages.order_by("order", "pk"))
        newest = {stage.pk: list(visible.filter(stage=stage).order_by("-updated_at", "-id")[:CARDS_PER_COLUMN])
                  for stage in stages}
    columns = []
    for stage in stages:
        total = totals.get(stage.pk, {"count": 0, "sums": []})
        cards = newest[stage.pk]
        columns.append({"stage": stage, "cards": cards, "count": total["count"], "sums": total["sums"],
                        "more": max(total["count"] - len(cards), 0)})
    return columns
