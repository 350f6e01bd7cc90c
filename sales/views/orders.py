"""Orders: list, card with lines, shipments and payments, order analysis; failure reason settings."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import View

from clients.models import Counterparty
from core import access, history
from core.export import csv_response, xlsx_response
from core.filtersets import fits_bigint
from core.models import ConflictError
from core.pagination import paginate
from core.views import generic

from ..filtersets import OrderFilterSet
from ..forms import OrderForm, OrderStateForm, PaymentForm, ShipmentForm
from ..models import Deal, Order, OrderFailureReason, OrderLine, Payment, PlanFact, Shipment
from ..models.products import catalog_label
from ..services import orders as service
from ..tables import OrderTable

ANALYSIS_PER_PAGE = 50
EXPORT_CHUNK = 500  # orders analysed per batch when exporting everything that matches


class OrderListView(generic.ObjectListView):
    model = Order
    filterset_class = OrderFilterSet
    table_class = OrderTable
    template_name = "sales/order_list.html"
    export_name = "orders"
    add_url_name = "sales:order_add"

    def get_base_queryset(self):
        return self.get_queryset().select_related("counterparty", "responsible", "failure_reason")

    def extra_context(self):
        return {"analysis_url": reverse("sales:order_analysis")}


class OrderEditView(generic.ObjectEditView):
    """The order with its lines; ``?counterparty=`` or ``?deal=`` prefill a new one."""

    model = Order
    form_class = OrderForm
    template_name = "sales/order_edit.html"
    delete_url_name = "sales:order_delete"

    def get_form(self, obj, data=None):
        initial, line_initial = {}, None
        if not obj.pk:
            initial["responsible"] = self.request.user.pk
            cp = self.request.GET.get("counterparty", "")
            if cp.isdigit():
                get_object_or_404(Counterparty.objects.restrict(self.request.user, access.CHANGE), pk=cp)
                initial["counterparty"] = int(cp)
            deal_id = self.request.GET.get("deal", "")
            if deal_id.isdigit():
                deal = get_object_or_404(Deal.objects.restrict(self.request.user, access.CHANGE), pk=deal_id)
                initial.update(deal=deal.pk, counterparty=deal.counterparty_id, currency=deal.currency)
                if data is None:  # the deal's products become the order's first lines
                    line_initial = [line_values(line) for line in deal.lines.select_related("catalog_product")
                                    .order_by("pk")] or None
        return self.form_class(data, instance=obj, user=self.request.user, initial=initial,
                               line_initial=line_initial)

    def form_context(self, obj, form):
        if obj.pk:
            return {"cancel_url": obj.get_absolute_url()}
        cp = self.request.GET.get("counterparty", "")
        return {"cancel_url": reverse("clients:counterparty", args=[cp]) if cp.isdigit()
                else reverse("sales:order_list")}


class OrderDealOptionsView(generic.RestrictedMixin, View):
    """The order form's deal select for ``?counterparty=`` (htmx swaps it in when the client changes)."""

    model = Deal

    def get(self, request):
        initial = {name: request.GET.get(name, "") for name in ("counterparty", "deal")}
        initial = {name: int(value) for name, value in initial.items() if value.isdigit() and fits_bigint(value)}
        form = OrderForm(instance=Order(), user=request.user, initial=initial)
        return HttpResponse(str(form["deal"]))


class OrderDeleteView(generic.ObjectDeleteView):
    model = Order
    success_url_name = "sales:order_list"


# --- The order card ------------------------------------------------------------------------------

def _can_change(user, order):
    return access.may(user, access.CHANGE, order)


def _plans_and_facts(model, order):
    """Planned rows (with how much is still not covered) and actual ones, by date."""
    planned = list(service.with_coverage(model.objects.filter(order=order, kind=PlanFact.PLANNED)))
    actual = list(model.objects.filter(order=order, kind=PlanFact.ACTUAL))
    rows = sorted(planned + actual, key=lambda row: (row.date, row.pk))
    if model is Shipment:
        lines = {line.pk: line for line in OrderLine.all_objects.filter(order=order).select_related("catalog_product")}
        for row in rows:
            row.line = lines[row.line_id]
            row.line_label = catalog_label(row.line)
    return rows


def _history(order):
    records = list(Order.history.filter(id=order.pk).order_by("history_date")[:500])
    for model in (OrderLine, Shipment, Payment):
        records += model.history.filter(order_id=order.pk).order_by("history_date")[:500]
    return history.entries(records)


