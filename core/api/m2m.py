"""The ids of a page's many-to-many relations, in a query or two per relation.

``prefetch_related()`` builds a related manager and a filtered queryset for every row and
relation (~0.1 ms each: 4.8 ms of a 20-row knowledge API page with two relations, even empty).
An API that shows only the related ids needs just the pairs: ``fill`` reads them (and which of
the related rows are live, in their order) and keeps them on the rows, and the serializers'
many-id fields (``KeptIdsField``) answer from there. Only rows being shown get them: a row
saved afterwards answers from its managers again.
"""

from collections import defaultdict

from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS, PKOnlyObject

KEPT = "_kept_m2m_ids"


def fill(rows, names):
    """Keep on each of ``rows`` the ids of its live related rows of each forward many-to-many
    field in ``names``, in the related model's order (as prefetch_related() would)."""
    rows = list(rows)
    if not rows or not names:
        return
    model = type(rows[0])
    pks = [row.pk for row in rows]
    for name in names:
        field = model._meta.get_field(name)
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        pairs = list(field.remote_field.through._default_manager.filter(**{f"{source}__in": pks})
                     .values_list(f"{source}_id", f"{target}_id"))
        # The live ones (its default manager), in its order: a query on the few ids found, not a
        # join or a subquery over the whole related table (SQLite read all 100 000 clients).
        live = field.related_model._default_manager.filter(pk__in={t for _s, t in pairs}).values_list("pk", flat=True)
        rank = {pk: n for n, pk in enumerate(live)} if pairs else {}
        ids = defaultdict(list)
        for row_id, related_id in pairs:
            if related_id in rank:
                ids[row_id].append(related_id)
        for row in rows:
            row.__dict__.setdefault(KEPT, {})[name] = sorted(ids.get(row.pk, []), key=rank.__getitem__)


class KeptIdsField(serializers.ManyRelatedField):
    """A many-id field that answers from ``fill``'s ids when the row has them."""

    def get_attribute(self, instance):
        kept = instance.__dict__.get(KEPT, {})
        if self.source in kept:
            return [PKOnlyObject(pk) for pk in kept[self.source]]
        return super().get_attribute(instance)


class IdsRelatedField(serializers.PrimaryKeyRelatedField):
    """The model serializers' relation field: as DRF's, its many form a ``KeptIdsField``."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        list_kwargs = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return KeptIdsField(child_relation=cls(*args, **kwargs), **list_kwargs)
