"""What a saved filter (core.models.SavedFilter) may point at, and whether its query applies there.

Targets are the lists with a filter sidebar (``ObjectListView``: ``app.model``) and the reports
(``report:<slug>``), exactly the places whose pages save filters. A query is checked the way its
page reads it: the list's FilterSet, or the report's form (with the form's defaults filled in).
"""

from django.http import QueryDict
from django.urls import get_resolver
from django.utils.translation import gettext as _

from core import registry

# Parameters the pages carry besides the filters (rows per page, the list's sort).
PAGE_PARAMETERS = {"per_page", "sort"}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def list_views():
    """{target: list view class} of the routed lists (the first view of a model wins)."""
    from core.views.generic import ObjectListView

    get_resolver().url_patterns  # noqa: B018  every app's views are imported with the URLconf
    views = {}
    for view in _subclasses(ObjectListView):
        if view.model is not None and view.filterset_class is not None:
            views.setdefault(view.model._meta.label_lower, view)
    return views


def targets(user):
    """{target: what it is} the user may save filters for: every list and the reports they may open."""
    found = dict(list_views())
    for report in registry.reports:
        if report.has_permission(user):
            found[report.variant_target()] = report
    return found


def field_keys(form):
    """The query parameters a form reads: a range widget reads one per part (``…_after``)."""
    keys = set()
    for name, field in form.fields.items():
        widget = field.widget
        if hasattr(widget, "suffixed") and hasattr(widget, "suffixes"):
            keys.update(widget.suffixed(name, suffix) for suffix in widget.suffixes)
        elif hasattr(widget, "widgets_names"):
            keys.update(name + suffix for suffix in widget.widgets_names)
        else:
            keys.add(name)
    return keys


def query_errors(target, query, request):
    """Messages for the parts of ``query`` the target's page would refuse or ignore ([]: fine)."""
    what = targets(request.user).get(target)
    if what is None:
        return []  # the target is validated (and named) on its own
    data = QueryDict(query)
    if isinstance(what, type) and hasattr(what, "form_class"):  # a report
        form = what.form_class(data, user=request.user)
    else:
        filterset = what.filterset_class(data, queryset=what.model.objects.none(), request=request)
        form = filterset.form
    unknown = sorted(set(data) - field_keys(form) - PAGE_PARAMETERS)
    errors = [_("Unknown filter “%(name)s”.") % {"name": name} for name in unknown]
    if not form.is_valid():
        for name, messages in form.errors.items():
            label = form.fields[name].label if name in form.fields else None
            for message in messages:
                errors.append(f"{label or name}: {message}" if name != "__all__" else message)
    return errors
