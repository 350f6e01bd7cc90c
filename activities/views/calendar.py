"""The user calendar (day / week / month / list), drag-to-reschedule and the iCalendar feed."""

import calendar as pycalendar
from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from clients.models import Counterparty
from core import access
from core.dates import BoundedDateField, parse_bounded_date
from core.filtersets import fits_bigint
from core.models import ConflictError

from ..models import CalendarFeed, Importance
from ..services import calendar as cal

VIEWS = ("day", "week", "month", "list")
LIST_DAYS_BEFORE, LIST_DAYS_AFTER = 7, 30
# A month cell shows this many events; with more, one fewer and a "+N more" link to the day.
MONTH_CELL_EVENTS = 4


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class CalendarFilterForm(forms.Form):
    """The calendar's query string; invalid values fall back to defaults, named in an alert (400)."""

    view = forms.ChoiceField(choices=[(v, v) for v in VIEWS], required=False)
    # Bounded (core.dates): 9999-12-31 + a week would overflow; out of range falls back to today (400).
    date = BoundedDateField(required=False, widget=DateInput)
    counterparty = forms.IntegerField(required=False, widget=forms.HiddenInput,
                                      min_value=1, max_value=2**63 - 1)
    q = forms.CharField(label=gettext_lazy("Client"), required=False, max_length=100)
    type = forms.ChoiceField(label=gettext_lazy("Event type"), required=False)
    importance = forms.ChoiceField(
        label=gettext_lazy("Importance"), required=False,
        choices=[("", gettext_lazy("Any importance")), *Importance.choices])
    date_from = BoundedDateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    date_to = BoundedDateField(label=gettext_lazy("To"), required=False, widget=DateInput)
    done = forms.BooleanField(label=gettext_lazy("Show done"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Event types come from the registered calendar sources (core.registry.calendar_sources).
        self.fields["type"].choices = [("", _("All events")), *cal.filter_choices()]
        for name in ("q", "type", "importance", "date_from", "date_to"):
            css = "form-select form-select-sm" if name in ("type", "importance") else "form-control form-control-sm"
            self.fields[name].widget.attrs["class"] = css
        self.fields["q"].widget.attrs["placeholder"] = _("Name, tax id, phone…")
        self.fields["done"].widget.attrs["class"] = "form-check-input"

    def value(self, name, default=None):
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value

    def filters(self):
        types = self.value("type")
        importance = self.value("importance")
        return cal.CalendarFilters(
            counterparty=self.value("counterparty"), q=self.value("q", ""),
            types=frozenset([types]) if types else frozenset(),
            importance=frozenset([importance]) if importance else frozenset(),
            include_done=bool(self.value("done")))


def owner_for(request):
    """Whose calendar: ``?user=<id>`` for heads (anyone) and a user's head; 403 otherwise."""
    raw = request.GET.get("user", "")
    if not raw or raw == str(request.user.pk):
        return request.user
    if not raw.isdigit() or not fits_bigint(raw):
        raise Http404
    owner = get_object_or_404(get_user_model(), pk=raw)
    if not cal.can_view_calendar(request.user, owner):
        raise PermissionDenied
    return owner


def _query(params, **changes):
    data = {k: v for k, v in params.lists()} if hasattr(params, "lists") else dict(params)
    for key, value in changes.items():
        if value in (None, ""):
            data.pop(key, None)
        else:
            data[key] = [str(value)]
    return urlencode([(k, v) for k, values in data.items() for v in values if v != ""])


def _add_months(day, months):
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, pycalendar.monthrange(year, month)[1]))


