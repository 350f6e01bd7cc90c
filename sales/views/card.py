"""The Deals, Orders and Documents tabs of a client card, loaded lazily (htmx) like Interactions."""

from django.db.models import Case, Value, When
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from clients.models import Counterparty
from core import access
from core.views import generic

from ..models import Deal, Document, Order, Stage
from ..services import orders

ROWS = 100  # per tab; the full list is a click away


class CardTabView(generic.RestrictedMixin, View):
    """404 unless the user sees the client; rows are the user's ``restrict`` scope of the tab's model."""

    template_name = None

    def get(self, request, pk):
        counterparty = get_object_or_404(Counterparty.objects.restrict(request.user), pk=pk)
        rows = list(self.rows(self.get_queryset().filter(counterparty=counterparty))[:ROWS + 1])
        # Adding from the card needs both: the right to add the tab's rows and to change the client.
        can_add = access.can(request.user, access.ADD, self.model) and Counterparty.objects.restrict(
            request.user, access.CHANGE).filter(pk=pk).exists()
        context = {"counterparty": counterparty, "rows": rows[:ROWS], "more": len(rows) > ROWS, "can_add": can_add}
        return render(request, self.template_name, {**context, **self.tab_context(counterparty, context["rows"])})

    def rows(self, qs):
        return qs

    def tab_context(self, counterparty, rows):
        return {}


class CardDealsView(CardTabView):
    model = Deal
    template_name = "sales/card/deals.html"

    def rows(self, qs):
        # Open deals first, then the closed ones, newest first.
        is_closed = Case(When(stage__kind=Stage.Kind.OPEN, then=Value(0)), default=Value(1))
        return qs.select_related("stage", "responsible", "lost_reason").order_by(
            is_closed, "-created_at", "-pk")

    def tab_context(self, counterparty, rows):
        return {"add_url": f"{reverse('sales:deal_add')}?counterparty={counterparty.pk}",
                "list_url": f"{reverse('sales:deal_list')}?counterparty={counterparty.pk}"}


class CardOrdersView(CardTabView):
    model = Order
    template_name = "sales/card/orders.html"

    def rows(self, qs):
        return qs.select_related("responsible", "failure_reason").order_by("-date", "-pk")

    def tab_context(self, counterparty, rows):
        # Shipped and paid as "Order analysis" counts them: two grouped queries for the whole page.
        for item in orders.analysis(rows):
            item.order.shipped, item.order.paid = item.shipped, item.paid
        return {"add_url": f"{reverse('sales:order_add')}?counterparty={counterparty.pk}",
                "list_url": f"{reverse('sales:order_list')}?counterparty={counterparty.pk}"}


class CardDocumentsView(CardTabView):
    model = Document
    template_name = "sales/card/documents.html"

    def rows(self, qs):
        return qs.select_related("deal", "order", "created_by").order_by("-created_at", "-pk")
