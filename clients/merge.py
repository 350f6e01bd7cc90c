"""Merging two counterparties into one (issue 13.2).

``merge(survivor, merged, …)`` keeps the survivor, takes the chosen fields from the merged
record, moves every row pointing at the merged record to the survivor and puts the merged record
in the trash with ``merged_into`` set — all in one transaction, refused when either record
changed since the versions the caller read.

What points at a counterparty is found by introspection (``Counterparty._meta.related_objects``
and every ``GenericForeignKey``), so the apps built on clients (interactions, deals, orders,
documents, complaints, equipment…) are moved without clients importing them:

- rows are moved with their history (a historical record per row, change reason "merge …") and a
  new version, so an edit form opened on a moved row before the merge is refused afterwards;
- a row that would break a unique constraint of its model at the survivor (a share the survivor
  already has, a second live class override, a group membership the survivor already has…) and
  a contact-information row repeating one of the survivor's own (same kind and value) stays with
  the merged record, in the trash with it;
- many-to-many links (knowledge articles' competitors) are moved; a link the survivor already has
  is dropped;
- rows of models marked ``derived = True`` (analysis results: recomputed by every run) stay with
  the merged record: the past runs keep their figures, the next run counts the survivor with the
  moved orders;
- an app may register another treatment for a model in ``core.registry.merge_rules`` under the
  model's label: ``"leave"``, ``"delete"`` or a callable ``(survivor, merged, user, reason)``.

Restoring the merged record from the trash clears ``merged_into`` and brings back the record
with what stayed with it; what moved stays with the survivor (a merge is not undone).
"""

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from core import access, registry

from .models import ContactInfo, Counterparty, DuplicatePair

SURVIVOR, MERGED = "survivor", "merged"
SIDES = (SURVIVOR, MERGED)
CHUNK = 500


class MergeConflict(Exception):
    """One of the two records changed since the merge screen (or the API client) read it."""

    def __init__(self, survivor, merged):
        self.survivor, self.merged = survivor, merged
        super().__init__(_("One of the two records was changed by someone else since you opened them: "
                           "reload and check the values again."))


def merge_fields():
    """The counterparty's fields a merge chooses between (what its edit form edits)."""
    return [f for f in Counterparty._meta.concrete_fields if f.editable and not f.primary_key]


def _value(obj, field):
    return getattr(obj, field.attname)


def is_empty(value):
    return value is None or value is False or value == "" or value == [] or value == {}


def default_choices(survivor, merged):
    """The survivor's value, unless it is empty and the merged record's is not."""
    return {f.name: MERGED if is_empty(_value(survivor, f)) and not is_empty(_value(merged, f)) else SURVIVOR
            for f in merge_fields()}


def resolve_choices(survivor, merged, requested, user):
    """The defaults overridden by ``requested`` ({field: "survivor" | "merged"}); errors name the field."""
    fields = {f.name: f for f in merge_fields()}
    choices = default_choices(survivor, merged)
    errors = {}
    for name, side in (requested or {}).items():
        if name not in fields:
            errors[name] = [_("No such field to merge.")]
        elif side not in SIDES:
            errors[name] = [_("Choose “survivor” or “merged”.")]
        else:
            choices[name] = side
    main = fields["main_manager"]
    if choices["main_manager"] == MERGED and _value(survivor, main) != _value(merged, main) \
            and not access.can_assign(user):
        errors["main_manager"] = [_("Only heads and administrators may change the main manager.")]
    if errors:
        raise ValidationError(errors)
    return choices


def apply_choices(survivor, merged, choices):
    for field in merge_fields():
        if field.name == "properties":
            # Property values are united; where both have a value, the chosen side's wins.
            mine, theirs = dict(survivor.properties or {}), dict(merged.properties or {})
            survivor.properties = {**mine, **theirs} if choices[field.name] == MERGED else {**theirs, **mine}
        elif choices[field.name] == MERGED:
            setattr(survivor, field.attname, _value(merged, field))


# --- What points at a counterparty ------------------------------------------------------------

def _manager(model):
    return getattr(model, "all_objects", model._base_manager)


