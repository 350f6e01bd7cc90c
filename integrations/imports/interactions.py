"""Importing interaction history: each row a past contact with a client (a call, a meeting, a letter…).

- ``clean``: the date (dd.mm.yyyy [hh:mm], ISO, or an Excel date serial) with an optional time
  column, in the company's time zone; the type by the name of an interaction type in any
  interface language or a synonym («Звонок», «Встреча», «Письмо», «Call», «Apel»…); direction,
  state (done unless the file says otherwise), subject, content, result, duration in minutes
  (or h:mm), the responsible user (default: the importing user; naming someone else needs the
  right to assign, as for the clients' main manager);
- ``match``: the client by tax id, else by exact name, **among the clients the importing user may
  change** (``restrict``) — a client not found and a client not theirs read the same, an error
  naming the column; the contact person by full name within that client; then duplicates: the
  same client, type, start and subject as an existing interaction or an earlier row. All with a
  few ``IN (…)`` queries per 900 values, never a query per row;
- ``decide``: a duplicate is skipped unless the user chooses "create" for its row (interactions
  are never updated by an import);
- ``write``: interactions inserted with their history rows (``fastsql``), their contact persons
  in the many-to-many table, in the caller's transaction.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.models import Interaction, InteractionType
from clients.models import ContactPerson, Counterparty
from core import access, history
from core.builtin_names import default_spellings

from ..models import ImportPolicy, RowAction
from . import kinds
from .fastsql import FastInserter

SUBJECT_LENGTH = 200
CALL = "call"  # a call of either direction: the direction picks the type
TYPE_WORDS = {
    CALL: ("звонок", "телефонный звонок", "телефон", "call", "phone call", "phone", "apel", "apel telefonic",
           "convorbire"),
    "incoming_call": ("входящий", "входящий звонок", "вх. звонок", "incoming", "inbound call", "apel primit",
                      "apel de intrare"),
    "outgoing_call": ("исходящий", "исходящий звонок", "исх. звонок", "outgoing", "outbound call",
                      "apel efectuat", "apel de iesire", "apel de ieșire"),
    "meeting": ("встреча", "визит", "переговоры", "meeting", "visit", "intalnire", "întâlnire", "vizita", "vizită"),
    "email": ("e-mail", "email", "эл. письмо", "электронное письмо", "электронная почта", "mail", "e-mail message",
              "posta electronica", "poștă electronică"),
    "letter": ("письмо", "почтовое письмо", "letter", "post", "scrisoare"),
    "sms": ("смс", "sms", "text message", "mesaj"),
    "task": ("задача", "задание", "task", "sarcina", "sarcină"),
    "other": ("прочее", "другое", "иное", "other", "altele", "alta", "altceva"),
}
DIRECTION_WORDS = {
    "in": ("входящий", "входящее", "входящая", "вход", "вх", "вх.", "in", "incoming", "inbound", "intrare", "primit",
           "de intrare"),
    "out": ("исходящий", "исходящее", "исходящая", "исход", "исх", "исх.", "out", "outgoing", "outbound", "iesire",
            "ieșire", "trimis", "de iesire", "de ieșire"),
}
STATE_WORDS = {
    "done": ("выполнено", "выполнен", "выполнена", "проведено", "проведена", "состоялось", "состоялась", "завершено",
             "завершен", "сделано", "да", "done", "completed", "complete", "finished", "held", "yes", "realizat",
             "realizată", "efectuat", "finalizat", "da"),
    "planned": ("запланировано", "запланирован", "план", "planned", "scheduled", "planificat", "programat"),
    "cancelled": ("отменено", "отменен", "отменена", "не состоялось", "cancelled", "canceled", "anulat", "anulată"),
}
RU_DATE = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?:[ T,]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?")
TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)  # serial 1 = 1900-01-01 (with Excel's 1900 leap day)
DURATION = re.compile(r"(\d+)\s*(?:мин(?:ут[аы]?)?|min(?:utes?)?|m|м)?\.?", re.IGNORECASE)
DURATION_HM = re.compile(r"(\d+):(\d{2})(?::(\d{2}))?")


@dataclass
class Row(kinds.Row):
    pass


def _excel_serial(text):
    """A datetime from an Excel date serial («45356» or «45356.604»), else None."""
    if not re.fullmatch(r"\d{5}(?:[.,]\d+)?", text):  # 10000 = 1927-05-18: a bare year is no serial
        return None
    try:
        days = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    if not 1 <= days < 2958466:
        return None
    return EXCEL_EPOCH + datetime.timedelta(seconds=round(float(days) * 86400))


def parse_moment(text):
    """(naive datetime, whether it had a time) from the ways a spreadsheet writes one, or None."""
    text = text.strip()
    match = RU_DATE.fullmatch(text)
    if match:
        day, month, year, hour, minute, second = match.groups()
        year = int(year) + (2000 if len(year) == 2 else 0)
        try:
            return datetime.datetime(year, int(month), int(day), int(hour or 0), int(minute or 0),
                                     int(second or 0)), hour is not None
        except ValueError:
            return None
    try:
        moment = parse_datetime(text.replace("T", " ", 1) if "T" in text else text)
        if moment is not None:
            return moment, True
        day = parse_date(text)
        if day is not None:
            return datetime.datetime.combine(day, datetime.time()), False
    except ValueError:
        return None
    serial = _excel_serial(text)
    if serial is not None:
        return serial, serial.time() != datetime.time()
    return None


def parse_time(text):
    text = text.strip()
    match = TIME.fullmatch(text)
    if match:
        try:
            return datetime.time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
        except ValueError:
            return None
    try:  # a time cell as Excel stores it: a fraction of a day
        share = float(text.replace(",", "."))
    except ValueError:
        return None
    if 0 <= share < 1:
        seconds = round(share * 86400)
        return datetime.time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
    return None


def parse_duration(text):
    text = text.strip()
    match = DURATION_HM.fullmatch(text)
    if match:
        return int(match.group(1)) * 60 + int(match.group(2)) + (1 if int(match.group(3) or 0) >= 30 else 0)
    match = DURATION.fullmatch(text)
    if match:
        return int(match.group(1))
    return None


def _words(table):
    return {kinds.norm(word): code for code, words in table.items() for word in words}


class Context:
    """Types, users and the words of directions and states, fetched once."""

    def __init__(self, user, columns):
        self.user = user
        self.columns = columns
        self.can_assign = access.can_assign(user)
        self.types, self.codes, self.type_names = {}, {}, {}
        for obj in InteractionType.objects.all():
            self.codes[obj.code] = obj.pk
            self.type_names[obj.pk] = str(obj)
            stored = obj.__dict__.get("name", "")
            entry = InteractionType.BUILTIN_NAMES.get(obj.code)
            names = {stored, str(obj), obj.code}
            if entry is not None and stored in default_spellings(entry):
                names |= default_spellings(entry)
            for name in names:
                if name:
                    self.types.setdefault(kinds.norm(name), obj.pk)
        words = _words(TYPE_WORDS)
        for word, code in words.items():
            if code == CALL:
                self.types.setdefault(word, CALL)
            elif code in self.codes:
                self.types.setdefault(word, self.codes[code])
        self.type_codes = {pk: code for code, pk in self.codes.items()}
        self.directions = {**{kinds.norm(k): v for k, v in kinds.choice_lookup(Interaction.Direction.choices).items()},
                           **_words(DIRECTION_WORDS)}
        self.states = {**{kinds.norm(k): v for k, v in kinds.choice_lookup(Interaction.State.choices).items()},
                       **_words(STATE_WORDS)}
        self.users = kinds.user_lookup() if "responsible" in columns else {}
        self.duration_field = Interaction._meta.get_field("duration_minutes")
        self.zone = timezone.get_current_timezone()


def clean(row, mapping, ctx):
    raw = kinds.raw_values(row, mapping)
    error = kinds.error_adder(row, ctx.columns)
    data = row.data
    _clean_start(raw, data, error, ctx)
    if raw.get("direction"):
        direction = ctx.directions.get(kinds.norm(raw["direction"]))
        if direction is None:
            error("direction", _("“%(value)s” is not a direction: write “incoming” or “outgoing”.")
                  % {"value": raw["direction"]})
        data["direction"] = direction or Interaction.Direction.OUTGOING
    _clean_type(raw, data, error, ctx)
    data["state"] = Interaction.State.DONE
    if raw.get("state"):
        state = ctx.states.get(kinds.norm(raw["state"]))
        if state is None:
            error("state", _("“%(value)s” is not a state: write “done”, “planned” or “cancelled”.")
                  % {"value": raw["state"]})
        data["state"] = state or Interaction.State.DONE
    for key in ("content", "result"):
        data[key] = raw.get(key, "")
    subject = raw.get("subject", "")
    if len(subject) > SUBJECT_LENGTH:
        error("subject", _("Longer than %(limit)s characters.") % {"limit": SUBJECT_LENGTH})
    if not subject:  # the model needs one: the first line of the content, else the type's name
        first = data["content"].splitlines()[0].strip() if data["content"] else ""
        subject = first or ctx.type_names.get(data.get("type_id"), "")
    data["subject"] = subject[:SUBJECT_LENGTH]
    if raw.get("duration"):
        minutes = parse_duration(raw["duration"])
        if minutes is None:
            error("duration", _("“%(value)s” is not a number of minutes.") % {"value": raw["duration"]})
        else:
            try:
                ctx.duration_field.run_validators(minutes)
            except ValidationError as exc:
                error("duration", " ".join(exc.messages))
            else:
                data["duration_minutes"] = minutes
                if data.get("start"):
                    data["end"] = data["start"] + datetime.timedelta(minutes=minutes)
    data["responsible_id"], data["responsible"] = ctx.user.pk, str(ctx.user)
    if raw.get("responsible"):
        pk = ctx.users.get(" ".join(raw["responsible"].lower().split()))
        if pk is None:
            error("responsible", _("No active user “%(value)s”.") % {"value": raw["responsible"]})
        elif pk != ctx.user.pk and not ctx.can_assign:
            error("responsible", _("You may not make other users responsible for interactions."))
        else:
            data["responsible_id"], data["responsible"] = pk, raw["responsible"]
    data["client_tax_id"] = re.sub(r"\s+", "", raw.get("client_tax_id", ""))
    data["client_name"] = raw.get("client_name", "")
    if not data["client_tax_id"] and not data["client_name"]:
        error("client_name" if "client_name" in ctx.columns else "client_tax_id",
              _("The client (tax id or name) is required."))
    data["person_name"] = raw.get("contact_person", "")
    return row


def _clean_start(raw, data, error, ctx):
    text = raw.get("start", "")
    if not text:
        error("start", _("The date is required."))
        return
    parsed = parse_moment(text)
    if parsed is None:
        error("start", _("“%(value)s” is not a date (write 31.12.2024 14:30, 2024-12-31 14:30 or a spreadsheet "
                         "date).") % {"value": text})
        return
    moment, _has_time = parsed
    if raw.get("time"):
        clock = parse_time(raw["time"])
        if clock is None:
            error("time", _("“%(value)s” is not a time (write 14:30).") % {"value": raw["time"]})
            return
        moment = datetime.datetime.combine(moment.date(), clock, moment.tzinfo)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, ctx.zone)
    data["start"] = moment


def _clean_type(raw, data, error, ctx):
    text = raw.get("type", "")
    found = ctx.types.get(kinds.norm(text)) if text else ctx.codes.get("other")
    if found is None:
        if text:
            error("type", _("Unknown interaction type “%(value)s”: the types are in the settings.") % {"value": text})
        else:
            error("type", _("The type is required (there is no type “Other”)."))
        return
    if found == CALL:
        incoming = data.get("direction") == Interaction.Direction.INCOMING
        found = ctx.codes.get("incoming_call" if incoming else "outgoing_call")
        if found is None:
            error("type", _("Unknown interaction type “%(value)s”: the types are in the settings.") % {"value": text})
            return
    data["type_id"], data["type"] = found, ctx.type_names.get(found, "")
    if "direction" not in data:
        code = ctx.type_codes.get(found)
        data["direction"] = Interaction.Direction.INCOMING if code == "incoming_call" else \
            Interaction.Direction.OUTGOING


# --- Matching ---------------------------------------------------------------------------------------

def _person_keys(last, first, middle):
    return {kinds.norm(" ".join(p for p in parts if p)) for parts in
            ((last, first, middle), (last, first), (first, middle, last), (first, last))}


def match(rows, ctx):
    """Clients (of every row: the report names all of a row's errors), contact persons and
    duplicates (of the valid rows), in a few set queries."""
    valid = [r for r in rows if r.data.get("client_tax_id") or r.data.get("client_name")]
    if not valid:
        return
    clients = Counterparty.objects.restrict(ctx.user, access.CHANGE).order_by("pk")
    by_tax, by_name, names = {}, {}, {}
    for chunk in kinds.chunks({r.data["client_tax_id"] for r in valid if r.data["client_tax_id"]}):
        for pk, tax_id, name in clients.filter(tax_id__in=chunk).values_list("pk", "tax_id", "name"):
            by_tax.setdefault(tax_id, []).append(pk)
            names[pk] = name
    for chunk in kinds.chunks({r.data["client_name"] for r in valid if r.data["client_name"]}):
        for pk, name in clients.filter(name__in=chunk).values_list("pk", "name"):
            by_name.setdefault(name, []).append(pk)
            names[pk] = name
    for row in valid:
        _find_client(row, ctx, by_tax, by_name, names)
    _find_persons([r for r in valid if r.data.get("counterparty_id") and r.data["person_name"]], ctx)
    _find_duplicates([r for r in valid if r.valid])


def _find_client(row, ctx, by_tax, by_name, names):
    data = row.data
    error = kinds.error_adder(row, ctx.columns)
    tax_id, name = data["client_tax_id"], data["client_name"]
    found = by_tax.get(tax_id, []) if tax_id else []
    if len(found) > 1 and name:
        found = [pk for pk in found if names[pk] == name] or found
    if not found and name:
        found = by_name.get(name, [])
    column = "client_tax_id" if tax_id and "client_tax_id" in ctx.columns else "client_name"
    if not found:
        error(column, _("No client with tax id “%(tax_id)s” or name “%(name)s” among the clients you may "
                        "change.") % {"tax_id": tax_id or "—", "name": name or "—"})
    elif len(found) > 1:
        error(column, _("Several clients match “%(value)s”: give the tax id (or the exact name) of one.")
              % {"value": tax_id or name})
    else:
        data["counterparty_id"] = found[0]
        data["client"] = names[found[0]]


def _find_persons(rows, ctx):
    persons = {}
    for chunk in kinds.chunks({r.data["counterparty_id"] for r in rows}):
        found = (ContactPerson.objects.filter(counterparty_id__in=chunk).order_by("pk")
                 .values_list("pk", "counterparty_id", "last_name", "first_name", "middle_name"))
        for pk, counterparty_id, last, first, middle in found:
            for key in _person_keys(last, first, middle):
                persons.setdefault((counterparty_id, key), pk)
    for row in rows:
        pk = persons.get((row.data["counterparty_id"], kinds.norm(row.data["person_name"])))
        if pk is None:
            kinds.error_adder(row, ctx.columns)(
                "contact_person", _("“%(value)s” is not a contact person of this client.")
                % {"value": row.data["person_name"]})
        row.data["person_id"] = pk


def _key(counterparty_id, type_id, start, subject):
    return counterparty_id, type_id, start, kinds.norm(subject)


def _find_duplicates(rows):
    """The same client, type, start and subject: an existing interaction, or an earlier row."""
    if not rows:
        return
    existing = {}
    first, last = min(r.data["start"] for r in rows), max(r.data["start"] for r in rows)
    for chunk in kinds.chunks({r.data["counterparty_id"] for r in rows}):
        found = (Interaction.objects.filter(counterparty_id__in=chunk, start__gte=first, start__lte=last)
                 .order_by("pk").values_list("pk", "counterparty_id", "type_id", "start", "subject"))
        for pk, *key in found:
            existing.setdefault(_key(*key), pk)
    seen = {}
    for row in rows:
        d = row.data
        key = _key(d["counterparty_id"], d["type_id"], d["start"], d["subject"])
        if key in existing:
            row.matches = [(existing[key], ["same"])]
        if key in seen:
            row.duplicate_of = seen[key]
        else:
            seen[key] = row.number


def decide(importer, rows, overrides):
    for row in rows:
        row.flag, row.target_id = "", None
        if not row.valid:
            row.action = RowAction.SKIP
            continue
        if row.duplicate_of is not None:
            row.action, row.flag = RowAction.SKIP, "duplicate"
        elif row.matches:
            row.action, row.flag = RowAction.SKIP, "exists"
        else:
            row.action = RowAction.CREATE
        kinds.apply_policy_override(importer, row, overrides, None, lambda r: [])


# --- Writing ----------------------------------------------------------------------------------------

INTERACTION_FIELDS = ["type_id", "direction", "state", "subject", "content", "result", "counterparty_id",
                      "responsible_id", "start", "end", "duration_minutes"]


class Writer:
    def __init__(self, user, reason, checkpoint=lambda done: None):
        self.user, self.reason, self.checkpoint = user, reason, checkpoint
        self.created = self.updated = 0
        self.inserter = FastInserter(Interaction, user=user, reason=reason, now=timezone.now())
        self.through = Interaction.contact_persons.through

    def write(self, rows):
        creates = [r for r in rows if r.valid and r.action == RowAction.CREATE]
        done = 0
        for batch in kinds.chunks(creates, kinds.BATCH):
            self.create(batch)
            done += len(batch)
            self.checkpoint(done)

    def create(self, batch):
        ids = self.inserter.allocate(len(batch))
        values, links = [], []
        for row, pk in zip(batch, ids, strict=True):
            values.append({"id": pk, **{k: row.data[k] for k in INTERACTION_FIELDS if row.data.get(k) is not None}})
            if row.data.get("person_id"):
                links.append(self.through(interaction_id=pk, contactperson_id=row.data["person_id"]))
        self.inserter.insert(values)
        if links:
            self.through.objects.bulk_create(links, batch_size=kinds.BATCH)
            # The contact person in the creation record, not "added" at the next change.
            history.snapshot_latest(Interaction, [link.interaction_id for link in links])
        self.created += len(batch)


class InteractionImporter(kinds.Importer):
    kind = "interactions"
    row_class = Row
    policies = {ImportPolicy.SKIP_MATCHES: gettext_lazy(
        "Skip rows repeating an interaction (same client, type, start and subject), create the rest")}
    actions = (RowAction.CREATE, RowAction.SKIP)
    policy_label = gettext_lazy("When a row repeats an interaction")
    flagged_title = gettext_lazy("Rows repeating an interaction: decide")
    flagged_badge = gettext_lazy("repeating an interaction")
    match_url_name = "activities:interaction_edit"
    preview_columns = (("start", gettext_lazy("Date")), ("type", gettext_lazy("Type")),
                       ("client", gettext_lazy("Client")), ("subject", gettext_lazy("Subject")),
                       ("responsible", gettext_lazy("Responsible")))
    reason_labels = {"same": gettext_lazy("same client, type, start and subject")}

    def may_import(self, user):
        return access.can(user, access.ADD, Interaction)

    def context(self, user, columns):
        return Context(user, columns)

    def clean(self, row, mapping, ctx):
        return clean(row, mapping, ctx)

    def match(self, rows, ctx):
        match(rows, ctx)

    def decide(self, rows, policy, overrides, scope):
        decide(self, rows, overrides)

    def override_error(self, choice):
        if choice == RowAction.UPDATE:
            return _("An import does not change existing interactions: choose create or skip.")
        return None

    def match_names(self, rows, scope):
        return kinds.names_of(Interaction, [pk for row in rows for pk, _r in row.matches], field="subject")

    def preview_values(self, row):
        data = row.data
        start = data.get("start")
        return {"start": timezone.localtime(start).strftime("%d.%m.%Y %H:%M") if start else "",
                "client": data.get("client") or data.get("client_name") or data.get("client_tax_id", ""),
                "type": data.get("type", ""), "subject": data.get("subject", ""),
                "direction": data.get("direction", ""), "state": data.get("state", ""),
                "person": data.get("person_name", ""), "responsible": data.get("responsible", "")}

    def writer(self, user, reason, checkpoint):
        return Writer(user, reason, checkpoint)

    def duplicate_text(self, row):
        return _("Same interaction as row %(row)s of the file") % {"row": row}


kinds.register(InteractionImporter())
