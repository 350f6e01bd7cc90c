"""Reports on contacts with clients (SPEC §3), declared on the core report framework.

Each report names its filters (a form), its columns and where its rows come from
(``activities.services.reports``, always narrowed with ``restrict``); core.reports makes the page,
the chart, the XLSX and the PDF from that. The old URL names redirect to /reports/<slug>/.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clients.models import CounterpartyGroup, RelationshipType
from core.reports import (
    Chart,
    Column,
    ModelChoiceField,
    ModelMultipleChoiceField,
    Note,
    PeriodForm,
    Report,
    ReportForm,
    Table,
    register,
)

from ..models import Interaction, InteractionType
from ..services import reports

GROUP = gettext_lazy("Interactions")
# The analysis table is a tree, not paginated: past this many lines the page is cut
# (the totals and the chart stay complete; the XLSX has everything).
ANALYSIS_LINE_LIMIT = 1000


def _users():
    return get_user_model().objects.filter(is_active=True)


ROLE_CHOICES = [
    ("all", gettext_lazy("All counterparties")),
    ("client", gettext_lazy("Clients")),
    ("supplier", gettext_lazy("Suppliers")),
    ("partner", gettext_lazy("Partners")),
    ("competitor", gettext_lazy("Competitors")),
]


# --- Filters -----------------------------------------------------------------------------------

class CounterpartyFiltersMixin(forms.Form):
    main_manager = ModelMultipleChoiceField(label=gettext_lazy("Main manager"), queryset=_users(), required=False)
    no_manager = forms.BooleanField(label=gettext_lazy("Without main manager"), required=False)
    group = ModelChoiceField(label=gettext_lazy("Group (with subgroups)"),
                             queryset=CounterpartyGroup.objects.all(), required=False)
    relationship_type = ModelMultipleChoiceField(label=gettext_lazy("Relationship type"),
                                                 queryset=RelationshipType.objects.all(), required=False)
    role = forms.ChoiceField(label=gettext_lazy("Counterparties"), choices=ROLE_CHOICES, required=False)


def counterparty_filters(d):
    return {"managers": d["main_manager"], "no_manager": d["no_manager"], "group": d["group"],
            "relationship_types": d["relationship_type"], "role": d["role"] or "all"}


class ContactInfoForm(CounterpartyFiltersMixin, ReportForm):
    order = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=[
        ("name", gettext_lazy("Name")), ("completeness", gettext_lazy("Completeness, lowest first"))])


class InteractionFiltersMixin(forms.Form):
    responsible = ModelMultipleChoiceField(label=gettext_lazy("Responsible"), queryset=_users(), required=False)
    type = ModelMultipleChoiceField(label=gettext_lazy("Type"), queryset=InteractionType.objects.all(),
                                    required=False)
    client = forms.CharField(label=gettext_lazy("Client"), required=False, max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name, tax id, phone…")}))


def interaction_filters(d):
    return {"responsible": d["responsible"], "types": d["type"], "client": d["client"]}


class ContactsForm(InteractionFiltersMixin, PeriodForm):
    state = forms.MultipleChoiceField(label=gettext_lazy("State"), choices=Interaction.State.choices,
                                      widget=forms.CheckboxSelectMultiple)
    direction = forms.ChoiceField(label=gettext_lazy("Direction"), required=False,
                                  choices=[("", gettext_lazy("Any")), *Interaction.Direction.choices])

    def get_defaults(self):
        return {**super().get_defaults(), "state": [Interaction.State.DONE]}


class AnalysisForm(InteractionFiltersMixin, PeriodForm):
    include_planned = forms.BooleanField(label=gettext_lazy("Include planned"), required=False)


class WithoutInteractionsForm(CounterpartyFiltersMixin, PeriodForm):
    defaults = {"role": "client"}


def period_note(text, filters):
    from django.utils.formats import date_format

    return Note(text % {"start": date_format(filters["date_from"], "SHORT_DATE_FORMAT"),
                        "end": date_format(filters["date_to"], "SHORT_DATE_FORMAT")})


# --- 1. Contact information of counterparties ---------------------------------------------------

@register
class ContactInfoReport(Report):
    slug = "contact-info"
    legacy_url = "activities:report_contact_info"
    group, group_order = GROUP, 10
    title = gettext_lazy("Contact information of counterparties")
    description = gettext_lazy("Phones, emails, addresses and contact persons of each counterparty, "
                               "with how complete the information is; average completeness per main manager.")
    form_class = ContactInfoForm
    tables = [
        Table("report", gettext_lazy("Counterparties"), [
            Column("name", gettext_lazy("Counterparty"), link=True),
            Column("tax_id", gettext_lazy("Tax id")),
            Column("main_manager", gettext_lazy("Main manager")),
            Column("group", gettext_lazy("Group")),
            Column("relationship_type", gettext_lazy("Relationship type")),
            Column("phones", gettext_lazy("Phones")),
            Column("emails", gettext_lazy("Emails")),
            Column("address", gettext_lazy("Address")),
            Column("persons", gettext_lazy("Contact persons"), "int"),
            Column("percent", gettext_lazy("Completeness, %"), "percent"),
            Column("missing", gettext_lazy("Missing")),
        ], row="row", paginate=True),
        Table("summary", gettext_lazy("Average completeness by main manager"), [
            Column("manager", gettext_lazy("Main manager")),
            Column("count", gettext_lazy("Counterparties"), "int"),
            Column("percent", gettext_lazy("Average completeness, %"), "percent"),
        ], rows="summary"),
    ]
    charts = [Chart(gettext_lazy("Average completeness by main manager"), table="summary", label="manager",
                    values=["percent"], max=100, suffix="%")]

    def rows(self, filters, user):
        return reports.contact_info_queryset(user, **counterparty_filters(filters), order=filters["order"] or "name")

    def row(self, cp):
        r = reports.contact_info_row(cp)
        return {"name": cp.name, "name_url": cp.get_absolute_url(), "tax_id": cp.tax_id,
                "main_manager": cp.main_manager, "group": cp.group, "relationship_type": cp.relationship_type,
                "phones": ", ".join(r.phones), "emails": ", ".join(r.emails), "address": r.address,
                "persons": r.persons, "percent": r.percent, "missing": "; ".join(str(m) for m in r.missing)}

    def summary(self, filters, user):
        return [{"manager": label, "count": n, "percent": pct}
                for label, n, pct in reports.completeness_by_manager(user, **counterparty_filters(filters))]

    def notes(self, filters):
        items = [str(label) for _key, label, _make in reports.CHECKLIST]
        count = len(items)
        return [Note(ngettext("How completeness is computed (%(count)s item)",
                              "How completeness is computed (%(count)s items)", count) % {"count": count}
                     + ": " + "; ".join(items) + ". "
                     + _("Each item present adds an equal share; a counterparty with all of them is 100% "
                         "complete. Phones, emails and addresses count when they belong to the counterparty "
                         "itself, not to one of its contact persons."), testid="completeness-help")]


# --- 2. Contacts for a period -------------------------------------------------------------------

@register
class ContactsReport(Report):
    slug = "contacts"
    legacy_url = "activities:report_contacts"
    group, group_order = GROUP, 20
    title = gettext_lazy("Contacts for a period")
    description = gettext_lazy("Every interaction in a period: date, type, client, contact persons, responsible, "
                               "result.")
    form_class = ContactsForm
    tables = [Table("report", gettext_lazy("Contacts for a period"), [
        Column("start", gettext_lazy("Date"), "datetime"),
        Column("type", gettext_lazy("Type")),
        Column("direction", gettext_lazy("Direction")),
        Column("state", gettext_lazy("State")),
        Column("client", gettext_lazy("Client"), link=True),
        Column("persons", gettext_lazy("Contact persons")),
        Column("responsible", gettext_lazy("Responsible")),
        Column("subject", gettext_lazy("Subject")),
        Column("result", gettext_lazy("Result")),
    ], row="row", paginate=True)]

    def rows(self, filters, user):
        return reports.contacts_queryset(user, reports.Period(filters["date_from"], filters["date_to"]),
                                         **interaction_filters(filters), states=filters["state"],
                                         direction=filters["direction"])

    def row(self, i):
        return {"start": i.start, "type": i.type, "direction": i.get_direction_display(),
                "state": i.get_state_display(), "client": i.counterparty.name,
                "client_url": i.counterparty.get_absolute_url(),
                "persons": ", ".join(p.full_name for p in i.contact_persons.all()), "responsible": i.responsible,
                "subject": i.subject, "result": i.result}

    def notes(self, filters):
        return [period_note(_("Interactions from %(start)s to %(end)s inclusive."), filters)]


# --- 3. Interaction analysis --------------------------------------------------------------------

@register
class AnalysisReport(Report):
    slug = "analysis"
    legacy_url = "activities:report_analysis"
    group, group_order = GROUP, 30
    title = gettext_lazy("Interaction analysis")
    description = gettext_lazy("How many interactions each manager had with each client, by type.")
    form_class = AnalysisForm
    tables = [Table("report", gettext_lazy("Interaction analysis"), [
        Column("responsible", gettext_lazy("Responsible")),
        Column("client", gettext_lazy("Client"), link=True),
        Column("count", "", "int", each=lambda report: [(t.pk, t.name, None) for t in report.result.types]),
        Column("total", gettext_lazy("Total"), "int"),
    ], html_limit=ANALYSIS_LINE_LIMIT)]
    charts = [Chart(gettext_lazy("Interactions per manager by type"), label="responsible", values=["count"],
                    level="group", stacked=True)]

    def compute(self, filters, user):
        return reports.analysis(user, reports.Period(filters["date_from"], filters["date_to"]),
                                **interaction_filters(filters), include_planned=filters["include_planned"])

    def rows(self, filters, user):
        data, rows = self.result, []
        for manager in data.managers:
            rows.append({"_level": "group", "responsible": manager.label, "count": manager.counts,
                         "total": manager.total})
            for client in manager.children:
                rows.append({"responsible": manager.label, "client": client.label,
                             "client_url": _counterparty_url(client.counterparty_id),
                             "count": client.counts, "total": client.total})
        rows.append({"_level": "total", "responsible": str(_("Total")), "count": data.total.counts,
                     "total": data.total.total})
        return rows


def _counterparty_url(pk):
    from django.urls import reverse

    return reverse("clients:counterparty", args=[pk])


# --- 4. Clients without interactions in a period ------------------------------------------------

@register
class WithoutInteractionsReport(Report):
    slug = "without-interactions"
    legacy_url = "activities:report_without_interactions"
    group, group_order = GROUP, 40
    title = gettext_lazy("Clients without interactions")
    description = gettext_lazy("Clients nobody contacted in a period, by main manager and relationship type, "
                               "with the date of the last interaction.")
    form_class = WithoutInteractionsForm
    tables = [
        Table("report", gettext_lazy("Clients without interactions"), [
            Column("manager", gettext_lazy("Main manager")),
            Column("relationship_type", gettext_lazy("Relationship type")),
            Column("name", gettext_lazy("Client"), link=True),
            Column("tax_id", gettext_lazy("Tax id")),
            Column("group", gettext_lazy("Group")),
            Column("last", gettext_lazy("Last interaction"), "date", empty=gettext_lazy("never")),
        ], row="row", paginate=True, group_by=("manager", "relationship_type")),
        Table("summary", gettext_lazy("By main manager"), [
            Column("manager", gettext_lazy("Main manager")),
            Column("clients", "", "int", each=lambda report: [(t, t, None) for t in report.result[1]]),
            Column("total", gettext_lazy("Total"), "int"),
        ], rows="summary"),
    ]
    charts = [Chart(gettext_lazy("Clients without interactions by main manager"), table="summary",
                    label="manager", values=["clients"], stacked=True)]

    def rows(self, filters, user):
        return reports.without_interactions_queryset(
            user, reports.Period(filters["date_from"], filters["date_to"]), **counterparty_filters(filters))

    def compute(self, filters, user):
        summary = reports.without_interactions_summary(self.rows(filters, user))
        reltypes = sorted({label for _m, parts, _n in summary for label, _c in parts},
                          key=lambda label: (label == str(reports.NO_TYPE), label.lower()))
        return summary, reltypes

    def row(self, cp):
        return {"manager": cp.main_manager or reports.NO_MANAGER,
                "relationship_type": cp.relationship_type or reports.NO_TYPE, "name": cp.name,
                "name_url": cp.get_absolute_url(), "tax_id": cp.tax_id, "group": cp.group,
                "last": reports.last_contact_date(cp.last_contact)}

    def summary(self, filters, user):
        return [{"manager": label, "clients": dict(parts), "total": total} for label, parts, total in self.result[0]]

    def notes(self, filters):
        return [period_note(_("Counterparties with no done interaction from %(start)s to %(end)s inclusive; "
                              "the last interaction is the latest done one ever."), filters)]