def _has_history(model):
    return bool(getattr(model._meta, "simple_history_manager_attribute", None))


def _unique_sets(model, field):
    """(field names, condition) of the unique rules of ``model`` that include ``field``."""
    sets = []
    if field.unique:
        sets.append(((field.name,), None))
    for constraint in model._meta.constraints:
        names = tuple(getattr(constraint, "fields", ()) or ())
        if isinstance(constraint, models.UniqueConstraint) and field.name in names:
            sets.append((names, constraint.condition))
    for names in model._meta.unique_together:
        if field.name in names:
            sets.append((tuple(names), None))
    if model is ContactInfo:
        # Not a constraint, but the same phone or address twice on one card is a duplicate.
        sets.append((("counterparty", "kind", "value"), Q(contact_person__isnull=True)))
    return sets


def _conflicting(model, field, survivor, merged):
    """Ids of the merged record's rows that would repeat one of the survivor's under a unique rule."""
    manager, found = _manager(model), set()
    for names, condition in _unique_sets(model, field):
        condition = condition or Q()
        others = [n for n in names if n != field.name]
        theirs = manager.filter(condition, **{field.name: survivor})
        mine = manager.filter(condition, **{field.name: merged})
        if not others:
            if theirs.exists():
                found.update(mine.values_list("pk", flat=True))
            continue
        taken = {row for row in theirs.values_list(*others) if None not in row}
        found.update(pk for pk, *row in mine.values_list("pk", *others) if tuple(row) in taken)
    return found


def _move_rows(model, queryset, attname, target_id, user, reason):
    """Point ``queryset``'s rows at ``target_id``, with a history record and a new version each."""
    if not _has_history(model):
        return queryset.update(**{attname: target_id})
    versioned = any(f.name == "version" for f in model._meta.concrete_fields)
    fields = [attname, "version"] if versioned else [attname]
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), CHUNK):
        objs = list(_manager(model).filter(pk__in=pks[start:start + CHUNK]))
        for obj in objs:
            setattr(obj, attname, target_id)
            if versioned:
                obj.version += 1
        bulk_update_with_history(objs, model, fields, batch_size=CHUNK, manager=_manager(model),
                                 default_user=user, default_change_reason=reason)
    return len(pks)


def relations():
    """(model, how) of everything pointing at counterparties: ("fk", field), ("m2m", rel), ("generic", gfk)."""
    found = []
    for rel in Counterparty._meta.related_objects:
        if rel.many_to_many:
            if rel.through._meta.auto_created:  # a custom through model is moved as a foreign key
                found.append((rel.related_model, "m2m", rel))
        else:
            found.append((rel.related_model, "fk", rel.field))
    for model in apps.get_models():
        for field in model._meta.private_fields:
            if isinstance(field, GenericForeignKey):
                found.append((model, "generic", field))
    return found


def _rule(model):
    label = model._meta.label_lower
    if label in registry.merge_rules:
        return registry.merge_rules[label]
    return "leave" if getattr(model, "derived", False) else None


def plan(merged):
    """What a merge of ``merged`` would move: [(model's plural name, rows)] (the preview)."""
    rows = []
    ct = ContentType.objects.get_for_model(Counterparty)
    for model, how, spec in relations():
        if _rule(model) in ("leave", "delete"):
            continue
        if how == "fk":
            count = _manager(model).filter(**{spec.name: merged}).count()
        elif how == "m2m":
            count = spec.through.objects.filter(**{spec.field.m2m_reverse_field_name(): merged}).count()
        else:
            count = _manager(model).filter(**{spec.ct_field: ct, spec.fk_field: merged.pk}).count()
        if count:
            rows.append((model._meta.verbose_name_plural, count))
    return rows


