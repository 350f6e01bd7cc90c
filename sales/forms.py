from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from activities.forms import CounterpartyBoundForm
from core.forms import BaseModelForm, DateInput

from .models import (
    Deal,
    DealLine,
    Document,
    DocumentKind,
    DocumentTemplate,
    Order,
    OrderFailureReason,
    OrderLine,
    Payment,
    Pipeline,
    PlanFact,
    Product,
    ProductCategory,
    Shipment,
    Stage,
    StageRule,
)


class ProductSelect(forms.Select):
    """Options carry the product's name, price and cost: picking one fills the line in the browser
    (static/js/app.js); the fields stay editable."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        product = getattr(value, "instance", None)
        if product is not None:
            option["attrs"].update({"data-name": product.name, "data-price": str(product.price),
                                    "data-cost": str(product.cost)})
        return option


class CatalogLineMixin:
    """A line may pick a catalogue product: only active ones for a new pick (the line's current one
    stays, so an unchanged save keeps it); a blank name / price (/ cost) is filled from the product,
    and so are those left as they were when the product is changed without a script."""

    filled_fields = ("product", "price")

    def setup_catalog(self):
        from .services.catalogue import pickable_products

        field = self.fields["catalog_product"]
        field.queryset = pickable_products(self.instance.catalog_product_id)
        field.empty_label = _("— free text —")
        for name in self.filled_fields:
            self.fields[name].required = False

    def clean(self):
        from .services.catalogue import fill_from_product, pick_error

        data = super().clean()
        product = data.get("catalog_product")
        error = pick_error(product, self.instance.catalog_product_id)
        if error:
            self.add_error("catalog_product", error)
        elif product is not None:
            picked = "catalog_product" in self.changed_data
            replace = [f for f in self.filled_fields if picked and f not in self.changed_data]
            fill_from_product(data, product, self.filled_fields, replace=replace)
        for name in self.filled_fields:
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, forms.ValidationError(self.fields[name].error_messages["required"],
                                                           code="required"))
        return data


class DealLineForm(CatalogLineMixin, BaseModelForm):
    class Meta:
        model = DealLine
        fields = ["catalog_product", "product", "quantity", "price"]
        widgets = {"catalog_product": ProductSelect(attrs={"data-catalog-pick": "deal"})}
        labels = {"catalog_product": _("From the catalogue")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_catalog()


DealLineFormSet = forms.inlineformset_factory(Deal, DealLine, form=DealLineForm, extra=2, can_delete=True)


class DealForm(CounterpartyBoundForm):
    class Meta:
        model = Deal
        fields = ["title", "counterparty", "stage", "amount", "currency", "probability",
                  "expected_close_date", "responsible", "lead_source", "lost_reason", "result_comment"]
        widgets = {"expected_close_date": DateInput,
                   "result_comment": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"probability": _("Empty: the stage's probability.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.restrict_counterparty()
        self.restrict_assign("responsible")
        self.fields["responsible"].queryset = get_user_model().objects.filter(is_active=True)
        self.fields["stage"].queryset = Stage.objects.filter(pipeline__deleted_at__isnull=True).select_related(
            "pipeline").order_by("pipeline__order", "pipeline_id", "order")
        if len(Pipeline.objects.all()[:2]) > 1:
            self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline} · {s}"
        if not self.instance.pk and "stage" not in self.initial:
            pipeline = Pipeline.default()
            first = pipeline.first_stage() if pipeline else None
            self.initial["stage"] = first.pk if first else None
        if self.instance.has_lines:
            # The amount is the lines' sum (Deal.save): shown, not typed.
            self.fields["amount"].disabled = True
            self.fields["amount"].help_text = _("The sum of the products below.")
        self._style()
        # The products are part of the deal's form: saved together, in one transaction.
        self.lines = DealLineFormSet(self.data or None, instance=self.instance, prefix="lines",
                                     form_kwargs={"user": self.user})

    def is_valid(self):
        return all([super().is_valid(), self.lines.is_valid()])

    def save(self, commit=True):
        deal = super().save(commit)
        self.lines.instance = deal
        for line in self.lines.save(commit=False):
            line.save()
        for line in self.lines.deleted_objects:
            line.delete()  # soft delete, like everything else
        return deal

    def clean_responsible(self):
        from core import access

        if not access.can_assign(self.user) and not self.instance.pk:
            return self.user
        return self.cleaned_data.get("responsible")

    def clean_lost_reason(self):
        stage, reason = self.cleaned_data.get("stage"), self.cleaned_data.get("lost_reason")
        if stage is not None and stage.kind == Stage.Kind.LOST and reason is None:
            raise forms.ValidationError(_("Choose why the deal was lost."))
        # Leaving the lost stage drops the reason instead of failing Deal.clean().
        return reason if stage is None or stage.kind == Stage.Kind.LOST else None


class PipelineForm(BaseModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "is_default", "order"]


class StageForm(BaseModelForm):
    class Meta:
        model = Stage
        fields = ["pipeline", "name", "order", "probability", "kind"]


class StageRuleForm(BaseModelForm):
    class Meta:
        model = StageRule
        fields = ["stage", "title", "description", "assignee_kind", "user", "role", "deadline_amount",
                  "deadline_unit", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.select_related("pipeline").order_by(
            "pipeline__order", "pipeline_id", "order")
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline} · {s}"
        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True)


# --- Product catalogue ----------------------------------------------------------------------------

class ProductForm(BaseModelForm):
    class Meta:
        model = Product
        fields = ["kind", "name", "article", "category", "unit", "price", "cost", "currency", "is_active",
                  "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ProductCategoryForm(BaseModelForm):
    class Meta:
        model = ProductCategory
        fields = ["name", "parent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # not inside itself (the tree below it is checked on save)
            self.fields["parent"].queryset = ProductCategory.objects.exclude(pk=self.instance.pk)


# --- Documents from templates ---------------------------------------------------------------------

class DocumentTemplateForm(BaseModelForm):
    """An uploaded DOCX is accepted only if docxtpl can fill it in with a sample context."""

    use_builtin = forms.BooleanField(label=_("Remove the uploaded file (use the built-in template)"),
                                     required=False)

    class Meta:
        model = DocumentTemplate
        fields = ["name", "kind", "file", "is_active"]
        # A plain input: the clearable one links the file's MEDIA_URL, which is never served.
        widgets = {"file": forms.FileInput(attrs={"accept": ".docx"})}
        help_texts = {"file": _("A .docx with the tags of the built-in template. Empty: the built-in "
                                "template of the kind is used.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.file:
            del self.fields["use_builtin"]

    def clean(self):
        from django.core.files.uploadedfile import UploadedFile

        from .services.documents import check_docx_template

        data = super().clean()
        upload, kind = data.get("file"), data.get("kind")
        if isinstance(upload, UploadedFile):
            if kind:
                try:
                    check_docx_template(upload, kind)
                except forms.ValidationError as exc:
                    self.add_error("file", exc)
        elif data.get("use_builtin"):
            data["file"] = False  # FileField.save_form_data() clears the field
        return data


class DocumentGenerateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    format = forms.ChoiceField(label=_("Format"), choices=Document.Format.choices)
    template = forms.ModelChoiceField(label=_("Template"), required=False, empty_label=_("Default"),
                                      queryset=DocumentTemplate.objects.filter(is_active=True))
    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Interface language")), *settings.LANGUAGES]

    def clean(self):
        data = super().clean()
        template, kind = data.get("template"), data.get("kind")
        if template is not None and kind and template.kind != kind:
            self.add_error("template", _("This template is for another kind of document."))
        return data


# --- Orders ----------------------------------------------------------------------------------------

DATE_INPUT = DateInput


class OrderLineForm(CatalogLineMixin, BaseModelForm):
    filled_fields = ("product", "price", "cost")

    class Meta:
        model = OrderLine
        fields = ["catalog_product", "product", "quantity", "price", "cost"]
        widgets = {"catalog_product": ProductSelect(attrs={"data-catalog-pick": "order"})}
        labels = {"catalog_product": _("From the catalogue")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_catalog()

    def clean_quantity(self):
        from .services.orders import check_line_change

        quantity = self.cleaned_data.get("quantity")
        try:
            check_line_change(self.instance, quantity=quantity)
        except forms.ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["quantity"]) from None
        return quantity


class BaseOrderLineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        from .services.orders import check_line_change

        super().clean()
        for form in self.deleted_forms:
            if form.instance.pk:
                try:
                    check_line_change(form.instance, deleting=True)
                except forms.ValidationError as exc:
                    form.add_error(None, exc)


def order_line_formset(extra=2):
    return forms.inlineformset_factory(Order, OrderLine, form=OrderLineForm, formset=BaseOrderLineFormSet,
                                       extra=extra, can_delete=True)


class OrderForm(CounterpartyBoundForm):
    """The order and its lines, saved together; the totals are recalculated from the lines."""

    class Meta:
        model = Order
        fields = ["number", "date", "counterparty", "deal", "responsible", "currency", "state",
                  "failure_reason", "failure_comment", "comment"]
        widgets = {"date": DATE_INPUT, "failure_comment": forms.Textarea(attrs={"rows": 2}),
                   "comment": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"number": _("Empty: the order's id.")}

    def __init__(self, *args, line_initial=None, **kwargs):

        super().__init__(*args, **kwargs)
        self.restrict_counterparty()
        self.restrict_assign("responsible")
        self.narrow_deals()
        self.fields["failure_reason"].queryset = OrderFailureReason.objects.all()
        self._style()
        formset = order_line_formset(extra=len(line_initial) + 1 if line_initial else 2)
        self.lines = formset(self.data or None, instance=self.instance, prefix="lines",
                             form_kwargs={"user": self.user}, initial=line_initial)

    def narrow_deals(self):
        """Only the chosen client's deals; the select is refreshed when the client changes."""
        from django.urls import reverse

        from core import access

        cp_id = self.chosen_counterparty_id()
        deals = Deal.objects.restrict(self.user, access.VIEW).select_related("counterparty")
        field = self.fields["deal"]
        field.queryset = deals.filter(counterparty_id=cp_id) if cp_id else deals.none()
        field.error_messages["invalid_choice"] = _("The deal is with another client.")
        name = self.add_prefix("counterparty")
        field.widget.attrs.update({
            "hx-get": reverse("sales:order_deals"), "hx-trigger": f"change from:[name='{name}']",
            "hx-include": f"[name='{name}']", "hx-target": "this", "hx-swap": "outerHTML",
        })

    def is_valid(self):
        return all([super().is_valid(), self.lines.is_valid()])

    def clean_responsible(self):
        from core import access

        if not access.can_assign(self.user) and not self.instance.pk:
            return self.user
        return self.cleaned_data.get("responsible")

    def clean(self):
        data = super().clean()
        deal, counterparty = data.get("deal"), data.get("counterparty")
        if deal is not None and counterparty is not None and deal.counterparty_id != counterparty.pk:
            self.add_error("deal", _("The deal is with another client."))
        if data.get("state") and data["state"] != Order.State.FAILED:
            data["failure_reason"] = None  # reopened or completed: the reason no longer applies
        return data

    def save(self, commit=True):
        from .services.orders import recalc

        order = super().save(commit)
        self.lines.instance = order
        for line in self.lines.save(commit=False):
            line.save()
        for line in self.lines.deleted_objects:
            line.delete()  # soft delete, like everything else
        return recalc(order)


