import re

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from core import access, cards, history
from core.filtersets import fits_bigint, name_filterset
from core.models import CustomProperty
from core.views import generic

from . import forms, services
from .filtersets import ContactPersonFilterSet, CounterpartyFilterSet
from .models import PHONE_KINDS, ContactInfo, ContactKind, ContactPerson, Counterparty
from .tables import ContactPersonTable, CounterpartyTable, PropertyTable
from .validators import normalize_email, normalize_phone


def list_queryset(qs):
    primary = ContactInfo.objects.filter(contact_person__isnull=True,
                                         kind__in=[*PHONE_KINDS, ContactKind.EMAIL])
    return qs.select_related("group", "relationship_type", "main_manager").prefetch_related(
        Prefetch("contact_info", queryset=primary, to_attr="primary_contacts"))


# --- Counterparties ---------------------------------------------------------------------------

class CounterpartyListView(generic.ObjectListView):
    model = Counterparty
    filterset_class = CounterpartyFilterSet
    table_class = CounterpartyTable
    template_name = "clients/counterparty_list.html"
    export_name = "counterparties"

    def get_base_queryset(self):
        return list_queryset(self.get_queryset())

    def extra_context(self):
        return {"batch_url": reverse("clients:batch")}


class CounterpartyDetailView(generic.ObjectDetailView):
    model = Counterparty
    template_name = "clients/counterparty_detail.html"

    def get_queryset(self, action=None):
        return super().get_queryset(action).select_related(
            "group", "relationship_type", "main_manager", "region", "industry")

    def get_extra_context(self, obj):
        persons = obj.contact_persons.filter(deleted_at__isnull=True).select_related("responsible")
        infos = list(obj.contact_info.filter(deleted_at__isnull=True))
        person_infos = {}
        for info in infos:
            person_infos.setdefault(info.contact_person_id, []).append(info)
        persons = list(persons)
        for person in persons:
            person.infos = person_infos.get(person.pk, [])
        user = self.request.user
        context = {
            "persons": persons,
            "infos": person_infos.get(None, []),
            "properties": property_rows(obj),
            "supplied_items": obj.supplied_items.filter(deleted_at__isnull=True),
            "can_change": access.may(user, access.CHANGE, obj),
            "can_delete": access.may(user, access.DELETE, obj),
            "tab": self.request.GET.get("tab", "main"),
        }
        # The tabs the apps registered (core.registry.card_tabs): interactions, deals, orders…
        context["tabs"] = cards.tabs_for(cards.COUNTERPARTY, user, obj, context["tab"], context)
        return context


def property_rows(obj):
    """(name, display value) for every custom property defined for the object's model."""
    from django.contrib.auth import get_user_model

    props = list(CustomProperty.for_model(type(obj)))
    stored = obj.properties or {}
    user_ids = [stored.get(p.code) for p in props if p.kind == "user" and stored.get(p.code)]
    users = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=user_ids)}
    rows = []
    for prop in props:
        value = stored.get(prop.code)
        if prop.kind == "user":
            value = users.get(value, value)
        elif prop.kind == "boolean" and value is not None:
            value = _("Yes") if value else _("No")
        elif isinstance(value, list):
            value = ", ".join(value)
        rows.append((prop.name, value))
    return rows


class CounterpartyHistoryView(generic.ObjectDetailView):
    model = Counterparty
    template_name = "clients/includes/history.html"

    def get_extra_context(self, obj):
        records = list(Counterparty.history.filter(id=obj.pk).order_by("history_date")[:500])
        records += ContactPerson.history.filter(counterparty_id=obj.pk).order_by("history_date")[:500]
        records += ContactInfo.history.filter(counterparty_id=obj.pk).order_by("history_date")[:500]
        return {"entries": history.entries(records)}


