"""Orders: list, card with lines, shipments and payments, order analysis."""

urlpatterns = []
