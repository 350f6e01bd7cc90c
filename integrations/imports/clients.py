"""Importing clients (counterparties) with their contact information and contact persons.

Three passes over the rows, none of them a query per row:

1. ``clean``: each row through the validators the forms use (``Counterparty.clean`` for the tax
   id, KPP, OGRN and OKPO checksums; ``normalize_phone`` / ``normalize_email``; choices and
   reference names) — errors name the row and the column;
2. ``match``: every row against the base (tax id, phone, email, similar name) with the keys of
   the whole file fetched in a few set queries, and against the earlier rows of the file; then
   the action per row (create / update / skip) from the policy and the user's decisions;
3. ``write``: bulk inserts and updates in batches, each with its history records, inside the
   caller's transaction; ``checkpoint`` is called between batches (progress, cancel).

A sales manager imports into their own scope: new clients are theirs, only clients they may
change are updated, and a match with someone else's client says no more than "exists, owned by
another manager".
"""

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rapidfuzz import fuzz, process

from clients import fts, validators
from clients.models import (
    ContactInfo,
    ContactKind,
    ContactPerson,
    Counterparty,
    CounterpartyGroup,
    CounterpartyKind,
    Country,
    Industry,
    Region,
    RelationshipType,
)
from clients.services import build_search_text, name_key
from core import access, history

from ..models import ImportPolicy, RowAction
from . import kinds
from .fastsql import FastInserter

CHUNK = kinds.CHUNK
BATCH = kinds.BATCH
NAME_SCORE = 85  # as clients.services.find_duplicates
NAME_CANDIDATES = 300
COUNTERPARTY_FIELDS = ["name", "full_name", "kind", "country", "tax_id", "kpp", "ogrn", "okpo", "city", "region",
                       "industry", "group", "relationship_type", "main_manager", "is_supplier", "notes"]
REFERENCES = {"region": Region, "industry": Industry, "group": CounterpartyGroup,
              "relationship_type": RelationshipType}
CONTACT_KINDS = {"phone": ContactKind.PHONE, "mobile": ContactKind.MOBILE, "email": ContactKind.EMAIL,
                 "website": ContactKind.WEBSITE, "legal_address": ContactKind.LEGAL_ADDRESS,
                 "actual_address": ContactKind.ACTUAL_ADDRESS}
PERSON_CONTACT_KINDS = {"person_phone": ContactKind.PHONE, "person_mobile": ContactKind.MOBILE,
                        "person_email": ContactKind.EMAIL}
PHONE_TARGETS = {"phone", "mobile", "person_phone", "person_mobile"}
EMAIL_TARGETS = {"email", "person_email"}
SPLIT = re.compile(r"[,;]\s*|\s{2,}")
YES = kinds.YES
NO = kinds.NO
MAX_LENGTHS = {"name": 200, "full_name": 500, "city": 100, "person_last_name": 100, "person_first_name": 100,
               "person_middle_name": 100, "person_position": 150, "website": 500, "legal_address": 500,
               "actual_address": 500}


@dataclass
class Row(kinds.Row):
    infos: list = field(default_factory=list)  # [(kind, value)] of the client
    person: dict | None = None
    person_infos: list = field(default_factory=list)


_choice_lookup = kinds.choice_lookup


KIND_WORDS = {"юл": "legal", "юр": "legal", "юр. лицо": "legal", "юрлицо": "legal", "организация": "legal",
              "ооо": "legal", "фл": "individual", "физ": "individual", "физ. лицо": "individual",
              "физлицо": "individual", "ип": "individual", "pj": "legal", "pf": "individual"}


class Context:
    """What cleaning needs, fetched once: reference lists, users, choice labels, the user's rights."""

    def __init__(self, user, columns):
        self.user = user
        self.columns = columns  # {target: column name}
        self.can_assign = access.can_assign(user)
        self.kinds = {**_choice_lookup(CounterpartyKind.choices), **KIND_WORDS}
        self.countries = _choice_lookup(Country.choices)
        self.references = {}
        for key, model in REFERENCES.items():
            if key in columns:
                names = {}
                for obj in model.objects.all():
                    names.setdefault(str(obj.name).strip().lower(), obj.pk)
                    names.setdefault(str(obj).strip().lower(), obj.pk)
                self.references[key] = names
        self.users = kinds.user_lookup() if "main_manager" in columns else {}


def _split(value):
    return [part.strip() for part in SPLIT.split(value) if part.strip()]