def render_card(request, order, *, shipment_form=None, payment_form=None, status=200):
    user = request.user
    can_change = _can_change(user, order)
    today = timezone.localdate()
    if can_change:
        shipment_form = shipment_form or ShipmentForm(order=order, user=user, initial={"date": today})
        payment_form = payment_form or PaymentForm(order=order, user=user, initial={"date": today})
    context = {
        "object": order, "opts": Order._meta,
        "analysis": service.analysis_of(order),
        "shipments": _plans_and_facts(Shipment, order),
        "payments": _plans_and_facts(Payment, order),
        "can_change": can_change,
        "can_delete": access.may(user, access.DELETE, order),
        "can_add_shipment": can_change and access.can(user, access.ADD, Shipment),
        "can_add_payment": can_change and access.can(user, access.ADD, Payment),
        "shipment_form": shipment_form, "payment_form": payment_form,
        "failure_reasons": OrderFailureReason.objects.all(),
        "history": _history(order),
    }
    return render(request, "sales/order_detail.html", context, status=status)


class OrderDetailView(generic.ObjectDetailView):
    model = Order

    def get(self, request, pk):
        order = get_object_or_404(self.get_queryset().select_related(
            "counterparty", "deal", "responsible", "failure_reason"), pk=pk)
        return render_card(request, order)


def _back(order, anchor=""):
    return HttpResponseRedirect(f"{order.get_absolute_url()}{anchor}")


class OrderChildAddView(generic.RestrictedMixin, View):
    """POST a shipment or a payment of an order the user may change; errors re-render the card."""

    model = None
    form_class = None
    form_name = ""
    anchor = ""

    def post(self, request, pk):
        order = get_object_or_404(Order.objects.restrict(request.user, access.CHANGE), pk=pk)
        if not access.can(request.user, access.ADD, self.model):
            raise PermissionDenied
        form = self.form_class(request.POST, order=order, user=request.user)
        if form.is_valid():
            try:
                with transaction.atomic():
                    obj = self.save(form.instance)
            except ValidationError as exc:  # lost a race for the last units of a line
                form._update_errors(exc)
            else:
                messages.success(request, _("Saved: %(name)s") % {"name": obj})
                if obj.kind == PlanFact.ACTUAL and service.complete_if_done(order):
                    messages.info(request, _("The order is fully shipped and paid: it is completed."))
                return _back(order, self.anchor)
        return render_card(request, order, status=400, **{self.form_name: form})

    def save(self, obj):
        raise NotImplementedError


class ShipmentAddView(OrderChildAddView):
    model = Shipment
    form_class = ShipmentForm
    form_name = "shipment_form"
    anchor = "#shipments"

    def save(self, obj):
        return service.save_shipment(obj)


class PaymentAddView(OrderChildAddView):
    model = Payment
    form_class = PaymentForm
    form_name = "payment_form"
    anchor = "#payments"

    def save(self, obj):
        return service.save_payment(obj)


class PlanDoneView(generic.RestrictedMixin, View):
    """Mark a planned shipment / payment as done: the actual one is created for what it still lacks."""

    model = None
    anchor = ""

    def post(self, request, pk):
        qs = self.model.objects.restrict(request.user, access.CHANGE).filter(kind=PlanFact.PLANNED)
        plan = get_object_or_404(service.with_coverage(qs).select_related("order"), pk=pk)
        order = plan.order
        if not _can_change(request.user, order) or not access.can(request.user, access.ADD, self.model):
            raise PermissionDenied
        if plan.uncovered <= 0:
            messages.info(request, _("This plan is already covered by the actual ones."))
            return _back(order, self.anchor)
        try:
            with transaction.atomic():
                actual = self.make_actual(plan)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return _back(order, self.anchor)
        messages.success(request, _("Saved: %(name)s") % {"name": actual})
        if service.complete_if_done(order):
            messages.info(request, _("The order is fully shipped and paid: it is completed."))
        return _back(order, self.anchor)


class ShipmentDoneView(PlanDoneView):
    model = Shipment
    anchor = "#shipments"

    def make_actual(self, plan):
        return service.save_shipment(Shipment(
            order=plan.order, line_id=plan.line_id, kind=PlanFact.ACTUAL, date=timezone.localdate(),
            quantity=plan.uncovered, comment=plan.comment))


class PaymentDoneView(PlanDoneView):
    model = Payment
    anchor = "#payments"

    def make_actual(self, plan):
        return service.save_payment(Payment(
            order=plan.order, kind=PlanFact.ACTUAL, date=timezone.localdate(), amount=plan.uncovered,
            invoice_number=plan.invoice_number, comment=plan.comment))


