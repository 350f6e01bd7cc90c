"""Filters of interactions, tasks and reminders: shared by the HTML lists and the API."""

import datetime as dt

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.services import search_q
from core.filtersets import BaseFilterSet, ChosenObjectWidget

from .models import Importance, Interaction, InteractionType, Notification, Reminder, Task

COUNTERPARTY = "clients.Counterparty"


def _users():
    return get_user_model().objects.filter(is_active=True)


def day_start(day):
    """Local midnight of ``day`` as an aware datetime (a plain range keeps the index usable)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class PeriodFilter(django_filters.DateFilter):
    """A date bound on a datetime column: ``…_after`` from the day's start, ``…_before`` to its end.

    Dates rather than datetimes, so the HTML list gets a date picker; the comparison uses the
    current time zone's day bounds instead of ``__date``, which would defeat the index.
    """

    def __init__(self, *args, upper=False, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        self.upper = upper
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        if self.upper:
            return qs.filter(**{f"{self.field_name}__lt": day_start(value + dt.timedelta(days=1))})
        return qs.filter(**{f"{self.field_name}__gte": day_start(value)})


def text_q(field, word):
    """``field`` contains ``word`` ignoring case.

    SQLite folds only ASCII in LIKE: "Лютик" would not match "лютик"; the usual spellings of
    a Cyrillic word (as typed, lower, Capitalised, UPPER) cover real data there.
    """
    q = Q()
    for variant in {word, word.lower(), word.capitalize(), word.upper()}:
        q |= Q(**{f"{field}__icontains": variant})
    return q


def quick_search_q(value, text_field):
    """Every word in ``text_field`` or in the client's quick-search text (name, tax id, phones…)."""
    q = Q()
    for word in value.split():
        q &= text_q(text_field, word) | search_q(word, prefix="counterparty__")
    return q


class InteractionFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Quick search"), method="quick_search")
    # Ids, not model choices: a choice field would reveal whether a hidden counterparty exists.
    # They come from links (the client card), so the sidebar shows the name, not an id input.
    counterparty = django_filters.NumberFilter(label=_("Counterparty"), widget=ChosenObjectWidget(COUNTERPARTY))
    responsible = django_filters.ModelMultipleChoiceFilter(label=_("Responsible"), queryset=_users())
    type = django_filters.ModelMultipleChoiceFilter(label=_("Type"), queryset=InteractionType.objects.all())
    type_code = django_filters.CharFilter(label=_("Type"), field_name="type__code",
                                          widget=ChosenObjectWidget("activities.InteractionType", "code"))
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=Interaction.State.choices)
    direction = django_filters.ChoiceFilter(label=_("Direction"), choices=Interaction.Direction.choices)
    importance = django_filters.MultipleChoiceFilter(label=_("Importance"), choices=Importance.choices)
    start_after = PeriodFilter(label=_("From"), field_name="start")
    start_before = PeriodFilter(label=_("To"), field_name="start", upper=True)

    class Meta:
        model = Interaction
        fields = []

    def quick_search(self, queryset, name, value):
        return queryset.filter(quick_search_q(value, "subject"))


class TaskFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(label=_("Quick search"), method="quick_search")
    assignee = django_filters.ModelMultipleChoiceFilter(label=_("Assignee"), queryset=_users())
    author = django_filters.ModelMultipleChoiceFilter(label=_("Author"), queryset=_users())
    counterparty = django_filters.NumberFilter(label=_("Counterparty"), widget=ChosenObjectWidget(COUNTERPARTY))
    state = django_filters.MultipleChoiceFilter(label=_("State"), choices=Task.State.choices)
    importance = django_filters.MultipleChoiceFilter(label=_("Importance"), choices=Importance.choices)
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    deadline_after = PeriodFilter(label=_("Deadline from"), field_name="deadline")
    deadline_before = PeriodFilter(label=_("Deadline to"), field_name="deadline", upper=True)

    class Meta:
        model = Task
        fields = []

    def quick_search(self, queryset, name, value):
        return queryset.filter(quick_search_q(value, "title"))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(state=Task.State.OPEN, deadline__lt=timezone.now())
        return queryset.filter(overdue if value else ~overdue)


class ReminderFilterSet(BaseFilterSet):
    user = django_filters.ModelMultipleChoiceFilter(label=_("To whom"), queryset=_users())
    counterparty = django_filters.NumberFilter(label=_("Counterparty"), widget=ChosenObjectWidget(COUNTERPARTY))
    kind = django_filters.MultipleChoiceFilter(label=pgettext_lazy("reminder", "Kind"), choices=Reminder.Kind.choices)
    delivered = django_filters.BooleanFilter(label=_("Delivered"), field_name="delivered_at",
                                             lookup_expr="isnull", exclude=True)
    remind_after = PeriodFilter(label=_("From"), field_name="remind_at")
    remind_before = PeriodFilter(label=_("To"), field_name="remind_at", upper=True)

    class Meta:
        model = Reminder
        fields = []


class NotificationFilterSet(BaseFilterSet):
    """The API's bell: ``?read=false`` for the unread ones (the list page's "Unread only")."""

    read = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", exclude=True,
                                        help_text="true: only read ones; false: only unread ones.")

    class Meta:
        model = Notification
        fields = []