def person_full_name(person):
    return " ".join(p for p in (person["last_name"], person["first_name"], person["middle_name"]) if p)


def split_person_name(text):
    parts = text.split()
    return {"last_name": parts[0] if parts else "", "first_name": parts[1] if len(parts) > 1 else "",
            "middle_name": " ".join(parts[2:])}


def clean(row, mapping, ctx):
    """Fill ``row.data``, ``infos``, ``person`` from its cells, or ``row.errors`` naming the column."""
    raw = {}
    for index, key in enumerate(mapping):
        if key and index < len(row.cells):
            raw[key] = row.cells[index].strip()

    def error(key, message):
        row.errors.append((ctx.columns.get(key, key), message))

    for key, limit in MAX_LENGTHS.items():
        if len(raw.get(key, "")) > limit:
            error(key, _("Longer than %(limit)s characters.") % {"limit": limit})
            raw[key] = raw[key][:limit]
    data = row.data
    person_name = raw.get("person_name", "")
    person = {"last_name": raw.get("person_last_name", ""), "first_name": raw.get("person_first_name", ""),
              "middle_name": raw.get("person_middle_name", "")}
    if person_name and not person["last_name"]:
        person = split_person_name(person_name)
    data["name"] = raw.get("name", "")
    if "kind" in raw and raw["kind"]:
        kind = ctx.kinds.get(raw["kind"].lower())
        if kind is None:
            error("kind", _("“%(value)s” is not a kind of client: write “legal entity” or “individual”.")
                  % {"value": raw["kind"]})
        data["kind"] = kind or CounterpartyKind.LEGAL
    if "kind" not in data and len(re.sub(r"\D", "", raw.get("tax_id", ""))) == 12:
        data["kind"] = CounterpartyKind.INDIVIDUAL  # a 12-digit INN: an entrepreneur or a person
    if not data["name"]:
        # A contact without a company (a vCard of a person): an individual client named after them.
        full = " ".join(p for p in (person["last_name"], person["first_name"], person["middle_name"]) if p)
        if full:
            data["name"], data["kind"] = full[:200], CounterpartyKind.INDIVIDUAL
        else:
            error("name", _("The name is required."))
    country = settings.KLIENTURA_COUNTRY if settings.KLIENTURA_COUNTRY in Country.values else Country.RU
    if raw.get("country"):
        country = ctx.countries.get(raw["country"].lower())
        if country is None:
            error("country", _("Unknown country “%(value)s”.") % {"value": raw["country"]})
            country = Country.RU
        data["country"] = country
    for key in ("full_name", "city", "notes"):
        if raw.get(key):
            data[key] = raw[key]
    # Tax id, KPP, OGRN, OKPO: the model's own checks, as the client form runs them.
    # (On a plain namespace: the model's own clean() without building a model instance per row.)
    probe = SimpleNamespace(kind=data.get("kind", CounterpartyKind.LEGAL), country=country,
                            tax_id=raw.get("tax_id", ""), kpp=raw.get("kpp", ""), ogrn=raw.get("ogrn", ""),
                            okpo=raw.get("okpo", ""))
    try:
        Counterparty.clean(probe)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                error(name if name in ctx.columns else next(iter(k for k in ("tax_id", "kpp", "ogrn", "okpo")
                                                                if k in ctx.columns), name), message)
    for key in ("tax_id", "kpp", "ogrn", "okpo"):
        if raw.get(key):
            data[key] = getattr(probe, key)
    for key, names in ctx.references.items():
        value = raw.get(key, "")
        if value:
            pk = names.get(value.lower())
            if pk is None:
                error(key, _("“%(value)s” is not in the list: add it in the settings first, or leave the "
                             "column out.") % {"value": value})
            data[f"{key}_id"] = pk
    if raw.get("main_manager"):
        pk = ctx.users.get(" ".join(raw["main_manager"].lower().split()))
        if pk is None:
            error("main_manager", _("No active user “%(value)s”.") % {"value": raw["main_manager"]})
        elif pk != ctx.user.pk and not ctx.can_assign:
            error("main_manager", _("You may not assign clients to other managers."))
        data["main_manager_id"] = pk
    if raw.get("is_supplier", "") != "" or "is_supplier" in raw:
        value = raw.get("is_supplier", "").lower()
        if value in YES:
            data["is_supplier"] = True
        elif value in NO:
            data["is_supplier"] = False if value else None
        else:
            error("is_supplier", _("Write “yes” or “no”."))
        if data.get("is_supplier") is None:
            data.pop("is_supplier", None)
    for key, kind in CONTACT_KINDS.items():
        for value in _values(key, raw.get(key, ""), error):
            row.infos.append((kind, value))
    if any(person.values()):
        if not person["last_name"]:
            error("person_last_name" if "person_last_name" in ctx.columns else "person_name",
                  _("The contact person's last name is required."))
        person["position"] = raw.get("person_position", "")
        if raw.get("person_birthday"):
            birthday = _date(raw["person_birthday"])
            if birthday is None:
                error("person_birthday", _("“%(value)s” is not a date (write 31.12.1980 or 1980-12-31).")
                      % {"value": raw["person_birthday"]})
            person["birthday"] = birthday
        row.person = person
        for key, kind in PERSON_CONTACT_KINDS.items():
            for value in _values(key, raw.get(key, ""), error):
                row.person_infos.append((kind, value))
    elif any(raw.get(k) for k in PERSON_CONTACT_KINDS):
        # A person's phone without a person: the client's own contact.
        for key, kind in PERSON_CONTACT_KINDS.items():
            for value in _values(key, raw.get(key, ""), error):
                row.infos.append((kind, value))
    return row