class CalendarView(LoginRequiredMixin, View):
    template_name = "activities/calendar/calendar.html"

    def get(self, request):
        owner = owner_for(request)
        form = CalendarFilterForm(request.GET)
        form.is_valid()
        view = form.value("view", "week")
        today = timezone.localdate()
        day = form.value("date", today)
        first_weekday = get_format("FIRST_DAY_OF_WEEK")
        filters = form.filters()
        context = {"view": view, "day": day, "today": today, "owner": owner, "form": form, "filters": filters}

        if view == "day":
            first = last = day
            step = {"days": 1}
            title = date_format(day, "l, ") + date_format(day, "DATE_FORMAT")
        elif view == "week":
            first = cal.week_start(day, first_weekday)
            last = first + timedelta(days=6)
            step = {"days": 7}
            title = f"{date_format(first, 'DATE_FORMAT')} – {date_format(last, 'DATE_FORMAT')}"
        elif view == "month":
            month_first = day.replace(day=1)
            month_last = _add_months(month_first, 1) - timedelta(days=1)
            first = cal.week_start(month_first, first_weekday)
            last = cal.week_start(month_last, first_weekday) + timedelta(days=6)
            step = {"months": 1}
            title = date_format(month_first, "YEAR_MONTH_FORMAT")
        else:  # list: a period, by default a week back (overdue items) and a month ahead
            first = form.value("date_from", day - timedelta(days=LIST_DAYS_BEFORE))
            last = form.value("date_to", day + timedelta(days=LIST_DAYS_AFTER))
            if last < first:
                first, last = last, first
            step = {"days": (last - first).days + 1}
            title = f"{date_format(first, 'DATE_FORMAT')} – {date_format(last, 'DATE_FORMAT')}"

        start, end = cal.day_bounds(first, last)
        events = cal.events_for(request.user, owner, start, end, filters)
        by_day = {}
        for ev in events:
            by_day.setdefault(ev.local_date, []).append(ev)
        params = request.GET.copy()
        days = []
        for i in range((last - first).days + 1):
            d = first + timedelta(days=i)
            day_events = by_day.get(d, [])
            shown = day_events
            if view == "month" and len(day_events) > MONTH_CELL_EVENTS:
                shown = day_events[:MONTH_CELL_EVENTS - 1]
            days.append({"date": d, "events": day_events, "shown": shown, "more": len(day_events) - len(shown),
                         "is_today": d == today, "other_month": view == "month" and d.month != day.month,
                         "url": "?" + _query(params, view="day", date=d.isoformat())})
        if "months" in step:
            prev_day, next_day = _add_months(day, -1), _add_months(day, 1)
        else:
            prev_day, next_day = day - timedelta(days=step["days"]), day + timedelta(days=step["days"])
        shift = {}
        if view == "list" and (form.value("date_from") or form.value("date_to")):
            span = timedelta(days=step["days"])
            shift = {"prev": {"date_from": first - span, "date_to": last - span},
                     "next": {"date_from": first + span, "date_to": last + span},
                     "today": {"date_from": None, "date_to": None}}
        context.update({
            "title": title, "events": events, "days": days,
            "weeks": [days[i:i + 7] for i in range(0, len(days), 7)],
            "weekdays": days[:7],
            "prev_url": "?" + _query(params, date=prev_day.isoformat(), **shift.get("prev", {})),
            "next_url": "?" + _query(params, date=next_day.isoformat(), **shift.get("next", {})),
            "today_url": "?" + _query(params, date=None, **shift.get("today", {})),
            "view_urls": [(v, label, "?" + _query(params, view=v, date_from=None, date_to=None))
                          for v, label in (("day", _("Day")), ("week", _("Week")), ("month", _("Month")),
                                           ("list", _("List")))],
            "users": cal.calendar_users(request.user) if cal.is_calendar_head(request.user)
            or request.user.subordinates.filter(is_active=True).exists() else None,
            "counterparty": (Counterparty.objects.restrict(request.user, access.VIEW)
                             .filter(pk=filters.counterparty).first() if filters.counterparty else None),
            "clear_counterparty_url": "?" + _query(params, counterparty=None),
            "movable_view": view in ("week", "month"),
        })
        if owner == request.user:
            feed = CalendarFeed.objects.filter(user=request.user).first()
            if feed:
                url = request.build_absolute_uri(reverse("activities:calendar_feed", args=[feed.token]))
                context.update(feed=feed, feed_url=url, feed_webcal=url.replace("https://", "webcal://", 1)
                               .replace("http://", "webcal://", 1))
            context["show_feed"] = True
        # Out-of-range dates and ids fall back to defaults, but the answer says which field was wrong.
        return render(request, self.template_name, context, status=400 if form.errors else 200)


class CalendarMoveView(LoginRequiredMixin, View):
    """POST kind, id, version, date (+ view): move an event to another day, keeping its time."""

    def post(self, request):
        data = request.POST
        new_date = parse_bounded_date(data.get("date", "")) if len(data.get("date", "")) == 10 else None
        kind = data.get("kind", "")
        numbers = (data.get("id", ""), data.get("version", ""))
        if new_date is None or not all(n.isdigit() and fits_bigint(n) for n in numbers):
            return JsonResponse({"message": _("The move could not be understood. Reload the page.")}, status=400)
        try:
            obj = cal.reschedule(request.user, kind, int(data["id"]), int(data["version"]), new_date)
        except Http404:
            return JsonResponse({"message": _("This event does not exist or you may not change it.")}, status=404)
        except cal.NotMovable:
            return JsonResponse({"message": _("Only planned events can be moved.")}, status=400)
        except ConflictError:
            return JsonResponse({"message": _(
                "Someone else has changed this event since the calendar was loaded. Nothing was moved: "
                "reload the calendar to see the current version.")}, status=409)
        event = cal.event_of(request.user, kind, obj)
        html = render_to_string("activities/calendar/includes/event.html",
                                {"event": event, "compact": data.get("view") == "month", "movable_view": True},
                                request=request)
        return JsonResponse({"ok": True, "version": obj.version, "html": html,
                             "message": _("“%(title)s” moved to %(date)s.") % {
                                 "title": event.title, "date": date_format(new_date, "DATE_FORMAT")}})


class FeedRegenerateView(LoginRequiredMixin, View):
    """Create the feed address, or replace it: the old address stops working at once."""

    def post(self, request):
        feed, created = CalendarFeed.objects.get_or_create(user=request.user)
        if not created:
            feed.regenerate()
            messages.success(request, _("A new calendar address was created; the old one no longer works."))
        return redirect(reverse("activities:calendar") + "#calendar-feed")


class FeedRevokeView(LoginRequiredMixin, View):
    def post(self, request):
        CalendarFeed.objects.filter(user=request.user).delete()
        messages.success(request, _("The calendar address was turned off."))
        return redirect(reverse("activities:calendar") + "#calendar-feed")


def feed(request, token):
    """The iCalendar feed: no login, the secret token in the address is the key."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token, user__is_active=True)
    owner = feed.user
    body = cal.build_ical(owner, cal.feed_events(owner), request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="klientura.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
