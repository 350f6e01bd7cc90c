"""Reports on contacts with clients (SPEC §3): a period, filters, a table, a chart, XLSX export.

The data come from ``activities.services.reports``; these views only parse filters, paginate,
render and export. Charts read their data from a ``json_script`` block (no inline JS, CSP).
"""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from clients.models import CounterpartyGroup, RelationshipType
from core.export import xlsx_response

from ..models import Interaction, InteractionType
from ..services import reports

PER_PAGE = 100
# The analysis table is a tree, not paginated: past this many client lines the page is cut
# (the subtotals and the chart stay complete; the XLSX has everything).
ANALYSIS_CLIENT_LIMIT = 1000

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _users():
    return get_user_model().objects.filter(is_active=True)


ROLE_CHOICES = [
    ("all", gettext_lazy("All counterparties")),
    ("client", gettext_lazy("Clients")),
    ("supplier", gettext_lazy("Suppliers")),
    ("partner", gettext_lazy("Partners")),
    ("competitor", gettext_lazy("Competitors")),
]


# --- Filter forms ------------------------------------------------------------------------------

class ReportForm(forms.Form):
    """A GET form whose missing values fall back to defaults (the first visit has none)."""

    defaults = {}

    def __init__(self, data):
        data = data.copy()
        for name, value in self.get_defaults().items():
            if not data.get(name):
                data.setlist(name, value if isinstance(value, list) else [value])
        super().__init__(data)
        for f in self.fields.values():
            widget = f.widget
            if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def get_defaults(self):
        return dict(self.defaults)

    def filters(self):
        """Keyword arguments for the service functions."""
        return {}


class PeriodForm(ReportForm):
    date_from = forms.DateField(label=gettext_lazy("From"), widget=DATE_WIDGET)
    date_to = forms.DateField(label=gettext_lazy("To"), widget=DATE_WIDGET)

    def get_defaults(self):
        month = reports.current_month()
        return {**super().get_defaults(), "date_from": month.date_from.isoformat(),
                "date_to": month.date_to.isoformat()}

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data

    @property
    def period(self):
        return reports.Period(self.cleaned_data["date_from"], self.cleaned_data["date_to"])


class CounterpartyFiltersMixin(forms.Form):
    main_manager = forms.ModelMultipleChoiceField(label=gettext_lazy("Main manager"), queryset=_users(),
                                                  required=False)
    no_manager = forms.BooleanField(label=gettext_lazy("Without main manager"), required=False)
    group = forms.ModelChoiceField(label=gettext_lazy("Group (with subgroups)"),
                                   queryset=CounterpartyGroup.objects.all(), required=False)
    relationship_type = forms.ModelMultipleChoiceField(label=gettext_lazy("Relationship type"),
                                                       queryset=RelationshipType.objects.all(), required=False)
    role = forms.ChoiceField(label=gettext_lazy("Counterparties"), choices=ROLE_CHOICES, required=False)

    def counterparty_filters(self):
        d = self.cleaned_data
        return {"managers": d["main_manager"], "no_manager": d["no_manager"], "group": d["group"],
                "relationship_types": d["relationship_type"], "role": d["role"] or "all"}


class ContactInfoForm(CounterpartyFiltersMixin, ReportForm):
    order = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=[
        ("name", gettext_lazy("Name")), ("completeness", gettext_lazy("Completeness, lowest first"))])

    def filters(self):
        return {**self.counterparty_filters(), "order": self.cleaned_data["order"] or "name"}


