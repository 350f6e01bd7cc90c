"""What a column may be imported into, and the guess of the mapping from the column names.

Column names are compared normalised (lower case, ё → е, spaces collapsed, trailing ``:``/``*``
dropped) with synonyms in Russian, English and Romanian. A mapping saved for the same kind and
the same column names (the user's own first, then a shared one) wins over the guess.
"""

import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..models.imports import ImportMapping, header_key


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    synonyms: tuple
    group: str = "client"


CLIENT = _("Client")
CONTACTS = _("Client's contact information")
PERSON = _("Contact person")

CLIENT_TARGETS = [
    Target("name", _("Name"), ("наименование", "название", "наименование контрагента", "контрагент", "клиент",
                                "организация", "компания", "name", "company", "company name", "organization",
                                "organisation", "client", "counterparty", "denumire", "denumirea", "firma",
                                "compania", "companie", "denumirea firmei")),
    Target("full_name", _("Full name (legal)"), ("полное наименование", "юридическое наименование",
                                                 "полное название", "legal name", "full company name",
                                                 "denumire completa", "denumirea completa", "denumire juridica")),
    Target("kind", _("Kind (legal entity / individual)"), ("вид", "вид контрагента", "тип контрагента", "юр/физ",
                                                           "юр. / физ. лицо", "kind", "entity type", "tip",
                                                           "tip persoana", "forma")),
    Target("country", _("Country"), ("страна", "country", "tara", "țara")),
    Target("tax_id", _("Tax id (INN / CUI / IDNO)"), ("инн", "inn", "tax id", "taxid", "vat", "vat number",
                                                     "vat id", "cod fiscal", "codul fiscal", "cui", "cif", "idno",
                                                     "cod fiscal (idno)", "инн/кпп")),
    Target("kpp", "KPP", ("кпп", "kpp")),
    Target("ogrn", "OGRN", ("огрн", "огрнип", "ogrn")),
    Target("okpo", "OKPO", ("окпо", "okpo")),
    Target("city", _("City"), ("город", "населенный пункт", "city", "town", "oras", "oraș", "localitate",
                               "localitatea")),
    Target("region", _("Region"), ("регион", "область", "region", "regiune", "judet", "județ", "raion")),
    Target("industry", _("Industry"), ("отрасль", "сфера деятельности", "industry", "industrie", "domeniu",
                                       "domeniu de activitate")),
    Target("group", _("Group"), ("группа", "группа контрагентов", "group", "grup", "grupa")),
    Target("relationship_type", _("Relationship type"), ("тип отношений", "relationship type", "relationship",
                                                         "tip relatie", "tip relație")),
    Target("main_manager", _("Main manager (user name or full name)"),
           ("менеджер", "основной менеджер", "ответственный", "ответственный менеджер", "manager",
            "main manager", "owner", "account manager", "responsabil", "manager principal")),
    Target("is_supplier", _("Supplier (yes / no)"), ("поставщик", "supplier", "furnizor")),
    Target("notes", _("Notes"), ("примечание", "примечания", "комментарий", "заметки", "notes", "note", "comment",
                                 "comments", "nota", "notă", "observatii", "observații", "comentariu")),
    Target("phone", _("Phone"), ("телефон", "телефоны", "тел", "тел.", "рабочий телефон", "phone", "phones",
                                 "telephone", "tel", "work phone", "telefon", "telefoane"), "contacts"),
    Target("mobile", _("Mobile phone"), ("мобильный", "мобильный телефон", "сотовый", "mobile", "mobile phone",
                                         "cell", "cell phone", "mobil", "telefon mobil"), "contacts"),
    Target("email", _("Email"), ("e-mail", "email", "эл. почта", "электронная почта", "почта", "mail",
                                 "email address", "e-mail address", "adresa de email", "adresa email",
                                 "posta electronica"), "contacts"),
    Target("website", _("Website"), ("сайт", "веб-сайт", "website", "web site", "web", "url", "site",
                                     "pagina web"), "contacts"),
    Target("legal_address", _("Legal address"), ("юридический адрес", "юр. адрес", "юр адрес", "legal address",
                                                 "registered address", "adresa juridica", "adresa juridică",
                                                 "sediu", "sediul social"), "contacts"),
    Target("actual_address", _("Actual address"), ("адрес", "фактический адрес", "факт. адрес",
                                                   "почтовый адрес", "address", "actual address",
                                                   "postal address", "adresa", "adresă", "adresa postala"),
           "contacts"),
    Target("person_name", _("Contact person: full name"),
           ("контактное лицо", "фио", "фио контактного лица", "контакт", "contact person", "contact",
            "contact name", "full name", "persoana de contact", "persoană de contact", "nume complet"), "person"),
    Target("person_last_name", _("Contact person: last name"), ("фамилия", "last name", "surname", "family name",
                                                               "nume", "nume de familie"), "person"),
    Target("person_first_name", _("Contact person: first name"), ("имя", "first name", "given name", "prenume"),
           "person"),
    Target("person_middle_name", _("Contact person: middle name"), ("отчество", "middle name", "patronymic",
                                                                   "al doilea prenume"), "person"),
    Target("person_position", _("Contact person: position"), ("должность", "position", "title", "job title",
                                                             "functie", "funcție", "functia", "funcția"),
           "person"),
    Target("person_birthday", _("Contact person: birthday"), ("день рождения", "дата рождения", "birthday",
                                                             "date of birth", "data nasterii",
                                                             "data nașterii"), "person"),
    Target("person_phone", _("Contact person: phone"), ("телефон контактного лица", "телефон контакта",
                                                       "contact phone", "person phone", "telefon contact",
                                                       "telefon persoana de contact"), "person"),
    Target("person_mobile", _("Contact person: mobile phone"), ("мобильный контактного лица",
                                                               "мобильный телефон контактного лица",
                                                               "contact mobile", "person mobile",
                                                               "mobil persoana de contact"), "person"),
    Target("person_email", _("Contact person: email"), ("e-mail контактного лица", "email контактного лица",
                                                       "почта контактного лица", "contact email", "person email",
                                                       "email contact", "email persoana de contact"), "person"),
]

