"""A deal's amount follows its product lines.

``recalc_amount(deal)`` stores Σ quantity × price of the deal's live lines on the deal when it has
lines; a deal without lines keeps the amount typed in. ``DealLine.save()`` (form, formset, API,
trash restore) and ``hard_delete()`` call it, so the board, the forecast and the dashboard, which
read ``Deal.amount``, follow.
"""

from decimal import Decimal

from django.db.models import DecimalField, F, Sum

CENT = Decimal("0.01")
# Sums of quantity × price keep every digit until rounded once to cents (SQLite computes in floats).
PRODUCT = DecimalField(max_digits=32, decimal_places=5)


def lines_total(deal_id):
    """Σ quantity × price of the live lines, or None when the deal has none."""
    from ..models import DealLine

    total = DealLine.objects.filter(deal_id=deal_id).aggregate(
        total=Sum(F("quantity") * F("price"), output_field=PRODUCT))["total"]
    return None if total is None else Decimal(total).quantize(CENT)


def recalc_amount(deal):
    """Store the lines' total on ``deal`` (one aggregate, one UPDATE without a version bump: the
    amount is derived, not edited). Returns the deal."""
    from ..models import Deal

    total = lines_total(deal.pk)
    if total is not None:
        Deal.all_objects.filter(pk=deal.pk).update(amount=total)
        deal.amount = total
    return deal