class InteractionFiltersMixin(forms.Form):
    responsible = forms.ModelMultipleChoiceField(label=gettext_lazy("Responsible"), queryset=_users(),
                                                 required=False)
    type = forms.ModelMultipleChoiceField(label=gettext_lazy("Type"), queryset=InteractionType.objects.all(),
                                          required=False)
    client = forms.CharField(label=gettext_lazy("Client"), required=False,
                             widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name, tax id, phone…")}))

    def interaction_filters(self):
        d = self.cleaned_data
        return {"responsible": d["responsible"], "types": d["type"], "client": d["client"]}


class ContactsForm(InteractionFiltersMixin, PeriodForm):
    state = forms.MultipleChoiceField(label=gettext_lazy("State"), choices=Interaction.State.choices,
                                      widget=forms.CheckboxSelectMultiple)
    direction = forms.ChoiceField(label=gettext_lazy("Direction"), required=False,
                                  choices=[("", gettext_lazy("Any")), *Interaction.Direction.choices])

    def get_defaults(self):
        return {**super().get_defaults(), "state": [Interaction.State.DONE]}

    def filters(self):
        return {**self.interaction_filters(), "states": self.cleaned_data["state"],
                "direction": self.cleaned_data["direction"]}


class AnalysisForm(InteractionFiltersMixin, PeriodForm):
    include_planned = forms.BooleanField(label=gettext_lazy("Include planned"), required=False)

    def filters(self):
        return {**self.interaction_filters(), "include_planned": self.cleaned_data["include_planned"]}


class WithoutInteractionsForm(CounterpartyFiltersMixin, PeriodForm):
    defaults = {"role": "client"}

    def filters(self):
        return self.counterparty_filters()


# --- Views -------------------------------------------------------------------------------------

class ReportView(LoginRequiredMixin, View):
    form_class = None
    template_name = None
    title = None
    export_name = None
    chart = False

    def get(self, request):
        form = self.form_class(request.GET)
        context = {"form": form, "title": self.title, "reports": REPORTS,
                   "query": self.query_without("page", "export")}
        if form.is_valid():
            response = self.export(form, request.GET.get("export"))
            if response is not None:
                return response
            context.update(self.build(form))
        return render(request, self.template_name, context)

    def export(self, form, kind):
        """The file for ``?export=<kind>``, or None to render the page (subclasses add kinds)."""
        if kind == "xlsx":
            return xlsx_response(self.export_rows(form), self.export_name, title=str(self.title))
        return None

    def query_without(self, *keys):
        params = [(k, v) for k, values in self.request.GET.lists() if k not in keys for v in values]
        return urlencode(params)

    def paginate(self, qs):
        return Paginator(qs, PER_PAGE).get_page(self.request.GET.get("page"))

    def build(self, form):
        raise NotImplementedError

    def export_rows(self, form):
        raise NotImplementedError


class IndexView(LoginRequiredMixin, View):
    def get(self, request):
        return render(request, "activities/reports/index.html", {"reports": REPORTS})


class ContactInfoReport(ReportView):
    form_class = ContactInfoForm
    template_name = "activities/reports/contact_info.html"
    title = gettext_lazy("Contact information of counterparties")
    export_name = "contact-information"

    def build(self, form):
        filters = form.filters()
        page = self.paginate(reports.contact_info_queryset(self.request.user, **filters))
        filters.pop("order")
        summary = reports.completeness_by_manager(self.request.user, **filters)
        chart = {
            "type": "bar", "max": 100, "suffix": "%",
            "labels": [label for label, _n, _pct in summary],
            "datasets": [{"label": _("Average completeness, %"), "data": [pct for _l, _n, pct in summary]}],
        }
        return {"page": page, "rows": list(reports.contact_info_rows(page.object_list)),
                "summary": summary, "chart": chart, "checklist": [label for _k, label, _m in reports.CHECKLIST]}

    def export_rows(self, form):
        yield [_("Counterparty"), _("Tax id"), _("Main manager"), _("Group"), _("Relationship type"),
               _("Phones"), _("Emails"), _("Address"), _("Contact persons"), _("Completeness, %"), _("Missing")]
        qs = reports.contact_info_queryset(self.request.user, **form.filters())
        for row in reports.contact_info_rows(qs.iterator(chunk_size=2000)):
            cp = row.counterparty
            yield [cp.name, cp.tax_id, cp.main_manager or "", cp.group or "", cp.relationship_type or "",
                   ", ".join(row.phones), ", ".join(row.emails), row.address, row.persons, row.percent,
                   "; ".join(str(m) for m in row.missing)]


class ContactsReport(ReportView):
    form_class = ContactsForm
    template_name = "activities/reports/contacts.html"
    title = gettext_lazy("Contacts for a period")
    export_name = "contacts"

    def queryset(self, form):
        return reports.contacts_queryset(self.request.user, form.period, **form.filters())

    def build(self, form):
        return {"page": self.paginate(self.queryset(form))}

    def export_rows(self, form):
        yield [_("Date"), _("Type"), _("Direction"), _("State"), _("Client"), _("Contact persons"),
               _("Responsible"), _("Subject"), _("Result")]
        for i in self.queryset(form).iterator(chunk_size=2000):
            yield [i.start, i.type, i.get_direction_display(), i.get_state_display(), i.counterparty,
                   ", ".join(p.full_name for p in i.contact_persons.all()), i.responsible, i.subject, i.result]


class AnalysisReport(ReportView):
    form_class = AnalysisForm
    template_name = "activities/reports/analysis.html"
    title = gettext_lazy("Interaction analysis")
    export_name = "interaction-analysis"

    def build(self, form):
        data = reports.analysis(self.request.user, form.period, **form.filters())
        rows, shown, truncated = [], 0, False
        for manager in data.managers:
            rows.append(("manager", manager, manager.cells(data.types)))
            for client in manager.children:
                if shown >= ANALYSIS_CLIENT_LIMIT:
                    truncated = True
                    break
                rows.append(("client", client, client.cells(data.types)))
                shown += 1
        chart = {
            "type": "bar", "stacked": True,
            "labels": [m.label for m in data.managers],
            "datasets": [{"label": t.name, "data": [m.counts.get(t.pk, 0) for m in data.managers]}
                         for t in data.types],
        }
        return {"analysis": data, "rows": rows, "total_cells": data.total.cells(data.types),
                "truncated": truncated, "limit": ANALYSIS_CLIENT_LIMIT, "chart": chart}

    def export_rows(self, form):
        data = reports.analysis(self.request.user, form.period, **form.filters())
        yield [_("Responsible"), _("Client"), *[t.name for t in data.types], _("Total")]
        for manager in data.managers:
            yield [manager.label, "", *manager.cells(data.types), manager.total]
            for client in manager.children:
                yield [manager.label, client.label, *client.cells(data.types), client.total]
        yield [_("Total"), "", *data.total.cells(data.types), data.total.total]


class WithoutInteractionsReport(ReportView):
    form_class = WithoutInteractionsForm
    template_name = "activities/reports/without_interactions.html"
    title = gettext_lazy("Clients without interactions")
    export_name = "clients-without-interactions"

    def queryset(self, form):
        return reports.without_interactions_queryset(self.request.user, form.period, **form.filters())

    def build(self, form):
        qs = self.queryset(form)
        summary = reports.without_interactions_summary(qs)
        reltypes = sorted({label for _m, parts, _n in summary for label, _c in parts},
                          key=lambda label: (label == str(reports.NO_TYPE), label.lower()))
        chart = {
            "type": "bar", "stacked": True,
            "labels": [label for label, _parts, _n in summary],
            "datasets": [{"label": reltype, "data": [dict(parts).get(reltype, 0) for _l, parts, _n in summary]}
                         for reltype in reltypes],
        }
        return {"page": self.paginate(qs), "summary": summary, "chart": chart,
                "no_manager": reports.NO_MANAGER, "no_type": reports.NO_TYPE}

    def export_rows(self, form):
        yield [_("Main manager"), _("Relationship type"), _("Client"), _("Tax id"), _("Group"),
               _("Last interaction")]
        for cp in self.queryset(form).iterator(chunk_size=2000):
            yield [cp.main_manager or reports.NO_MANAGER, cp.relationship_type or reports.NO_TYPE, cp.name,
                   cp.tax_id, cp.group or "", reports.last_contact_date(cp.last_contact) or _("never")]


REPORTS = [
    ("activities:report_contact_info", ContactInfoReport.title,
     gettext_lazy("Phones, emails, addresses and contact persons of each counterparty, "
                  "with how complete the information is; average completeness per main manager.")),
    ("activities:report_contacts", ContactsReport.title,
     gettext_lazy("Every interaction in a period: date, type, client, contact persons, responsible, result.")),
    ("activities:report_analysis", AnalysisReport.title,
     gettext_lazy("How many interactions each manager had with each client, by type.")),
    ("activities:report_without_interactions", WithoutInteractionsReport.title,
     gettext_lazy("Clients nobody contacted in a period, by main manager and relationship type, "
                  "with the date of the last interaction.")),
]

urlpatterns = [
    path("reports/", IndexView.as_view(), name="report_index"),
    path("reports/contact-info/", ContactInfoReport.as_view(), name="report_contact_info"),
    path("reports/contacts/", ContactsReport.as_view(), name="report_contacts"),
    path("reports/analysis/", AnalysisReport.as_view(), name="report_analysis"),
    path("reports/without-interactions/", WithoutInteractionsReport.as_view(),
         name="report_without_interactions"),
]