GROUPS = {"client": CLIENT, "contacts": CONTACTS, "person": PERSON}
TARGETS = {"clients": CLIENT_TARGETS}
NOT_IMPORTED = pgettext_lazy("import column", "— not imported —")

# vCard columns (readers.VCARD_COLUMNS) map onto these without guessing.
VCARD_MAPPING = {"Organization": "name", "Full name": "person_name", "Last name": "person_last_name",
                 "First name": "person_first_name", "Middle name": "person_middle_name",
                 "Title": "person_position", "Phone": "person_phone", "Mobile": "person_mobile",
                 "Email": "person_email", "Website": "website", "Address": "actual_address",
                 "Birthday": "person_birthday", "Note": "notes"}


def targets(kind):
    return TARGETS[kind]


def target_keys(kind):
    return {t.key for t in targets(kind)}


def labels(kind):
    return {t.key: t.label for t in targets(kind)}


def normalize_header(text):
    text = str(text or "").replace("ё", "е").replace("Ё", "Е").lower()
    text = re.sub(r"[\s_]+", " ", text).strip(" :*.")
    return text


def _synonyms(kind):
    table = {}
    for target in targets(kind):
        for synonym in (target.key, *target.synonyms):
            table.setdefault(normalize_header(synonym), target.key)
    return table


def guess(kind, headers, file_format=""):
    """A target per column from the column names (each target used by the first column only)."""
    if file_format == "vcard":
        wanted = [VCARD_MAPPING.get(h, "") for h in headers]
        return _unique(wanted)
    synonyms = _synonyms(kind)
    return _unique([synonyms.get(normalize_header(h), "") for h in headers])


def _unique(mapping):
    seen, out = set(), []
    for key in mapping:
        if key and key in seen:
            out.append("")
            continue
        seen.add(key)
        out.append(key)
    return out


def saved(kind, headers, user):
    """The saved mapping for these columns: the user's own, else a shared one, else None."""
    key = header_key(kind, headers)
    rows = {m.user_id: m for m in ImportMapping.objects.filter(Q(user=user) | Q(user__isnull=True),
                                                                 kind=kind, header_key=key)}
    found = rows.get(user.pk) or rows.get(None)
    if found is None or len(found.mapping) != len(headers):
        return None
    allowed = target_keys(kind)
    return [m if m in allowed else "" for m in found.mapping]


def initial(kind, headers, user, file_format=""):
    """(mapping, where it comes from: "saved" or "guessed")."""
    mapping = saved(kind, headers, user)
    if mapping is not None:
        return mapping, "saved"
    return guess(kind, headers, file_format), "guessed"


def save(kind, headers, mapping, user, shared=False):
    ImportMapping.objects.update_or_create(
        kind=kind, header_key=header_key(kind, headers), user=None if shared else user,
        defaults={"headers": list(headers), "mapping": list(mapping)})


def check(kind, mapping):
    """Error messages of a mapping: unknown targets, a target twice, the required ones missing."""
    allowed, errors, seen = target_keys(kind), [], set()
    names = labels(kind)
    for key in mapping:
        if not key:
            continue
        if key not in allowed:
            errors.append(_("Unknown field “%(key)s”.") % {"key": key})
        elif key in seen:
            errors.append(_("“%(field)s” is chosen for two columns.") % {"field": names[key]})
        seen.add(key)
    if kind == "clients" and "name" not in seen:
        errors.append(_("Choose the column with the client's name."))
    return errors
