"""One way to declare routes: each app's ``urls.py`` lists its models' CRUD routes with these.

A model's routes always look the same (NetBox-style), so links, tests and the generated access
and unchanged-save tests can rely on their names:

    ``<prefix>/``                 ``<name>_list``
    ``<prefix>/new/``             ``<name>_add``
    ``<prefix>/<pk>/``            ``<name>`` (a card) — or ``<name>_edit`` when there is no card
    ``<prefix>/<pk>/edit/``       ``<name>_edit`` (with a card)
    ``<prefix>/<pk>/delete/``     ``<name>_delete``
    ``<prefix>/<pk>/history/``    ``<name>_history``

Reference lists (settings an administrator keeps: regions, lost reasons, …) need no view, form
or table code at all: ``reference_urls`` builds them from the model. Their views carry a
``reference_list`` attribute, so tests find every one of them in the resolver.
"""

from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import messages
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from core.filtersets import name_filterset
from core.forms import BaseModelForm
from core.models import in_use_message, rows_using
from core.tables import Column, Table
from core.views import generic


def crud_urls(prefix, name, *, list=None, add=None, detail=None, edit=None, delete=None,  # noqa: A002
              history=None, add_route="new/", detail_name=None):
    """The standard routes of one model; ``add`` defaults to the edit view.

    ``prefix`` may be empty (the app's own root); ``add_route`` and ``detail_name`` keep the few
    older spellings (``deals/add/``, ``order_detail``) working.
    """
    add = add or edit
    base = f"{prefix}/" if prefix else ""
    routes = [
        (list, "", f"{name}_list"),
        (add, add_route, f"{name}_add"),
        (detail, "<int:pk>/", detail_name or name),
        (edit, "<int:pk>/edit/" if detail else "<int:pk>/", f"{name}_edit"),
        (delete, "<int:pk>/delete/", f"{name}_delete"),
        (history, "<int:pk>/history/", f"{name}_history"),
    ]
    return [path(base + route, view.as_view(), name=url_name) for view, route, url_name in routes if view]


@dataclass(frozen=True)
class ReferenceList:
    """What ``reference_urls`` built: marks its views so the route set can be found again."""

    namespace: str
    name: str
    model: type

    def url_name(self, action):
        return f"{self.namespace}:{self.name}_{action}"


def reference_form(model, fields):
    widgets = {"description": django_forms.Textarea(attrs={"rows": 2})}
    meta = type("Meta", (), {"model": model, "fields": list(fields), "widgets": widgets})
    return type(f"{model.__name__}Form", (BaseModelForm,), {"Meta": meta})


def reference_table(model, columns):
    """Name (linked) plus the given columns; sortable by name, and by order when there is one."""
    field_names = {f.name for f in model._meta.get_fields()}
    attrs = {"default_sort": "order" if "order" in field_names else "name",
             "name": Column(gettext_lazy("Name"), order_by="name", linkify=True)}
    for column in columns:
        label = capfirst(model._meta.get_field(column).verbose_name)
        attrs[column] = Column(label, order_by=column if column == "order" else None)
    return type(f"{model.__name__}Table", (Table,), attrs)


class ReferenceDeleteView(generic.ObjectDeleteView):
    """Moves a row to the trash, unless live records still use it (409, saying which)."""

    def get(self, request, pk):
        return self.refuse_if_used(self.get_object(pk), status=200) or super().get(request, pk)

    def post(self, request, pk):
        return self.refuse_if_used(self.get_object(pk), status=409) or super().post(request, pk)

    def refuse_if_used(self, obj, status):
        used = rows_using(obj)
        if not used:
            return None
        messages.error(self.request, in_use_message(obj, used))
        return render(self.request, self.template_name, {"object": obj, "opts": self.model._meta}, status=status)


def reference_views(ref, *, form=None, table=None, fields=None, columns=None):
    """List / edit / delete views of a reference list: nothing to write per model."""
    model = ref.model
    model_fields = {f.name for f in model._meta.get_fields()}
    if fields is None:
        fields = [f for f in ("name", "description", "order") if f in model_fields]
    form = form or reference_form(model, fields)
    if table is None:
        table = reference_table(model, columns if columns is not None else [f for f in fields if f != "name"])
    common = {"model": model, "reference_list": ref}
    list_view = type(f"{model.__name__}ListView", (generic.ObjectListView,), {
        **common, "table_class": table, "filterset_class": name_filterset(model),
        "add_url_name": ref.url_name("add"),
    })
    edit_view = type(f"{model.__name__}EditView", (generic.ObjectEditView,), {
        **common, "form_class": form, "delete_url_name": ref.url_name("delete"),
        "success_url": lambda self, obj: reverse(ref.url_name("list")),
    })
    delete_view = type(f"{model.__name__}DeleteView", (ReferenceDeleteView,),
                       {**common, "success_url_name": ref.url_name("list")})
    return list_view, edit_view, delete_view


def reference_urls(prefix, name, model, namespace, **options):
    """Routes of a reference list (list, add, edit, delete) from the model alone.

    ``options``: ``fields`` of the form (default: name, description, order — those the model
    has), ``columns`` of the table besides the name (default: the other fields), or a ``form`` /
    ``table`` class of its own when the list needs more.
    """
    ref = ReferenceList(namespace, name, model)
    list_view, edit_view, delete_view = reference_views(ref, **options)
    return crud_urls(prefix, name, list=list_view, edit=edit_view, delete=delete_view)
