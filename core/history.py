"""Change history as people read it: who, when, field: old → new (SPEC §2)."""

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _

HIDDEN_FIELDS = {"version", "updated_at", "created_at", "search_text", "deleted_at"}
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


def entries(records, limit=200):
    """Readable entries for historical ``records`` of one or more objects, newest first."""
    records = sorted(records, key=lambda r: (r.history_date, r.history_id))
    cache = _label_cache(records)
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
                if old != new:
                    changes.append({"field": field.verbose_name, "old": _display(field, old, cache),
                                    "new": _display(field, new, cache)})
            if not changes and action == "~":
                continue
        result.append({
            "when": record.history_date, "who": users.get(record.history_user_id, _("system")),
            "action": action, "object": f"{model._meta.verbose_name}: {record.instance}",
            "changes": changes,
        })
    result.reverse()
    return result[:limit]
