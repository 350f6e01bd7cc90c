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

PRODUCT = _("Product")
PRODUCT_TARGETS = [
    Target("name", _("Name"), ("наименование", "название", "наименование товара", "товар", "номенклатура",
                                "товар / услуга", "продукт", "name", "product", "product name", "item",
                                "item name", "denumire", "denumirea", "produs", "denumire produs", "articol"),
           "product"),
    Target("article", _("Article (code, SKU)"), ("артикул", "код", "код товара", "артикул товара", "sku", "article",
                                                 "code", "item code", "product code", "part number", "cod",
                                                 "cod articol", "cod produs"), "product"),
    Target("kind", _("Kind (product / service)"), ("вид", "тип", "вид номенклатуры", "товар/услуга", "kind", "type",
                                                  "tip", "tip produs"), "product"),
    Target("category", _("Category (name or path “Parent / Child”)"),
           ("категория", "группа", "группа товаров", "раздел", "раздел каталога", "категория товара", "category",
            "group", "product category", "section", "categorie", "categoria", "grupa"), "product"),
    Target("unit", _("Unit"), ("единица", "ед.", "ед", "ед. изм", "ед.изм", "ед. измерения", "единица измерения",
                               "unit", "uom", "unit of measure", "unitate", "unitate de masura",
                               "unitate de măsură", "u.m", "um"), "product"),
    Target("price", _("Price"), ("цена", "цена продажи", "розничная цена", "стоимость", "price", "sale price",
                                 "unit price", "pret", "preț", "pret de vanzare", "preț de vânzare"), "product"),
    Target("cost", _("Unit cost"), ("себестоимость", "закупочная цена", "цена закупки", "cost", "unit cost",
                                    "cost price", "purchase price", "cost unitar", "pret de achizitie",
                                    "preț de achiziție"), "product"),
    Target("currency", _("Currency"), ("валюта", "currency", "valuta", "valută", "moneda", "monedă"), "product"),
    Target("vat_rate", _("VAT rate, %"), ("ставка ндс", "ндс", "ндс %", "ндс, %", "vat", "vat rate", "vat %",
                                         "tax rate", "tva", "cota tva", "cota tva %"), "product"),
    Target("description", _("Description"), ("описание", "комментарий", "примечание", "description", "notes",
                                             "comment", "descriere", "nota", "notă"), "product"),
    Target("is_active", _("Active (yes / no)"), ("активен", "активный", "активность", "в продаже", "действует",
                                                 "active", "is active", "enabled", "activ", "in vanzare"), "product"),
]

INTERACTION = _("Interaction")
INTERACTION_CLIENT = _("Client and contact person")
INTERACTION_TARGETS = [
    Target("start", _("Date (and time)"), ("дата", "дата и время", "дата/время", "дата контакта", "дата события",
                                           "начало", "когда", "date", "date and time", "datetime", "date/time",
                                           "start", "when", "data", "data si ora", "data și ora", "data și ora",
                                           "data contactului"), "interaction"),
    Target("time", _("Time (when apart from the date)"), ("время", "время начала", "time", "start time", "ora",
                                                         "ora inceput", "ora început"), "interaction"),
    Target("type", _("Type (call, meeting, letter…)"), ("тип", "вид", "тип взаимодействия", "вид взаимодействия",
                                                       "канал", "вид контакта", "type", "interaction type",
                                                       "kind", "channel", "tip", "tipul", "tip interactiune",
                                                       "tip interacțiune", "canal"), "interaction"),
    Target("direction", _("Direction (incoming / outgoing)"), ("направление", "входящий/исходящий", "direction",
                                                              "in/out", "directie", "direcție", "direcția",
                                                              "sens"), "interaction"),
    Target("state", _("State (done, planned, cancelled)"), ("состояние", "статус", "state", "status", "stare",
                                                          "starea"), "interaction"),
    Target("subject", _("Subject"), ("тема", "предмет", "заголовок", "subject", "topic", "title", "subiect",
                                     "tema", "titlu"), "interaction"),
    Target("content", _("Content"), ("содержание", "описание", "текст", "комментарий", "примечание", "content",
                                     "description", "notes", "comment", "text", "continut", "conținut",
                                     "descriere", "comentariu"), "interaction"),
    Target("result", _("Result"), ("результат", "итог", "итоги", "result", "outcome", "rezultat", "rezultatul"),
           "interaction"),
    Target("duration", _("Duration, minutes"), ("длительность", "длительность, мин", "длительность мин",
                                                "продолжительность", "минут", "мин", "duration", "duration, min",
                                                "duration minutes", "minutes", "durata", "durată", "minute"),
           "interaction"),
    Target("responsible", _("Responsible (user name, full name or email)"),
           ("ответственный", "менеджер", "сотрудник", "пользователь", "автор", "responsible", "manager", "user",
            "owner", "employee", "responsabil", "utilizator", "angajat"), "interaction"),
    Target("client_tax_id", _("Client: tax id"), ("инн", "инн клиента", "инн контрагента", "inn", "tax id",
                                                  "client tax id", "vat number", "cod fiscal", "codul fiscal", "cui",
                                                  "idno", "cif"), "client"),
    Target("client_name", _("Client: name"), ("клиент", "контрагент", "организация", "наименование",
                                              "наименование клиента", "компания", "client", "company",
                                              "counterparty", "customer", "organization", "client name",
                                              "denumire", "denumire client", "firma", "compania"), "client"),
    Target("contact_person", _("Contact person (full name)"), ("контактное лицо", "контакт", "фио",
                                                               "собеседник", "contact person", "contact",
                                                               "contact name", "persoana de contact",
                                                               "persoană de contact"), "client"),
]

GROUPS = {"clients": {"client": CLIENT, "contacts": CONTACTS, "person": PERSON},
          "products": {"product": PRODUCT},
          "interactions": {"interaction": INTERACTION, "client": INTERACTION_CLIENT}}
TARGETS = {"clients": CLIENT_TARGETS, "products": PRODUCT_TARGETS, "interactions": INTERACTION_TARGETS}
NOT_IMPORTED = pgettext_lazy("import column", "— not imported —")

# vCard columns (readers.VCARD_COLUMNS) map onto these without guessing.
VCARD_MAPPING = {"Organization": "name", "Full name": "person_name", "Last name": "person_last_name",
                 "First name": "person_first_name", "Middle name": "person_middle_name",
                 "Title": "person_position", "Phone": "person_phone", "Mobile": "person_mobile",
                 "Email": "person_email", "Website": "website", "Address": "actual_address",
                 "Birthday": "person_birthday", "Note": "notes"}


def targets(kind):
    return TARGETS[kind]


def groups(kind):
    return GROUPS[kind]


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
    if file_format == "vcard" and kind == "clients":
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
    if kind == "products" and "name" not in seen:
        errors.append(_("Choose the column with the product's name."))
    if kind == "interactions":
        if "start" not in seen:
            errors.append(_("Choose the column with the date of the interaction."))
        if not seen & {"client_tax_id", "client_name"}:
            errors.append(_("Choose the column with the client's tax id or name."))
    return errors
