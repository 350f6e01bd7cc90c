"""The "My day" page and its one-click actions (core.myday)."""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import access, calendar, myday
from core.models import ConflictError

ACTIONS = ("done", "tomorrow")


@login_required
def my_day(request):
    return render(request, "core/myday.html", {
        "sections": myday.build(request.user), "today": timezone.localdate()})


def _row_response(request, section, row, message="", status=200):
    return render(request, "core/myday/row.html", {"section": section, "row": row, "message": message},
                  status=status)


@login_required
@require_POST
def my_day_action(request, section, pk, action):
    """Mark a row done or move it to tomorrow; answers with the row redrawn (htmx)."""
    section = myday.section_for(request.user, section)
    if section is None or not section.has_actions or action not in ACTIONS:
        raise Http404
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest(_("version: a whole number is required."))
    if action == "done" and section.done is None or action == "tomorrow" and not section.reschedule_kind:
        raise Http404
    qs = section.model.objects.restrict(request.user, access.CHANGE)
    obj = get_object_or_404(qs, pk=pk)
    try:
        if action == "done":
            if obj.version != version:
                raise ConflictError(obj, obj)
            if not myday.one_row(request.user, section, obj).active:
                raise calendar.NotMovable  # already done or cancelled
            section.done(obj)
            obj.save()  # optimistic locking: a save since ``version`` raises ConflictError
            outcome = "done"
        else:
            tomorrow = timezone.localdate() + datetime.timedelta(days=1)
            obj = calendar.reschedule(request.user, section.reschedule_kind, pk, version, tomorrow)
            outcome = "moved"
    except (ConflictError, calendar.NotMovable):
        current = get_object_or_404(qs, pk=pk)
        return _row_response(request, section, myday.one_row(request.user, section, current),
                             _("Someone changed this meanwhile: here is its current state."), status=409)
    return _row_response(request, section, myday.one_row(request.user, section, obj, outcome=outcome))
