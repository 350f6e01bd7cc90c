"""What may be imported: one ``Importer`` per kind (clients, products, interactions), registered by
its kind. The job flow (``services``: upload, mapping, preview, error XLSX, the run in one
transaction, cancel, progress), the pages and the API know only this interface:

- ``may_import(user)``: whether the user may import this kind at all;
- ``context(user, columns)``: what cleaning needs, fetched once (reference lists, users…);
- ``clean(row, mapping, ctx)``: a row's cells into ``row.data`` or ``row.errors`` naming the column;
- ``match(rows, ctx)``: each valid row against the base and the earlier rows of the file, with a
  few set queries (never a query per row);
- ``scope(user)`` and ``decide(rows, policy, overrides, scope)``: create / update / skip per row;
- ``preview_values(row)`` and ``describe_matches(row, scope)``: what the preview shows;
- ``writer(user, reason, checkpoint)``: bulk writes with history inside the caller's transaction.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from ..models import ImportPolicy, RowAction

REGISTRY = {}
CHUNK = 900  # ids / values per IN (…): below SQLite's old 999-variable limit
BATCH = 2000  # rows per bulk insert
YES = {"1", "да", "д", "yes", "y", "true", "+", "da", "x", "✓"}
NO = {"0", "нет", "н", "no", "n", "false", "-", "nu", ""}


@dataclass
class Row:
    """One row of the file on its way through clean → match → decide → write."""

    number: int
    cells: list
    data: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)  # [(column name, message)]
    matches: list = field(default_factory=list)  # [(record id, [reasons])], best first
    duplicate_of: int | None = None  # an earlier row of the file with the same record
    action: str = RowAction.CREATE
    target_id: int | None = None  # the record an update changes
    flag: str = ""  # why the row needs a decision ("" when the action is sure)

    @property
    def valid(self):
        return not self.errors


class Importer:
    kind = ""
    row_class = Row
    # The policies this kind offers: {ImportPolicy value: label}, the first one the default.
    policies = {}
    actions = tuple(RowAction.values)  # the per-row choices
    # The preview's words for this kind: the policy field, the rows to decide and their count.
    policy_label = flagged_title = flagged_badge = ""
    match_url_name = ""  # the route of a matched record's page (by id)
    preview_columns = ()  # [(key of the preview values, label)]
    reason_labels = {}

    def may_import(self, user):
        raise NotImplementedError

    def context(self, user, columns):
        raise NotImplementedError

    def clean(self, row, mapping, ctx):
        raise NotImplementedError

    def match(self, rows, ctx):
        raise NotImplementedError

    def scope(self, user):
        return None

    def decide(self, rows, policy, overrides, scope):
        raise NotImplementedError

    def match_names(self, rows, scope):
        """{record id: name} of the matches the preview of ``rows`` may name (a query per 900)."""
        return {}

    def describe_matches(self, row, scope, names):
        """[{"id", "name", "reasons"}] of a row's matches for the preview (``names``: match_names)."""
        return [{"id": pk, "name": names.get(pk, ""), "reasons": reasons} for pk, reasons in row.matches[:3]]

    def preview_values(self, row):
        return dict(row.data)

    def writer(self, user, reason, checkpoint):
        raise NotImplementedError

    @property
    def default_policy(self):
        return next(iter(self.policies))

    def duplicate_text(self, row):
        """"Same … as row N of the file" for a row repeating an earlier one."""
        raise NotImplementedError

    def override_error(self, choice):
        """The message when a per-row choice is not offered by this kind (None: it is)."""
        return None


def register(importer):
    REGISTRY[importer.kind] = importer
    return importer


def get(kind):
    """The importer of ``kind`` (KeyError for an unknown one)."""
    from . import clients, interactions, products  # noqa: F401 - each registers itself on import
    return REGISTRY[kind]


def all_importers():
    get("clients")
    return list(REGISTRY.values())


# --- Helpers shared by the importers ---------------------------------------------------------------

def raw_values(row, mapping):
    """{target: stripped cell text} of the mapped columns."""
    raw = {}
    for index, key in enumerate(mapping):
        if key and index < len(row.cells):
            raw[key] = row.cells[index].strip()
    return raw


def error_adder(row, columns):
    def error(key, message):
        row.errors.append((columns.get(key, key), message))
    return error


def choice_lookup(choices):
    """{lower-cased code or label in any interface language: code}."""
    table = {}
    for code, label in choices:
        table[str(code).lower()] = code
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                table[str(label).lower()] = code
    return table


def norm(text):
    """Lower case, ё → е, whitespace collapsed: how names are compared."""
    return " ".join(str(text or "").replace("ё", "е").replace("Ё", "Е").lower().split())


def names_of(model, ids, field="name"):
    """{id: field} of the rows of ``model`` with these ids, 900 ids a query."""
    names = {}
    for chunk in chunks(set(ids)):
        names.update(model.objects.filter(pk__in=chunk).values_list("pk", field))
    return names


def chunks(values, size=CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def user_lookup():
    """{normalised user name, email, "first last" and "last first": user id} of active users."""
    from django.contrib.auth import get_user_model

    users = {}
    for user in get_user_model().objects.filter(is_active=True):
        for key in (user.username, user.email, user.get_full_name(), f"{user.last_name} {user.first_name}"):
            if key and key.strip():
                users.setdefault(" ".join(key.lower().split()), user.pk)
    return users


def yes_no(value, yes=(), no=()):
    """True / False / None (not a yes-or-no word)."""
    value = value.strip().lower()
    if value in YES or value in yes:
        return True
    if value in NO or value in no:
        return False
    return None


def apply_policy_override(importer, row, overrides, scope, targets_of):
    """The user's per-row choice on a decided row. ``targets_of(row)``: the ids an update may
    change (the first is taken)."""
    choice = overrides.get(str(row.number))
    if choice not in RowAction.values:
        return
    problem = importer.override_error(choice)
    if problem:
        row.errors.append(("", problem))
        row.action = RowAction.SKIP
        return
    if choice == RowAction.UPDATE:
        target = next(iter(targets_of(row)), None)
        if target is None:
            row.errors.append(("", _("No record you may change matches this row: it cannot be updated.")))
            row.action = RowAction.SKIP
            return
        row.target_id = target
    else:
        row.target_id = None
    row.action = choice


__all__ = ["ImportPolicy", "Importer", "Row", "register", "get"]