class ShipmentForm(BaseModelForm):
    """A planned or actual shipment of one line of ``order``, checked against what is left."""

    class Meta:
        model = Shipment
        fields = ["line", "kind", "date", "quantity", "comment"]
        widgets = {"date": DATE_INPUT}

    prefix = "shipment"  # the card has the payment form too

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.order = order
        self.fields["line"].queryset = OrderLine.objects.filter(order=order)

    def _post_clean(self):
        from .services.orders import check_shipment

        super()._post_clean()
        if self.instance.line_id and not self.has_error("quantity") and not self.has_error("line"):
            try:
                check_shipment(self.instance)
            except forms.ValidationError as exc:
                self._update_errors(exc)


class PaymentForm(BaseModelForm):
    """A planned payment (an invoice and its due date) or an actual receipt."""

    class Meta:
        model = Payment
        fields = ["kind", "date", "amount", "invoice_number", "comment"]
        widgets = {"date": DATE_INPUT}
        labels = {"date": _("Date (due date of an invoice)")}

    prefix = "payment"

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.order = order
        self.fields["kind"].choices = [(PlanFact.PLANNED, _("Invoice (expected payment)")),
                                       (PlanFact.ACTUAL, _("Payment received"))]

    def _post_clean(self):
        from .services.orders import check_payment

        super()._post_clean()
        try:
            check_payment(self.instance)
        except forms.ValidationError as exc:
            self._update_errors(exc)


class OrderStateForm(forms.Form):
    """Complete, fall through or reopen an order from its card."""

    state = forms.ChoiceField(choices=Order.State.choices)
    version = forms.IntegerField(min_value=1)
    failure_reason = forms.ModelChoiceField(label=_("Failure reason"), required=False,
                                            queryset=OrderFailureReason.objects.all())
    failure_comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)
    force = forms.BooleanField(required=False)