_PHONES = {}


def _values(key, text, error):
    """The normalised values of one contact cell (several: separated by commas or semicolons)."""
    if not text:
        return []
    if key in PHONE_TARGETS:
        parts, out = _split(text), []
        for part in parts:
            value = _PHONES.get(part)
            if value is None:
                try:
                    value = validators.normalize_phone(part)
                except ValidationError as exc:
                    error(key, " ".join(exc.messages))
                    continue
                if len(_PHONES) < 200_000:
                    _PHONES[part] = value
            out.append(value)
        return out
    if key in EMAIL_TARGETS:
        out = []
        for part in _split(text):
            try:
                out.append(validators.normalize_email(part))
            except ValidationError:
                error(key, _("“%(value)s” is not a valid email address.") % {"value": part})
        return out
    return [text]


def _date(text):
    text = text.strip()
    match = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", text)
    if match:
        text = f"{match.group(3)}-{int(match.group(2)):02d}-{int(match.group(1)):02d}"
    try:
        return parse_date(text[:10])
    except ValueError:
        return None


# --- Matching ---------------------------------------------------------------------------------------

class Scope:
    """Which matched clients the importing user may see and change (None: every one)."""

    def __init__(self, user):
        scope, _actions = access.rule_for(user)
        self.all = scope == "all"
        self.visible = None if self.all else set(
            Counterparty.objects.restrict(user, access.VIEW).values_list("pk", flat=True))
        self.changeable = None if self.all and access.can(user, access.CHANGE, Counterparty) else set(
            Counterparty.objects.restrict(user, access.CHANGE).values_list("pk", flat=True))

    def sees(self, pk):
        return self.visible is None or pk in self.visible

    def changes(self, pk):
        return self.changeable is None or pk in self.changeable