class CounterpartyEditView(generic.ObjectEditView):
    model = Counterparty
    form_class = forms.CounterpartyForm
    template_name = "clients/counterparty_edit.html"
    formsets = {
        "infos": (forms.ContactInfoFormSet, "info"),
        "persons": (forms.ContactPersonFormSet, "person"),
        "items": (forms.SuppliedItemFormSet, "item"),
    }

    def form_context(self, obj, form):
        primary = [form[name] for name in form.PRIMARY_FIELDS]
        details = [f for f in form.visible_fields() if f.name not in form.PRIMARY_FIELDS]
        return {"duplicates": getattr(self, "_duplicates", None),
                "primary_fields": primary, "detail_fields": details}

    def validate(self, form, formsets):
        if form.instance.pk is None and not form.cleaned_data.get("confirm_new"):
            self._duplicates = duplicates_for(form, formsets["infos"], self.request.user)
            if self._duplicates:
                form.add_error("confirm_new", _("Likely duplicates found: check them, then confirm."))
                return False
        return True

    def after_save(self, obj):
        services.refresh_search_text(obj.pk)


def contact_values(formset):
    phones, emails = [], []
    for f in formset.forms:
        data = getattr(f, "cleaned_data", None) or {}
        if not data.get("value") or data.get("DELETE"):
            continue
        # The model's clean() has normalised instance.value (E.164, lower-case domain).
        if f.instance.kind in PHONE_KINDS:
            phones.append(f.instance.value)
        elif f.instance.kind == ContactKind.EMAIL:
            emails.append(f.instance.value)
    return phones, emails


def duplicates_for(form, info_formset, user):
    phones, emails = contact_values(info_formset)
    found = services.find_duplicates(
        name=form.cleaned_data.get("name", ""), tax_id=form.cleaned_data.get("tax_id", ""),
        phones=phones, emails=emails, exclude_pk=form.instance.pk)
    return annotate_visibility(found, user)


def annotate_visibility(found, user):
    visible = set(Counterparty.objects.restrict(user).filter(
        pk__in=[cp.pk for cp, _r in found]).values_list("pk", flat=True))
    return [{"counterparty": cp, "reasons": reasons, "visible": cp.pk in visible} for cp, reasons in found]


class DuplicateCheckView(generic.RestrictedMixin, View):
    """htmx: likely duplicates of what is typed in the new-client form so far."""

    model = Counterparty

    def post(self, request):
        data = request.POST
        phones, emails = [], []
        prefix = "info"
        total = _safe_int(data.get(f"{prefix}-TOTAL_FORMS"), 0, 50)
        for i in range(total):
            kind, value = data.get(f"{prefix}-{i}-kind"), data.get(f"{prefix}-{i}-value", "")
            try:
                if kind in PHONE_KINDS and value:
                    phones.append(normalize_phone(value))
                elif kind == ContactKind.EMAIL and value:
                    emails.append(normalize_email(value))
            except ValidationError:  # unparsable input is simply not matched
                pass
        tax_id = (data.get("tax_id") or "").strip()
        found = services.find_duplicates(name=data.get("name", ""), tax_id=tax_id,
                                         phones=phones, emails=emails)
        return render(request, "clients/includes/duplicates.html",
                      {"duplicates": annotate_visibility(found, request.user)})


def _safe_int(value, default, maximum):
    try:
        return max(0, min(int(value), maximum))
    except (TypeError, ValueError):
        return default


class CounterpartyDeleteView(generic.ObjectDeleteView):
    model = Counterparty
    success_url_name = "clients:counterparty_list"