def move_related(survivor, merged, user, reason):
    """Move every row pointing at ``merged`` to ``survivor``; returns {model label: (moved, left)}."""
    report = {}
    ct = ContentType.objects.get_for_model(Counterparty)
    for model, how, spec in relations():
        label, rule = model._meta.label_lower, _rule(model)
        manager = _manager(model)
        if rule == "leave":
            continue
        if how == "fk":
            rows = manager.filter(**{spec.name: merged})
        elif how == "generic":
            rows = manager.filter(**{spec.ct_field: ct, spec.fk_field: merged.pk})
        if rule == "delete":
            if how != "m2m":
                rows.delete()
            continue
        if callable(rule):
            rule(survivor, merged, user, reason)
            continue
        if how == "m2m":
            through, target = spec.through, spec.field.m2m_reverse_field_name()
            source = spec.field.m2m_field_name()
            links = through.objects.filter(**{target: merged})
            taken = through.objects.filter(**{target: survivor}).values(source)
            dropped = links.filter(**{f"{source}__in": taken}).delete()[0]
            moved = links.update(**{target: survivor})
            report[label] = (moved, dropped)
            continue
        if how == "fk":
            keep = _conflicting(model, spec, survivor, merged)
            moved = _move_rows(model, rows.exclude(pk__in=keep), spec.attname, survivor.pk, user, reason)
        else:
            keep = ()
            moved = _move_rows(model, rows, spec.fk_field, survivor.pk, user, reason)
        if moved or keep:
            report[label] = (moved, len(keep))
    return report


# --- The merge --------------------------------------------------------------------------------

def _validate(survivor, choices):
    """The result must be valid where it takes the merged record's values; a value the survivor
    already had is not the merge's business (it was saved before, e.g. by an import)."""
    try:
        survivor.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        taken = {name for name, side in choices.items() if side == MERGED}
        errors = {name: messages for name, messages in exc.message_dict.items()
                  if name in taken or name == NON_FIELD_ERRORS}
        if errors:
            raise ValidationError(errors) from None


def may_merge(user, survivor, merged):
    ids = set(Counterparty.objects.restrict(user, access.CHANGE).filter(
        pk__in=[survivor.pk, merged.pk]).values_list("pk", flat=True))
    return ids == {survivor.pk, merged.pk}


def merge(survivor, merged, *, user, fields=None, survivor_version=None, merged_version=None):
    """Merge ``merged`` into ``survivor`` (see the module's text); returns the saved survivor.

    Raises ``ValidationError`` naming the field, ``MergeConflict`` when a version does not match,
    ``PermissionDenied`` when ``user`` may not change both records.
    """
    if survivor.pk == merged.pk:
        raise ValidationError({"merged": [_("A record cannot be merged into itself.")]})
    with transaction.atomic():
        # Locked (PostgreSQL) and re-read inside the transaction: the versions are compared with
        # what the caller read, so a change made meanwhile is never overwritten.
        locked = {cp.pk: cp for cp in Counterparty.all_objects.select_for_update().filter(
            pk__in=[survivor.pk, merged.pk])}
        survivor, merged = locked.get(survivor.pk), locked.get(merged.pk)
        if survivor is None or survivor.is_deleted:
            raise ValidationError({"survivor": [_("This record is in the trash.")]})
        if merged is None or merged.is_deleted:
            raise ValidationError({"merged": [_("This record is in the trash.")]})
        if not may_merge(user, survivor, merged):
            raise PermissionDenied
        if (survivor_version is not None and survivor.version != survivor_version) or (
                merged_version is not None and merged.version != merged_version):
            raise MergeConflict(survivor, merged)
        choices = resolve_choices(survivor, merged, fields, user)
        apply_choices(survivor, merged, choices)
        _validate(survivor, choices)
        reason = f"merge: #{merged.pk} «{merged.name}» → #{survivor.pk}"[:100]
        move_related(survivor, merged, user, reason)
        survivor._history_user, survivor._change_reason = user, reason
        survivor.save()
        merged.merged_into, merged.deleted_at = survivor, timezone.now()
        merged._history_user, merged._change_reason = user, reason
        merged.save()
        DuplicatePair.objects.filter(Q(first=merged) | Q(second=merged)).delete()
        if not Counterparty.objects.restrict(user, access.CHANGE).filter(pk=survivor.pk).exists():
            raise PermissionDenied  # e.g. the chosen main manager takes the client out of the user's scope
    return survivor