def _chunks(values, size=CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


class NameIndex:
    """Similar names over the whole base without a query per row: an inverted index of the
    name keys' words; each row is scored against the clients sharing its rarest word."""

    def __init__(self):
        self.exact, self.words, self.keys = {}, {}, {}
        for pk, name in Counterparty.objects.order_by().values_list("pk", "name").iterator(chunk_size=5000):
            key = name_key(name)
            if not key:
                continue
            self.keys[pk] = key
            self.exact.setdefault(key, []).append(pk)
            for word in set(key.split(" ")):
                if len(word) >= 3:
                    self.words.setdefault(word, []).append(pk)

    def find(self, name):
        key = name_key(name)
        if not key:
            return []
        found = list(self.exact.get(key, ()))
        postings = [self.words[w] for w in set(key.split(" ")) if len(w) >= 3 and w in self.words]
        if postings:
            candidates = [pk for pk in min(postings, key=len)[:NAME_CANDIDATES] if pk not in found]
            choices = {pk: self.keys[pk] for pk in candidates}
            for _choice, _score, pk in process.extract(key, choices, scorer=fuzz.token_sort_ratio,
                                                       score_cutoff=NAME_SCORE, limit=5):
                found.append(pk)
        return found[:5]


def match(rows, user):
    """Each valid row's matches in the base and its duplicate in the file (a few set queries)."""
    valid = [r for r in rows if r.valid]
    tax_ids = {r.data["tax_id"] for r in valid if r.data.get("tax_id")}
    by_tax = {}
    for chunk in _chunks(tax_ids):
        for pk, tax_id in Counterparty.objects.filter(tax_id__in=chunk).order_by("pk").values_list("pk", "tax_id"):
            by_tax.setdefault(tax_id, []).append(pk)
    contacts = {v for r in valid for _k, v in r.infos + r.person_infos
                if _k in (ContactKind.PHONE, ContactKind.MOBILE, ContactKind.FAX, ContactKind.EMAIL)}
    by_contact = {}
    for chunk in _chunks(contacts):
        found = (ContactInfo.objects.filter(value__in=chunk, counterparty__deleted_at__isnull=True)
                 .order_by("counterparty_id").values_list("value", "counterparty_id"))
        for value, pk in found:
            by_contact.setdefault(value, []).append(pk)
    names = NameIndex() if valid else None
    seen_tax, seen_contact, seen_name = {}, {}, {}
    for row in valid:
        found = {}
        for pk in by_tax.get(row.data.get("tax_id"), ()):
            found.setdefault(pk, []).append("tax_id")
        values = [v for _k, v in row.infos + row.person_infos if v in by_contact]
        for value in values:
            for pk in by_contact[value]:
                if "contact" not in found.setdefault(pk, []):
                    found[pk].append("contact")
        for pk in names.find(row.data["name"]):
            found.setdefault(pk, []).append("name")
        row.matches = sorted(found.items(), key=lambda item: (-("tax_id" in item[1]), -len(item[1]), item[0]))
        # The same client earlier in the file: by tax id, contact or identical name key.
        keys = []
        if row.data.get("tax_id"):
            keys.append((seen_tax, row.data["tax_id"]))
        keys += [(seen_contact, v) for _k, v in row.infos + row.person_infos
                 if _k in (ContactKind.PHONE, ContactKind.MOBILE, ContactKind.EMAIL)]
        keys.append((seen_name, name_key(row.data["name"])))
        for seen, key in keys:
            if key and key in seen and row.duplicate_of is None:
                row.duplicate_of = seen[key]
        for seen, key in keys:
            if key:
                seen.setdefault(key, row.number)


def decide(importer, rows, policy, overrides, scope):
    """The action of every valid row: the policy, then the user's decision on a flagged row."""
    for row in rows:
        row.flag, row.target_id = "", None
        if not row.valid:
            row.action = RowAction.SKIP
            continue
        sure = [pk for pk, reasons in row.matches if "tax_id" in reasons]
        best = row.matches[0][0] if row.matches else None
        if row.duplicate_of is not None:
            row.action, row.flag = RowAction.SKIP, "duplicate"
        elif len(sure) == 1:
            target = sure[0]
            if policy == ImportPolicy.SKIP_MATCHES:
                row.action = RowAction.SKIP
            elif scope.changes(target):
                row.action, row.target_id = RowAction.UPDATE, target
            else:
                row.action, row.flag = RowAction.SKIP, "not_yours"
        elif row.matches:
            row.flag = "ambiguous" if len(sure) > 1 else "similar"
            if policy == ImportPolicy.SKIP_MATCHES:
                row.action = RowAction.SKIP
            elif policy == ImportPolicy.UPDATE_MATCHES and len(sure) <= 1 and scope.changes(best):
                row.action, row.target_id = RowAction.UPDATE, best
            else:
                row.action = RowAction.CREATE if not sure else RowAction.SKIP
        else:
            row.action = RowAction.CREATE
        kinds.apply_policy_override(importer, row, overrides, scope,
                                    lambda r: (pk for pk, _reasons in r.matches if scope.changes(pk)))


def describe_matches(row, scope, limit=3, names=None):
    """What the preview may say about a row's matches: names of clients the user sees, no more
    than "exists, owned by another manager" about the others."""
    out = []
    visible = [pk for pk, _r in row.matches[:limit] if scope.sees(pk)]
    if names is None:
        names = kinds.names_of(Counterparty, visible)
    for pk, reasons in row.matches[:limit]:
        if scope.sees(pk):
            out.append({"id": pk, "name": names.get(pk, ""), "reasons": reasons})
        else:
            out.append({"id": None, "name": "", "reasons": reasons, "hidden": True})
    return out


# --- Writing ----------------------------------------------------------------------------------------

class Writer:
    """Bulk writes of the decided rows, with history, in the caller's transaction."""

    def __init__(self, user, reason, checkpoint=lambda done: None):
        self.user, self.reason, self.checkpoint = user, reason, checkpoint
        self.can_assign = access.can_assign(user)
        self.created = self.updated = 0
        self.now = timezone.now()
        options = {"user": user, "reason": reason, "now": self.now}
        self.inserters = {model: FastInserter(model, **options)
                          for model in (Counterparty, ContactPerson, ContactInfo)}

    def write(self, rows):
        creates = [r for r in rows if r.valid and r.action == RowAction.CREATE]
        updates = [r for r in rows if r.valid and r.action == RowAction.UPDATE and r.target_id]
        done = 0
        for batch in _chunks(creates, BATCH):
            self.create(batch)
            done += len(batch)
            self.checkpoint(done)
        for batch in _chunks(updates, BATCH // 2):
            self.update(batch)
            done += len(batch)
            self.checkpoint(done)

    def _manager(self, row):
        manager = row.data.get("main_manager_id")
        return manager if (manager and self.can_assign) else self.user.pk

    @staticmethod
    def _person_values(row, counterparty_id):
        p = row.person
        return {"counterparty_id": counterparty_id, "last_name": p["last_name"], "first_name": p["first_name"],
                "middle_name": p["middle_name"], "position": p.get("position", ""), "birthday": p.get("birthday")}

    def _insert_persons(self, pairs):
        """New contact persons ([(row, counterparty id)]) and their contact information values."""
        ids = self.inserters[ContactPerson].allocate(len(pairs)) if pairs else []
        persons, infos = [], []
        for (row, counterparty_id), pk in zip(pairs, ids, strict=True):
            persons.append({"id": pk, **self._person_values(row, counterparty_id)})
            infos += [{"counterparty_id": counterparty_id, "contact_person_id": pk, "kind": k, "value": v}
                      for k, v in row.person_infos]
        self.inserters[ContactPerson].insert(persons)
        return infos

    def _insert_infos(self, infos):
        ids = self.inserters[ContactInfo].allocate(len(infos)) if infos else []
        self.inserters[ContactInfo].insert([{"id": pk, **values} for values, pk in zip(infos, ids, strict=True)])

    def create(self, batch):
        ids = self.inserters[Counterparty].allocate(len(batch))
        counterparties, infos = [], []
        for row, pk in zip(batch, ids, strict=True):
            values = {k: v for k, v in row.data.items() if k != "main_manager_id"}
            values["main_manager_id"] = self._manager(row)
            values["search_text"] = build_search_text(
                SimpleNamespace(name=values["name"], full_name=values.get("full_name", ""),
                                tax_id=values.get("tax_id", "")),
                [SimpleNamespace(full_name=person_full_name(row.person))] if row.person else [],
                [SimpleNamespace(kind=k, value=v) for k, v in row.infos + row.person_infos])
            counterparties.append({"id": pk, **values})
            row.target_id = pk
            infos += [{"counterparty_id": pk, "kind": k, "value": v} for k, v in row.infos]
        with fts.bulk_insert(connection) as index:
            self.inserters[Counterparty].insert(counterparties)
            index(ids)
        infos += self._insert_persons([(row, row.target_id) for row in batch if row.person])
        self._insert_infos(infos)
        self.created += len(batch)

    def update(self, batch):
        ids = [r.target_id for r in batch]
        counterparties = {cp.pk: cp for cp in Counterparty.objects.filter(pk__in=ids)}
        persons, infos = {}, {}
        for person in ContactPerson.objects.filter(counterparty_id__in=ids).order_by("last_name", "first_name", "id"):
            persons.setdefault(person.counterparty_id, []).append(person)
        for info in ContactInfo.objects.filter(counterparty_id__in=ids).order_by("kind", "id"):
            infos.setdefault(info.counterparty_id, []).append(info)
        changed, new_persons, new_infos, touched = [], [], [], set()
        for row in batch:
            cp = counterparties.get(row.target_id)
            if cp is None:
                raise ValidationError(_("Row %(row)s: the client to update is gone (deleted meanwhile).")
                                      % {"row": row.number})
            if cp.pk in touched:
                continue  # two rows of the file update one client: the first one wins
            touched.add(cp.pk)
            dirty = False
            for key, value in row.data.items():
                if key == "main_manager_id":
                    if not self.can_assign or not value:
                        continue
                if value not in ("", None) and getattr(cp, key) != value:
                    setattr(cp, key, value)
                    dirty = True
            have = {(i.contact_person_id, i.kind, i.value) for i in infos.get(cp.pk, [])}
            added = [ContactInfo(counterparty_id=cp.pk, kind=k, value=v) for k, v in row.infos
                     if (None, k, v) not in have]
            new_infos += added
            infos.setdefault(cp.pk, []).extend(added)
            dirty = dirty or bool(added)
            more = []
            if row.person:
                key = (row.person["last_name"].lower(), row.person["first_name"].lower(),
                       row.person["middle_name"].lower())
                person = next((p for p in persons.get(cp.pk, []) if (p.last_name.lower(), p.first_name.lower(),
                                                                      p.middle_name.lower()) == key), None)
                if person is None:
                    person = ContactPerson(**self._person_values(row, cp.pk))
                    new_persons.append((person, row))
                    persons.setdefault(cp.pk, []).append(person)
                else:
                    more = [ContactInfo(counterparty_id=cp.pk, contact_person_id=person.pk, kind=k, value=v)
                            for k, v in row.person_infos if (person.pk, k, v) not in have]
                    new_infos += more
                    infos.setdefault(cp.pk, []).extend(more)
                dirty = dirty or person.pk is None or bool(more)
            if not dirty:
                continue  # the row says nothing new: no version, no history entry
            text = build_search_text(cp, [p for p in persons.get(cp.pk, []) if p.deleted_at is None],
                                     infos.get(cp.pk, []))
            cp.search_text = text
            cp.version += 1
            cp.updated_at = self.now
            changed.append(cp)
        new_infos = [{"counterparty_id": i.counterparty_id, "contact_person_id": i.contact_person_id,
                      "kind": i.kind, "value": i.value} for i in new_infos]
        new_infos += self._insert_persons([(row, person.counterparty_id) for person, row in new_persons])
        self._insert_infos(new_infos)
        fields_ = [f for f in COUNTERPARTY_FIELDS if f != "main_manager" or self.can_assign]
        fields_ = [Counterparty._meta.get_field(f).attname for f in fields_]
        self.inserters[Counterparty].update(changed, [*fields_, "search_text", "version", "updated_at"])
        history.snapshot_latest(Counterparty, [cp.pk for cp in changed])  # their shares, kept by bulk saves too
        self.updated += len(changed)



# --- The importer of the kind "clients" --------------------------------------------------------------

class ClientImporter(kinds.Importer):
    kind = "clients"
    row_class = Row
    policies = {
        ImportPolicy.UPDATE_BY_TAX_ID: ImportPolicy.UPDATE_BY_TAX_ID.label,
        ImportPolicy.UPDATE_MATCHES: ImportPolicy.UPDATE_MATCHES.label,
        ImportPolicy.SKIP_MATCHES: ImportPolicy.SKIP_MATCHES.label,
    }
    policy_label = gettext_lazy("When a row matches a client")
    flagged_title = gettext_lazy("Rows matching a client: decide")
    flagged_badge = gettext_lazy("matching a client")
    match_url_name = "clients:counterparty"
    preview_columns = (("name", gettext_lazy("Name")), ("tax_id", gettext_lazy("Tax id")),
                       ("person", gettext_lazy("Contact person")), ("contacts", gettext_lazy("Contacts")))
    reason_labels = {"tax_id": gettext_lazy("tax id"), "contact": gettext_lazy("phone or email"),
                     "name": gettext_lazy("similar name")}

    def may_import(self, user):
        return access.can(user, access.ADD, Counterparty)

    def context(self, user, columns):
        return Context(user, columns)

    def clean(self, row, mapping, ctx):
        return clean(row, mapping, ctx)

    def match(self, rows, ctx):
        match(rows, ctx.user)

    def scope(self, user):
        return Scope(user)

    def decide(self, rows, policy, overrides, scope):
        decide(self, rows, policy, overrides, scope)

    def match_names(self, rows, scope):
        return kinds.names_of(Counterparty, [pk for row in rows for pk, _r in row.matches[:3] if scope.sees(pk)])

    def describe_matches(self, row, scope, names):
        return describe_matches(row, scope, names=names)

    def preview_values(self, row):
        values = dict(row.data)
        for key in [k for k in values if k.endswith("_id")]:
            values.pop(key)
        if row.person:
            values["person"] = person_full_name(row.person)
        values["contacts"] = ", ".join(v for _k, v in row.infos + row.person_infos)
        return values

    def writer(self, user, reason, checkpoint):
        return Writer(user, reason, checkpoint)

    def duplicate_text(self, row):
        return _("Same client as row %(row)s of the file") % {"row": row}


kinds.register(ClientImporter())
