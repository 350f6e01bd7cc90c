"""Client-base logic shared by views, API, imports and tasks."""

import re

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from rapidfuzz import fuzz

from . import fts
from .models import PHONE_KINDS, ContactInfo, ContactKind, ContactPerson, Counterparty
from .validators import phone_search_digits

LEGAL_FORMS = re.compile(r"\b(ооо|оао|зао|пао|ао|ип|нко|гуп|муп|llc|ltd|srl|sa|inc)\b", re.I)


def normalize_text(value):
    return re.sub(r"\s+", " ", (value or "").replace("ё", "е").replace("Ё", "Е")).strip().lower()


def build_search_text(counterparty, persons=None, infos=None):
    """The lower-cased text quick search scans: names, tax id, phone digits, emails, persons."""
    if persons is None:
        persons = ContactPerson.objects.filter(counterparty=counterparty)
    if infos is None:
        infos = ContactInfo.objects.filter(counterparty=counterparty)
    parts = [counterparty.name, counterparty.full_name, counterparty.tax_id]
    parts += [p.full_name for p in persons]
    for info in infos:
        if info.kind in PHONE_KINDS:
            parts.append(re.sub(r"\D", "", info.value))
        elif info.kind == ContactKind.EMAIL:
            parts.append(info.value)
    return "|".join(normalize_text(p) for p in parts if p)


def refresh_search_text(counterparty_id):
    counterparty = Counterparty.all_objects.filter(pk=counterparty_id).first()
    if counterparty is not None:
        text = build_search_text(counterparty)
        Counterparty.all_objects.filter(pk=counterparty_id).update(search_text=text)


def search_q(query, prefix=""):
    """Q matching the quick-search ``query`` against ``search_text`` (every word must match)."""
    query = (query or "").strip()
    if not query:
        return Q()
    digits = phone_search_digits(query)
    if digits:
        return contains_q(digits, prefix) | contains_q(normalize_text(query), prefix)
    q = Q()
    for word in normalize_text(query).split(" "):
        q &= contains_q(word, prefix)
    return q


def contains_q(text, prefix=""):
    """``search_text`` contains ``text``.

    LIKE '%…%' cannot use an index: for a rare text (a tax id, a phone) the database reads every
    row, 200–300 ms at 100 000 clients. PostgreSQL serves it from a pg_trgm index as it is
    (migration 0002). On SQLite the FTS5 trigram table of that migration yields the ids of the
    matching rows; it needs 3+ characters, shorter words stay LIKE.
    """
    if len(text) >= 3 and connection.vendor == "sqlite" and fts.ready(connection):
        ids = RawSQL("SELECT rowid FROM clients_counterparty_fts WHERE clients_counterparty_fts MATCH %s",
                     ['"' + text.replace('"', '""') + '"'])  # a quoted phrase: a substring match
        return Q(**{f"{prefix}pk__in": ids})
    return Q(**{f"{prefix}search_text__contains": text})


def name_key(name):
    """Name without legal form and quotes, for similarity."""
    text = normalize_text(LEGAL_FORMS.sub(" ", re.sub(r"[\"'«»“”„]", " ", name or "")))
    return re.sub(r"\s+", " ", text).strip()


def find_duplicates(*, name="", tax_id="", phones=(), emails=(), exclude_pk=None, limit=10):
    """Likely duplicates in the whole base: [(counterparty, [reasons])], best first."""
    found = {}

    def add(cp, reason):
        found.setdefault(cp.pk, (cp, []))[1].append(reason)

    base = Counterparty.objects.exclude(pk=exclude_pk).select_related("main_manager")
    if tax_id:
        for cp in base.filter(tax_id=tax_id)[:limit]:
            add(cp, "tax_id")
    values = [v for v in list(phones) + list(emails) if v]
    if values:
        ids = ContactInfo.objects.filter(value__in=values).values("counterparty_id")
        for cp in base.filter(pk__in=ids)[:limit]:
            add(cp, "contact")
    key = name_key(name)
    words = sorted(key.split(" "), key=len, reverse=True)
    if words and len(words[0]) >= 3:
        for cp in base.filter(contains_q(words[0]))[:300]:
            if fuzz.token_sort_ratio(key, name_key(cp.name)) >= 85:
                add(cp, "name")
    ranked = sorted(found.values(), key=lambda item: -len(item[1]))
    return ranked[:limit]


class BatchError(Exception):
    pass


def parse_property_value(prop, raw):
    """A typed JSON value for ``prop`` from text typed in a batch form or an import."""
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError

    from core.forms import property_field, to_json
    from core.models import PropertyKind

    raw = (raw or "").strip()
    if not raw:
        return None
    if prop.kind == PropertyKind.MULTI:
        raw = [part.strip() for part in raw.split(";") if part.strip()]
    elif prop.kind == PropertyKind.USER:
        user = get_user_model().objects.filter(username=raw).first()
        if user is None:
            raise BatchError(f"{prop.name}: no user “{raw}”.")
        return user.pk
    elif prop.kind == PropertyKind.BOOLEAN:
        raw = {"да": "true", "yes": "true", "1": "true", "нет": "false", "no": "false",
               "0": "false"}.get(raw.lower(), raw)
    try:
        field = property_field(prop)
        field.required = False
        return to_json(prop, field.clean(raw))
    except ValidationError as exc:
        raise BatchError(f"{prop.name}: {' '.join(exc.messages)}") from None


def batch_change(queryset, data, user, chunk=500):
    """Apply one change to every counterparty in ``queryset``; all or nothing, with history."""
    from django.db import transaction
    from simple_history.utils import bulk_update_with_history

    field = data["field"]
    if field == "property":
        prop = data["property"]
        value = parse_property_value(prop, data.get("property_value"))
    else:
        value = data.get(field)
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        for start in range(0, len(pks), chunk):
            objs = list(Counterparty.objects.filter(pk__in=pks[start:start + chunk]))
            for obj in objs:
                if field == "property":
                    props = dict(obj.properties or {})
                    if value is None:
                        props.pop(prop.code, None)
                    else:
                        props[prop.code] = value
                    obj.properties = props
                else:
                    setattr(obj, field, value)
                obj.version += 1
            target = "properties" if field == "property" else field
            bulk_update_with_history(objs, Counterparty, [target, "version"], batch_size=chunk,
                                     default_user=user, default_change_reason="batch change")
    return len(pks)
