"""``has_element`` on a JSON key: does the stored list contain a value (multi-choice)?

Django's ``contains`` on JSON is PostgreSQL-only; this lookup works on SQLite too.
"""

from django.db.models import Lookup
from django.db.models.fields.json import KeyTransform


@KeyTransform.register_lookup
class HasElement(Lookup):
    lookup_name = "has_element"
    prepare_rhs = False

    def as_sql(self, compiler, connection):  # SQLite
        lhs, params = compiler.compile(self.lhs)
        return (
            f"EXISTS (SELECT 1 FROM json_each({lhs}) AS je WHERE je.value = %s)",  # noqa: S608 - lhs is compiled SQL
            (*params, str(self.rhs)),
        )

    def as_postgresql(self, compiler, connection):
        lhs, params = compiler.compile(self.lhs)
        return f"({lhs}) @> jsonb_build_array(%s::text)", (*params, str(self.rhs))
