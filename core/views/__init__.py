from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from core import access
from core.models import SavedFilter

from .generic import RestoreView, TrashView  # noqa: F401


@login_required
def home(request):
    # Heads (the roles that see and assign everyone's work) start on the management dashboard.
    if access.can_assign(request.user):
        return redirect("dashboard")
    # Sales managers start their day on their own work (core.myday).
    if request.user.role == access.Role.SALES_MANAGER:
        from .myday import my_day

        return my_day(request)
    return redirect("clients:counterparty_list")


@login_required
def dashboard(request):
    """The management dashboard: the tiles the apps registered (core.dashboard)."""
    from django.shortcuts import render
    from django.utils import timezone

    from core import dashboard as tiles

    return render(request, "core/dashboard.html", {
        "tiles": tiles.render_tiles(request.user, request), "today": timezone.localdate(),
        "whole_company": access.rule_for(request.user)[0] == "all"})


@login_required
def save_filter(request):
    """Save the current list query under a name (POST from a list page)."""
    from django.contrib import messages
    from django.http import HttpResponseBadRequest
    from django.utils.translation import gettext as _

    if request.method != "POST":
        return HttpResponseBadRequest()
    name = (request.POST.get("name") or "").strip()[:100]
    target = request.POST.get("target", "")[:64]
    back = request.POST.get("back") or "/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    if not name:
        messages.error(request, _("Give the filter a name."))
        return redirect(back)
    SavedFilter.objects.update_or_create(
        user=request.user, target=target, name=name,
        defaults={"query": request.POST.get("query", "")[:4000],
                  "shared": request.POST.get("shared") == "on"},
    )
    messages.success(request, _("Filter saved: %(name)s") % {"name": name})
    return redirect(back)


@login_required
def delete_filter(request, pk):
    from django.shortcuts import get_object_or_404

    if request.method == "POST":
        get_object_or_404(SavedFilter, pk=pk, user=request.user).delete()
    back = request.POST.get("back") or "/"
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/")