class BatchChangeView(generic.RestrictedMixin, View):
    """Change main manager / group / relationship type / a property of many counterparties."""

    model = Counterparty
    template_name = "clients/batch.html"

    def targets(self, params):
        qs = Counterparty.objects.restrict(self.request.user, access.CHANGE)
        pks = [p for p in params.getlist("pk") if p.isdigit()]
        if pks:
            return qs.filter(pk__in=pks), False
        query = QueryDict(params.get("query", ""))
        filterset = CounterpartyFilterSet(query, queryset=qs, request=self.request)
        return (filterset.qs if filterset.is_valid() else qs.none()), True

    def get(self, request):
        if not access.can(request.user, access.CHANGE, Counterparty):
            raise PermissionDenied
        form = forms.BatchChangeForm(user=request.user)
        if self.bad_pk(request.GET, form):
            return self.render(form, Counterparty.objects.none(), False, request.GET, status=400)
        qs, whole_filter = self.targets(request.GET)
        return self.render(form, qs, whole_filter, request.GET)

    def bad_pk(self, params, form):
        """A ``pk`` too large for the id column is a 400 naming it, not an overflow in the driver."""
        if all(fits_bigint(p) for p in params.getlist("pk")):
            return False
        # Through form.errors, which an unbound (GET) form also has, rather than add_error().
        form.errors.setdefault(NON_FIELD_ERRORS, form.error_class(error_class="nonfield")).append(
            _("“pk”: not a valid record id."))
        return True

    def render(self, form, qs, whole_filter, params, status=200):
        return render(self.request, self.template_name, {
            "form": form, "count": qs.count(), "whole_filter": whole_filter,
            "pks": params.getlist("pk"), "query": params.get("query", ""),
        }, status=status)

    def post(self, request):
        if not access.can(request.user, access.CHANGE, Counterparty):
            raise PermissionDenied
        form = forms.BatchChangeForm(request.POST, user=request.user)
        if self.bad_pk(request.POST, form):
            return self.render(form, Counterparty.objects.none(), False, request.POST, status=400)
        qs, whole_filter = self.targets(request.POST)
        if not form.is_valid():
            return self.render(form, qs, whole_filter, request.POST, status=400)
        try:
            changed = services.batch_change(qs, form.cleaned_data, request.user)
        except services.BatchError as exc:
            form.add_error(None, str(exc))
            return self.render(form, qs, whole_filter, request.POST, status=400)
        messages.success(request, ngettext("Changed %(count)s counterparty.", "Changed %(count)s counterparties.",
                                           changed) % {"count": changed})
        return HttpResponseRedirect(reverse("clients:counterparty_list") + "?" + request.POST.get("query", ""))


class CounterpartyLookupView(generic.RestrictedMixin, View):
    """Suggestions for the counterparty type-ahead: the first matches the user may see.

    Matches like the list's quick search (a part of the name, a tax id, a phone in any format);
    the tax id and city tell namesakes apart.
    """

    model = Counterparty
    LIMIT = 20

    def get(self, request):
        query = (request.GET.get("q") or request.GET.get(request.GET.get("field", "counterparty")) or "").strip()
        rows = []
        if len(query) >= 2:
            qs = self.get_queryset().filter(services.search_q(query))
            if query.isdigit() and int(query) <= forms.MAX_PK:
                qs = self.get_queryset().filter(pk=query) | qs
            rows = list(qs.order_by("name", "id").values("pk", "name", "tax_id", "city")[:self.LIMIT])
        listbox = re.sub(r"[^\w-]", "", request.GET.get("listbox", ""))[:100] or "lookup"
        return render(request, "clients/widgets/lookup_options.html", {"rows": rows, "listbox": listbox})


# --- Contact persons --------------------------------------------------------------------------

class ContactPersonListView(generic.ObjectListView):
    model = ContactPerson
    filterset_class = ContactPersonFilterSet
    table_class = ContactPersonTable
    export_name = "contact_persons"

    def get_base_queryset(self):
        return self.get_queryset().select_related("counterparty", "responsible")


class ContactPersonEditView(generic.ObjectEditView):
    model = ContactPerson
    form_class = forms.ContactPersonForm
    template_name = "clients/person_edit.html"
    formsets = {"infos": (forms.PersonContactInfoForm, "info")}

    def get_object(self, pk=None):
        if pk is not None:
            return super().get_object(pk)
        counterparty = get_object_or_404(
            Counterparty.objects.restrict(self.request.user, access.CHANGE), pk=self.kwargs["counterparty"])
        return ContactPerson(counterparty=counterparty)

    def form_context(self, obj, form):
        return {"infos": self.get_formsets(obj)["infos"]}


class ContactPersonDeleteView(generic.ObjectDeleteView):
    model = ContactPerson

    def after_delete_url(self, obj):
        return obj.get_absolute_url()


# --- Settings: custom properties (reference lists are built by core.routes.reference_urls) -------

class CustomPropertyListView(generic.ObjectListView):
    model = CustomProperty
    filterset_class = name_filterset(CustomProperty)
    table_class = PropertyTable
    add_url_name = "clients:property_add"


class CustomPropertyEditView(generic.ObjectEditView):
    model = CustomProperty
    form_class = forms.CustomPropertyForm

    def success_url(self, obj):
        return reverse("clients:property_list")


class CustomPropertyDeleteView(generic.ObjectDeleteView):
    model = CustomProperty
    success_url_name = "clients:property_list"
