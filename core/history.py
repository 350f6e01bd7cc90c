"""Change history as people read it: who, when, field: old → new (SPEC §2)."""

import datetime
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from core.models import CustomProperty, PropertyKind, PropertyTarget

# Bookkeeping, not edits: also aggregates kept by the application (sales: a deal's furthest stage).
HIDDEN_FIELDS = {"version", "updated_at", "created_at", "search_text", "deleted_at", "secret", "furthest_stage"}
ACTIONS = {"+": _("created"), "~": _("changed"), "-": _("removed")}


def _label_cache(records):
    """Display names of every FK value in ``records``, fetched in one query per model."""
    wanted = {}
    for record in records:
        for field in record.instance_type._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.name not in HIDDEN_FIELDS:
                value = getattr(record, field.attname, None)
                if value is not None:
                    wanted.setdefault(field.related_model, set()).add(value)
    cache = {}
    for model, ids in wanted.items():
        manager = getattr(model, "all_objects", model._default_manager)
        for obj in manager.filter(pk__in=ids):
            cache[(model, obj.pk)] = str(obj)
    return cache


def _display(field, value, cache):
    if value in (None, ""):
        return "—"
    if isinstance(field, models.ForeignKey):
        return cache.get((field.related_model, value), f"#{value}")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return str(_("yes") if value else _("no"))
    if isinstance(field, models.JSONField) and isinstance(value, dict):
        return "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                         for k, v in sorted(value.items())) or "—"
    return str(value)


class PropertyLabels:
    """Names and display values of custom properties (``properties`` JSON), looked up once."""

    def __init__(self, records):
        targets = {r.instance_type._meta.label_lower for r in records} & set(PropertyTarget.values)
        self.props = {}
        # Alive definitions win over trashed ones with the same code.
        for prop in CustomProperty.all_objects.filter(target__in=targets).order_by("-deleted_at"):
            self.props[(prop.target, prop.code)] = prop
        user_ids = set()
        for record in records:
            for code, value in (getattr(record, "properties", None) or {}).items():
                prop = self.props.get((record.instance_type._meta.label_lower, code))
                if prop is not None and prop.kind == PropertyKind.USER and isinstance(value, int):
                    user_ids.add(value)
        self.users = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=user_ids)}

    def changes(self, model, old, new):
        old, new = old or {}, new or {}
        rows = []
        for code in sorted(set(old) | set(new)):
            if old.get(code) == new.get(code):
                continue
            prop = self.props.get((model._meta.label_lower, code))
            rows.append({"field": prop.name if prop else code, "old": self.display(prop, old.get(code)),
                         "new": self.display(prop, new.get(code))})
        return rows

    def display(self, prop, value):
        if value in (None, "", []):
            return "—"
        kind = prop.kind if prop else None
        if kind == PropertyKind.BOOLEAN or isinstance(value, bool):
            return str(_("Yes") if value else _("No"))
        if kind == PropertyKind.USER:
            return self.users.get(value, f"#{value}")
        if kind == PropertyKind.DATE:
            try:
                return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
            except (TypeError, ValueError):
                return str(value)
        if isinstance(value, list):
            return ", ".join(map(str, value))
        return str(formats.localize(value))


def m2m_fields(model):
    """The many-to-many fields whose sets ``model``'s history keeps (core.models.History)."""
    return [model._meta.get_field(name) for name in getattr(model, "_history_m2m_fields", ())]


@contextmanager
def m2m_with_last_record(instance):
    """Many-to-many sets written inside go into the history record the save just made: one
    entry per form or API save, not one more per add and remove (simple-history's default)."""
    fields = m2m_fields(type(instance))
    if not fields:
        yield
        return
    instance.skip_history_when_saving = True
    try:
        yield
    finally:
        del instance.skip_history_when_saving
    record = instance.history.order_by("-history_date", "-history_id").first()
    if record is not None:
        store_m2m_sets(record, instance, fields)


def store_m2m_sets(record, instance, fields):
    """Replace ``record``'s stored sets of ``fields`` with ``instance``'s current ones."""
    from simple_history.models import HistoricalRecords

    for field in fields:
        snapshot = HistoricalRecords.m2m_models[field]
        through = field.remote_field.through
        names = [f.attname for f in through._meta.fields]
        snapshot.objects.filter(history=record).delete()
        rows = through.objects.filter(**{field.m2m_field_name(): instance}).values_list(*names)
        snapshot.objects.bulk_create([snapshot(history=record, **dict(zip(names, row, strict=True))) for row in rows])


