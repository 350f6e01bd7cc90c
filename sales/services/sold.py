"""What counts as a sale (docs/analytics.md), in one place for the ORM-side figures: analytics' manager
indicators, plans and purchase dynamics, marketing's reports (the analysis engine spells the same in SQL)."""

from django.db.models import DecimalField, ExpressionWrapper, F

from ..models import Order, PlanFact, Shipment

LEFT_OUT_STATES = (Order.State.DRAFT, Order.State.FAILED)
AMOUNT = DecimalField(max_digits=32, decimal_places=5)  # quantity (3 places) × price (2)
SALE = ExpressionWrapper(F("quantity") * F("line__price"), output_field=AMOUNT)
COST = ExpressionWrapper(F("quantity") * F("line__cost"), output_field=AMOUNT)


def sale_shipments(shipments=None):
    """Actual shipments of ``shipments`` (default: all live ones) that are sales: line, order and
    client not in the trash, the order neither a draft nor fell through. Any currency."""
    shipments = Shipment.objects.all() if shipments is None else shipments
    return shipments.filter(kind=PlanFact.ACTUAL, line__deleted_at__isnull=True, order__deleted_at__isnull=True,
                            order__counterparty__deleted_at__isnull=True).exclude(order__state__in=LEFT_OUT_STATES)