class OrderChildDeleteView(generic.RestrictedMixin, View):
    model = None
    anchor = ""

    def post(self, request, pk):
        obj = get_object_or_404(self.model.objects.restrict(request.user, access.DELETE).select_related("order"),
                                pk=pk)
        obj.delete()
        messages.success(request, _("Moved to the trash: %(name)s") % {"name": obj})
        return _back(obj.order, self.anchor)


class ShipmentDeleteView(OrderChildDeleteView):
    model = Shipment
    anchor = "#shipments"


class PaymentDeleteView(OrderChildDeleteView):
    model = Payment
    anchor = "#payments"


class OrderStateView(generic.RestrictedMixin, View):
    """Complete (fully shipped and paid, or on purpose), fall through with a reason, or reopen."""

    model = Order

    def post(self, request, pk):
        order = get_object_or_404(self.get_queryset(access.CHANGE), pk=pk)
        form = OrderStateForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The change could not be understood. Reload the page."))
            return _back(order)
        data = form.cleaned_data
        try:
            with transaction.atomic():
                service.change_state(order, data["state"], version=data["version"], reason=data["failure_reason"],
                                     comment=data["failure_comment"], force=data["force"])
        except ConflictError:
            messages.error(request, _("Someone else has changed this order meanwhile. Nothing was changed: "
                                      "check the current version."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The order is now “%(state)s”.") % {"state": order.get_state_display()})
        return _back(order)


# --- Order analysis across orders -----------------------------------------------------------------

def line_values(deal_line):
    """An order line's initial values from a deal line; a catalogue product still sold brings its cost."""
    values = {"product": deal_line.product, "quantity": deal_line.quantity, "price": deal_line.price}
    product = deal_line.catalog_product
    if product is not None and product.is_active and product.deleted_at is None:
        values.update(catalog_product=product.pk, cost=product.cost)
    return values


def analysis_rows(items):
    """Export rows: each line of each order, then the order's total."""
    for item in items:
        order = item.order
        head = [order.number, order.date, order.counterparty.name, order.currency]
        for line in item.lines:
            yield [*head, line.line.product_label, line.ordered_qty, line.ordered, line.shipped_qty, line.shipped,
                   line.left_qty, line.left, line.paid, line.owed, line.debt]
        yield [*head, _("Order total"), None, item.ordered, None, item.shipped, None, item.left, item.paid,
               item.owed, item.debt]


def currency_totals(items):
    totals = {}
    for item in items:
        row = totals.setdefault(item.currency, dict.fromkeys(
            ("ordered", "shipped", "left", "paid", "owed", "debt"), Decimal("0")))
        for key in row:
            row[key] += getattr(item, key)
    return sorted(totals.items())


class OrderAnalysisView(generic.ObjectListView):
    """Ordered / shipped / paid / owed per order and line, with the order list's filters."""

    model = Order
    filterset_class = OrderFilterSet
    table_class = OrderTable
    template_name = "sales/order_analysis.html"
    export_name = "order-analysis"

    def get_base_queryset(self):
        return self.get_queryset().select_related("counterparty", "responsible")

    def get(self, request):
        filterset, qs = self.filtered()
        sort, ordering = self.table_class.ordering_for(request.GET.get("sort"))
        export = request.GET.get("export")
        if filterset.errors and export:
            return generic.filter_errors_response(filterset)
        if export in ("csv", "xlsx"):
            return self.export(qs.order_by(*ordering), export)
        page = paginate(qs, ordering, request.GET.get("cursor"), ANALYSIS_PER_PAGE)
        items = service.analysis(page.items)
        return render(request, self.template_name, {
            "opts": Order._meta, "filterset": filterset, "page": page, "items": items, "sort": sort,
            "totals": currency_totals(items), "query": self.query_without("cursor", "export", "sort"),
        }, status=400 if filterset.errors else 200)

    def export(self, qs, kind):
        header = [pgettext("sales order", "Order"), _("Date"), _("Client"), _("Currency"), _("Product"),
                  _("Ordered, qty"), _("Ordered"), _("Shipped, qty"), _("Shipped"), _("Left to ship, qty"),
                  _("Left to ship"), _("Paid"), _("Owed"), _("Debt for shipped")]

        def rows():
            yield header
            chunk = []
            for order in qs.iterator(chunk_size=EXPORT_CHUNK):
                chunk.append(order)
                if len(chunk) == EXPORT_CHUNK:
                    yield from analysis_rows(service.analysis(chunk))
                    chunk = []
            yield from analysis_rows(service.analysis(chunk))

        if kind == "csv":
            return csv_response(rows(), self.export_name)
        return xlsx_response(rows(), self.export_name, title=_("Order analysis"))