def snapshot_latest(model, ids, fields=None):
    """Store today's sets of ``ids`` (objects of ``model``) in each one's latest history record.

    For rows written in bulk (imports, demo data): ``bulk_create_with_history`` and direct
    inserts into a through table keep no sets, and the next change would show every member as
    just added. Set-based: a few queries per call, whatever the number of objects."""
    from django.db.models import OuterRef, Subquery
    from simple_history.models import HistoricalRecords

    ids = list(ids)
    if not ids:
        return
    for field in fields or m2m_fields(model):
        snapshot = HistoricalRecords.m2m_models[field]
        through = field.remote_field.through
        source = through._meta.get_field(field.m2m_field_name()).attname
        latest = model.history.filter(id=OuterRef(source)).order_by("-history_date", "-history_id") \
            .values("history_id")[:1]
        rows = through.objects.filter(**{f"{source}__in": ids}).annotate(record=Subquery(latest)) \
            .filter(record__isnull=False)
        names = [f.attname for f in through._meta.fields]
        values = list(rows.values_list("record", *names))
        snapshot.objects.filter(history_id__in={v[0] for v in values}).delete()
        snapshot.objects.bulk_create([snapshot(history_id=record, **dict(zip(names, rest, strict=True)))
                                      for record, *rest in values], batch_size=1000)


class M2MSets:
    """The many-to-many sets stored with each historical record, and their members' names,
    read in one query per field and one per related model."""

    def __init__(self, records):
        from simple_history.models import HistoricalRecords

        ids_by_model = {}
        for record in records:
            ids_by_model.setdefault(record.instance_type, []).append(record.history_id)
        self.sets, wanted = {}, {}
        for model, ids in ids_by_model.items():
            for field in m2m_fields(model):
                snapshot = HistoricalRecords.m2m_models[field]
                target = snapshot._meta.get_field(field.m2m_reverse_field_name()).attname
                members = self.sets.setdefault(field, {})
                for history_id, member in snapshot.objects.filter(history_id__in=ids).values_list("history_id",
                                                                                                  target):
                    members.setdefault(history_id, set()).add(member)
                    wanted.setdefault(field.related_model, set()).add(member)
        self.names = {}
        for model, ids in wanted.items():
            manager = getattr(model, "all_objects", model._default_manager)
            self.names.update({(model, obj.pk): str(obj) for obj in manager.filter(pk__in=ids)})

    def changes(self, model, before, record):
        rows = []
        for field in m2m_fields(model):
            members = self.sets.get(field, {})
            old, new = members.get(before.history_id, set()), members.get(record.history_id, set())
            if old == new:
                continue
            rows.append({"field": field.verbose_name, "old": self.display(field, old),
                         "new": self.display(field, new),
                         "added": self.labels(field, new - old), "removed": self.labels(field, old - new)})
        return rows

    def labels(self, field, ids):
        return sorted(self.names.get((field.related_model, pk), f"#{pk}") for pk in ids)

    def display(self, field, ids):
        return ", ".join(self.labels(field, ids)) or "—"


def entries(records, limit=200):
    """Readable entries for historical ``records`` of one or more objects, newest first."""
    records = sorted(records, key=lambda r: (r.history_date, r.history_id))
    cache = _label_cache(records)
    properties = PropertyLabels(records)
    many = M2MSets(records)
    users = {u.pk: str(u) for u in get_user_model().objects.filter(
        pk__in={r.history_user_id for r in records if r.history_user_id})}
    previous, result = {}, []
    for record in records:
        model = record.instance_type
        key = (model, record.id)
        before = previous.get(key)
        previous[key] = record
        action = record.history_type
        changes = []
        if before is not None:
            if before.deleted_at is None and record.deleted_at is not None:
                action = "del"
            elif before.deleted_at is not None and record.deleted_at is None:
                action = "restore"
            for field in model._meta.concrete_fields:
                if field.name in HIDDEN_FIELDS or not hasattr(record, field.attname):
                    continue
                old, new = getattr(before, field.attname), getattr(record, field.attname)
                if field.name == "properties" and isinstance(field, models.JSONField):
                    changes += properties.changes(model, old, new)
                elif old != new:
                    changes.append({"field": field.verbose_name, "old": _display(field, old, cache),
                                    "new": _display(field, new, cache)})
            changes += many.changes(model, before, record)
            if not changes and action == "~":
                continue
        result.append({
            "when": record.history_date, "who": users.get(record.history_user_id, _("system")),
            "action": action, "object": f"{model._meta.verbose_name}: {record.instance}",
            "changes": changes,
        })
    result.reverse()
    return result[:limit]
