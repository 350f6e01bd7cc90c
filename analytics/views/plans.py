"""Sales plans: list, add, edit, delete (to the trash), history.

Heads and administrators set any manager's plans; a sales manager sees only their own and may
not change them (``SalesPlan.head_managed``, honoured by ``core.access.can``).
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.filtersets import BaseFilterSet
from core.forms import BaseModelForm, DateInput
from core.tables import Column, Table
from core.views import generic

from ..models import SalesPlan
from ..services.plans import duplicate_message

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def active_users():
    return get_user_model().objects.filter(is_active=True)


class PlanFilterSet(BaseFilterSet):
    manager = django_filters.ModelChoiceFilter(label=_("Manager"), queryset=active_users())
    month = django_filters.DateFilter(label=_("Month"), method="in_month", widget=DATE,
                                      help_text=_("Any day of the month."))

    class Meta:
        model = SalesPlan
        fields = []

    def in_month(self, queryset, name, value):
        return queryset.filter(month=value.replace(day=1))


class PlanTable(Table):
    default_sort = "-month"

    month = Column(_("Month"), order_by="month", linkify=True, render=lambda plan: plan.month.strftime("%m.%Y"))
    manager = Column(_("Manager"))
    revenue = Column(_("Revenue"), order_by="revenue", css="text-end text-nowrap")
    currency = Column(_("Currency"))
    new_clients = Column(_("New clients"), css="text-end")
    contacts = Column(_("Contacts"), css="text-end")
    comment = Column(_("Comment"))


class PlanForm(BaseModelForm):
    class Meta:
        model = SalesPlan
        fields = ["manager", "month", "revenue", "currency", "new_clients", "contacts", "comment"]
        widgets = {"month": DateInput, "comment": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = active_users()
        self.fields["currency"].required = False
        self.fields["currency"].help_text = _("Empty: the company currency.")

    def clean(self):
        data = super().clean()
        # The unique (manager, month) constraint as an error on the month, not a bare 500/constraint name.
        message = duplicate_message(data.get("manager"), data.get("month"), self.instance.pk)
        if message:
            self.add_error("month", message)
        return data


class PlanListView(generic.ObjectListView):
    model = SalesPlan
    filterset_class = PlanFilterSet
    table_class = PlanTable
    add_url_name = "analytics:plan_add"

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("manager")


class PlanEditView(generic.ObjectEditView):
    model = SalesPlan
    form_class = PlanForm
    template_name = "analytics/plan_edit.html"
    delete_url_name = "analytics:plan_delete"

    def success_url(self, obj):
        return reverse("analytics:plan_list")


class PlanDeleteView(generic.ObjectDeleteView):
    model = SalesPlan
    success_url_name = "analytics:plan_list"


class PlanHistoryView(generic.ObjectHistoryView):
    model = SalesPlan
    list_url_name = "analytics:plan_list"
