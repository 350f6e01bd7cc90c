"""Importing the product catalogue: products and services with their categories.

- ``clean``: each row through the product model's own field validators (the form runs the same:
  max digits, two decimals, not negative), units and kinds by code or label in any interface
  language (and OKEI codes such as 796 for pieces), the currency as a three-letter code;
- ``category``: by its name when one category has it, or by its path «Parent / Child». An
  unknown category is **created** (under the existing parent the path names, or at the top): the
  catalogue's categories are kept by the same people who may import products, and a price list
  from accounting brings its own sections. The preview marks such categories as new;
- ``match``: by article (the product form's check: the same article in any letter case), then by
  name (exact, case-insensitive); a name match is sure when the row or the product has no
  article, otherwise it is only flagged (two products may share a name with different articles);
- ``write``: new categories and products inserted with their history rows, updates with
  one version-guarded UPDATE per row (``fastsql``) — all in the caller's transaction.

VAT: prices in the catalogue include VAT at the company's one rate (``KLIENTURA_VAT_RATE``, the
rate the documents print); a VAT column is read and checked against that rate — a row with
another rate is an error rather than a price silently taken with the wrong tax.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import access
from sales.models import Product, ProductCategory
from sales.models.products import ProductKind, Unit

from ..models import ImportPolicy, RowAction
from . import kinds
from .fastsql import FastInserter

MAX_LENGTHS = {"name": 200, "article": 50}
CATEGORY_NAME_LENGTH = 150
PATH_SEPARATOR = re.compile(r"\s*(?:/|\\|>|→|»)\s*")
UNIT_WORDS = {
    "шт": Unit.PIECE, "штука": Unit.PIECE, "штук": Unit.PIECE, "piece": Unit.PIECE, "pieces": Unit.PIECE,
    "pc": Unit.PIECE, "buc": Unit.PIECE, "bucata": Unit.PIECE, "bucată": Unit.PIECE, "796": Unit.PIECE,
    "компл": Unit.SET, "комплект": Unit.SET, "kit": Unit.SET, "839": Unit.SET,
    "ч": Unit.HOUR, "час": Unit.HOUR, "hour": Unit.HOUR, "hr": Unit.HOUR, "ora": Unit.HOUR, "oră": Unit.HOUR,
    "356": Unit.HOUR, "м": Unit.METRE, "метр": Unit.METRE, "metre": Unit.METRE, "meter": Unit.METRE,
    "metru": Unit.METRE, "006": Unit.METRE, "кг": Unit.KILOGRAM, "килограмм": Unit.KILOGRAM,
    "kilogram": Unit.KILOGRAM, "166": Unit.KILOGRAM, "усл": Unit.SERVICE, "услуга": Unit.SERVICE,
    "service": Unit.SERVICE, "serviciu": Unit.SERVICE,
}
KIND_WORDS = {"товар": ProductKind.PRODUCT, "товары": ProductKind.PRODUCT, "goods": ProductKind.PRODUCT,
              "produs": ProductKind.PRODUCT, "marfa": ProductKind.PRODUCT, "marfă": ProductKind.PRODUCT,
              "услуга": ProductKind.SERVICE, "услуги": ProductKind.SERVICE, "работа": ProductKind.SERVICE,
              "работы": ProductKind.SERVICE, "serviciu": ProductKind.SERVICE, "servicii": ProductKind.SERVICE}
CURRENCY_WORDS = {"руб": "RUB", "рубль": "RUB", "рублей": "RUB", "р": "RUB", "₽": "RUB", "rur": "RUB",
                  "$": "USD", "долл": "USD", "доллар": "USD", "€": "EUR", "евро": "EUR", "lei": "MDL",
                  "leu": "MDL", "лей": "MDL"}
MONEY_NOISE = re.compile(r"руб\.?|р\.|₽|lei|mdl|rub|usd|eur|\$|€|%|[\s\u00a0\u202f'’]", re.IGNORECASE)
NO_VAT = {"без ндс", "без налога", "не облагается", "no vat", "without vat", "exempt", "fara tva", "fără tva",
          "scutit"}
ACTIVE_WORDS = ({"активен", "активный", "в продаже", "действует", "active", "activ", "in vanzare"},
                {"неактивен", "неактивный", "архив", "снят с продажи", "inactive", "archived", "inactiv", "arhivat"})


@dataclass
class Row(kinds.Row):
    sure: list = field(default_factory=list)  # the matches an update may take without asking


def parse_decimal(text):
    """A number as spreadsheets write it: «78 000,50», «78,000.50», «78000.5 руб.» (None: not one)."""
    text = MONEY_NOISE.sub("", text.strip())
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
    else:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class Categories:
    """The catalogue's categories, fetched once: by unique name, by path and by (parent, name)."""

    def __init__(self):
        rows = list(ProductCategory.objects.values_list("pk", "name", "parent_id"))
        self.parent = {pk: parent for pk, _name, parent in rows}
        self.names = {pk: name for pk, name, _parent in rows}
        self.by_name, self.children, self.by_path = {}, {}, {}
        for pk, name, parent in rows:
            self.by_name.setdefault(kinds.norm(name), []).append(pk)
            self.children[(parent, kinds.norm(name))] = pk
        for pk in self.names:
            self.by_path[kinds.norm(self.path(pk))] = pk

    def path(self, pk):
        names, seen = [], set()
        while pk is not None and pk not in seen:
            seen.add(pk)
            names.append(self.names.get(pk, ""))
            pk = self.parent.get(pk)
        return " / ".join(reversed(names))

    def resolve(self, text):
        """(existing category id or None, names of the categories to create below it).
        ValueError: the name is ambiguous."""
        key = kinds.norm(text)
        if key in self.by_path:
            return self.by_path[key], ()
        named = self.by_name.get(key, [])
        if len(named) == 1:
            return named[0], ()
        if len(named) > 1:
            raise ValueError(text)
        parts = [p.strip() for p in PATH_SEPARATOR.split(text) if p.strip()]
        parent, index = None, 0
        while index < len(parts):
            key = kinds.norm(parts[index])
            if index == 0:
                named = self.by_name.get(key, [])
                roots = [pk for pk in named if self.parent[pk] is None]
                if len(roots) > 1 or (len(named) > 1 and not roots):
                    raise ValueError(parts[0])
                found = roots[0] if roots else (named[0] if named else None)
            else:
                found = self.children.get((parent, key))
            if found is None:
                break
            parent, index = found, index + 1
        return parent, tuple(parts[index:])


class Context:
    def __init__(self, user, columns):
        self.user = user
        self.columns = columns
        self.kinds = {**kinds.choice_lookup(ProductKind.choices), **KIND_WORDS}
        self.units = {**kinds.choice_lookup(Unit.choices), **UNIT_WORDS}
        self.categories = Categories() if "category" in columns else None
        self.vat_rate = parse_decimal(str(settings.KLIENTURA_VAT_RATE or "0")) or Decimal("0")
        self.fields = {name: Product._meta.get_field(name) for name in ("price", "cost")}


def clean(row, mapping, ctx):
    raw = kinds.raw_values(row, mapping)
    error = kinds.error_adder(row, ctx.columns)
    data = row.data
    for key, limit in MAX_LENGTHS.items():
        if len(raw.get(key, "")) > limit:
            error(key, _("Longer than %(limit)s characters.") % {"limit": limit})
            raw[key] = raw[key][:limit]
    data["name"] = raw.get("name", "")
    if not data["name"]:
        error("name", _("The name is required."))
    if raw.get("article"):
        data["article"] = raw["article"]
    if raw.get("kind"):
        kind = ctx.kinds.get(raw["kind"].lower().rstrip("."))
        if kind is None:
            error("kind", _("“%(value)s” is not a kind: write “product” or “service”.") % {"value": raw["kind"]})
        else:
            data["kind"] = kind
    if raw.get("unit"):
        unit = ctx.units.get(raw["unit"].lower()) or ctx.units.get(raw["unit"].lower().rstrip("."))
        if unit is None:
            error("unit", _("Unknown unit “%(value)s” (write pcs, set, h, m, kg or service).") % {"value": raw["unit"]})
        else:
            data["unit"] = unit
    if "kind" not in data and data.get("unit") == Unit.SERVICE:
        data["kind"] = ProductKind.SERVICE
    for key in ("price", "cost"):
        if raw.get(key):
            _amount(key, raw[key], data, error, ctx)
    if raw.get("currency"):
        text = raw["currency"].strip().rstrip(".")
        code = CURRENCY_WORDS.get(text.lower(), text.upper())
        if not re.fullmatch(r"[A-Z]{3}", code):
            error("currency", _("“%(value)s” is not a currency code (write RUB, EUR, USD, MDL…).")
                  % {"value": raw["currency"]})
        else:
            data["currency"] = code
    if raw.get("vat_rate"):
        _vat(raw["vat_rate"], error, ctx)
    if raw.get("description"):
        data["description"] = raw["description"]
    if raw.get("is_active"):
        active = kinds.yes_no(raw["is_active"], *ACTIVE_WORDS)
        if active is None:
            error("is_active", _("Write “yes” or “no”."))
        else:
            data["is_active"] = active
    if raw.get("category") and ctx.categories is not None:
        try:
            parent, new = ctx.categories.resolve(raw["category"])
        except ValueError as exc:
            error("category", _("Several categories are named “%(value)s”: write the path, e.g. "
                                "“Parent / %(value)s”.") % {"value": exc.args[0]})
        else:
            if any(len(name) > CATEGORY_NAME_LENGTH for name in new):
                error("category", _("A category name is longer than %(limit)s characters.")
                      % {"limit": CATEGORY_NAME_LENGTH})
            data["category_id"], data["new_categories"] = parent, new
            label = ctx.categories.path(parent) if parent else ""
            data["category"] = " / ".join(p for p in (label, *new) if p)
    return row


def _amount(key, text, data, error, ctx):
    value = parse_decimal(text)
    if value is None:
        error(key, _("“%(value)s” is not a number.") % {"value": text})
        return
    try:
        ctx.fields[key].run_validators(value)  # the model field's (and so the form's) validators
    except ValidationError as exc:
        error(key, " ".join(exc.messages))
        return
    data[key] = value


def _vat(text, error, ctx):
    if kinds.norm(text) in NO_VAT:
        rate = Decimal("0")
    else:
        rate = parse_decimal(text)
        if rate is not None and Decimal("0") < rate < Decimal("1"):
            rate *= 100  # 0.2 as a spreadsheet's percent cell
    if rate is None or not Decimal("0") <= rate <= Decimal("100"):
        error("vat_rate", _("“%(value)s” is not a VAT rate (write 20, 20 %% or “without VAT”).") % {"value": text})
    elif rate != ctx.vat_rate:
        error("vat_rate", _("The catalogue's prices include VAT at the company's rate, %(rate)s %%; this row has "
                            "%(row_rate)s %%. Correct the price and the rate, or leave the column out.")
              % {"rate": ctx.vat_rate.normalize(), "row_rate": rate.normalize()})


# --- Matching ---------------------------------------------------------------------------------------

def match(rows, ctx):
    """Article, then name, against the whole catalogue (one query) and the earlier rows of the file."""
    valid = [r for r in rows if r.valid]
    if not valid:
        return
    by_article, by_name, articles = {}, {}, {}
    for pk, name, article in Product.objects.order_by("pk").values_list("pk", "name", "article"):
        if article:
            by_article.setdefault(article.lower(), pk)
        articles[pk] = article
        by_name.setdefault(kinds.norm(name), []).append(pk)
    seen_article, seen_name = {}, {}
    for row in valid:
        article = row.data.get("article", "").lower()
        found = {}
        if article and article in by_article:
            found[by_article[article]] = ["article"]
            row.sure = [by_article[article]]
        named = by_name.get(kinds.norm(row.data["name"]), [])
        for pk in named:
            found.setdefault(pk, []).append("name")
        if not row.sure:
            # A name match is the same product unless both sides carry different articles.
            row.sure = [pk for pk in named if not article or not articles[pk]]
        row.matches = sorted(found.items(), key=lambda item: (-("article" in item[1]), item[0]))
        key = (seen_article, article) if article else (seen_name, kinds.norm(row.data["name"]))
        if key[1] in key[0]:
            row.duplicate_of = key[0][key[1]]
        else:
            key[0][key[1]] = row.number


def decide(importer, rows, policy, overrides):
    for row in rows:
        row.flag, row.target_id = "", None
        if not row.valid:
            row.action = RowAction.SKIP
            continue
        if row.duplicate_of is not None:
            row.action, row.flag = RowAction.SKIP, "duplicate"
        elif len(row.sure) == 1:
            if policy == ImportPolicy.SKIP_MATCHES:
                row.action = RowAction.SKIP
            else:
                row.action, row.target_id = RowAction.UPDATE, row.sure[0]
        elif row.matches:
            row.flag = "ambiguous" if len(row.sure) > 1 else "similar"
            if policy == ImportPolicy.UPDATE_MATCHES and len(row.sure) <= 1:
                row.action, row.target_id = RowAction.UPDATE, row.matches[0][0]
            elif policy == ImportPolicy.SKIP_MATCHES or row.sure:
                row.action = RowAction.SKIP
            else:
                row.action = RowAction.CREATE
        else:
            row.action = RowAction.CREATE
        kinds.apply_policy_override(importer, row, overrides, None, lambda r: [pk for pk, _r in r.matches])


# --- Writing ----------------------------------------------------------------------------------------

PRODUCT_FIELDS = ["kind", "name", "article", "unit", "price", "cost", "currency", "category_id", "is_active",
                  "description"]


class Writer:
    def __init__(self, user, reason, checkpoint=lambda done: None):
        self.user, self.reason, self.checkpoint = user, reason, checkpoint
        self.created = self.updated = 0
        self.now = timezone.now()
        options = {"user": user, "reason": reason, "now": self.now}
        self.inserters = {model: FastInserter(model, **options) for model in (Product, ProductCategory)}
        self.made = {}  # (parent id, names…) -> the id of the category created for it

    def write(self, rows):
        todo = [r for r in rows if r.valid and r.action in (RowAction.CREATE, RowAction.UPDATE)]
        self.categories(todo)
        creates = [r for r in todo if r.action == RowAction.CREATE]
        updates = [r for r in todo if r.action == RowAction.UPDATE and r.target_id]
        done = 0
        for batch in kinds.chunks(creates, kinds.BATCH):
            self.create(batch)
            done += len(batch)
            self.checkpoint(done)
        for batch in kinds.chunks(updates, kinds.BATCH // 2):
            self.update(batch)
            done += len(batch)
            self.checkpoint(done)

    def categories(self, rows):
        """The new categories the rows name, each once, parents before children."""
        for row in rows:
            parent, names = row.data.get("category_id"), row.data.get("new_categories") or ()
            for depth in range(1, len(names) + 1):
                key = (parent, *(kinds.norm(n) for n in names[:depth]))
                if key not in self.made:
                    above = self.made[key[:-1]] if depth > 1 else parent
                    pk = self.inserters[ProductCategory].allocate(1)[0]
                    self.inserters[ProductCategory].insert([{"id": pk, "name": names[depth - 1],
                                                             "parent_id": above}])
                    self.made[key] = pk
            if names:
                row.data["category_id"] = self.made[(parent, *(kinds.norm(n) for n in names))]

    @staticmethod
    def values(row):
        return {key: row.data[key] for key in PRODUCT_FIELDS if row.data.get(key) not in (None, "")}

    def create(self, batch):
        ids = self.inserters[Product].allocate(len(batch))
        self.inserters[Product].insert([{"id": pk, **self.values(row)} for row, pk in zip(batch, ids, strict=True)])
        self.created += len(batch)

    def update(self, batch):
        products = {p.pk: p for p in Product.objects.filter(pk__in=[r.target_id for r in batch])}
        changed, touched = [], set()
        for row in batch:
            product = products.get(row.target_id)
            if product is None:
                raise ValidationError(_("Row %(row)s: the product to update is gone (deleted meanwhile).")
                                      % {"row": row.number})
            if product.pk in touched:
                continue  # two rows of the file update one product: the first one wins
            touched.add(product.pk)
            new = {key: value for key, value in self.values(row).items() if getattr(product, key) != value}
            if not new:
                continue  # the row says nothing new: no version, no history entry
            for key, value in new.items():
                setattr(product, key, value)
            product.version += 1
            product.updated_at = self.now
            changed.append(product)
        attnames = [Product._meta.get_field(f).attname for f in PRODUCT_FIELDS]
        self.inserters[Product].update(changed, [*attnames, "version", "updated_at"])
        self.updated += len(changed)


class ProductImporter(kinds.Importer):
    kind = "products"
    row_class = Row
    policies = {
        ImportPolicy.UPDATE_BY_TAX_ID: gettext_lazy("Update when the article (without one: the name) matches, "
                                                    "otherwise create"),
        ImportPolicy.UPDATE_MATCHES: gettext_lazy("Update the matching product (article or name), otherwise create"),
        ImportPolicy.SKIP_MATCHES: gettext_lazy("Skip rows matching an existing product, create the rest"),
    }
    policy_label = gettext_lazy("When a row matches a product")
    flagged_title = gettext_lazy("Rows matching a product: decide")
    flagged_badge = gettext_lazy("matching a product")
    match_url_name = "sales:product"
    preview_columns = (("name", gettext_lazy("Name")), ("article", gettext_lazy("Article")),
                       ("category", gettext_lazy("Category")), ("price", gettext_lazy("Price")),
                       ("unit", gettext_lazy("Unit")))
    reason_labels = {"article": gettext_lazy("article"), "name": gettext_lazy("same name")}

    def may_import(self, user):
        return access.can(user, access.ADD, Product) and access.can(user, access.CHANGE, Product)

    def context(self, user, columns):
        return Context(user, columns)

    def clean(self, row, mapping, ctx):
        return clean(row, mapping, ctx)

    def match(self, rows, ctx):
        match(rows, ctx)

    def decide(self, rows, policy, overrides, scope):
        decide(self, rows, policy, overrides)

    def match_names(self, rows, scope):
        return kinds.names_of(Product, [pk for row in rows for pk, _r in row.matches[:3]])

    def preview_values(self, row):
        data = row.data
        values = {key: data.get(key, "") for key in ("name", "article", "unit", "currency", "description")}
        values["category"] = data.get("category", "")
        if data.get("new_categories"):
            values["category"] = _("%(path)s (new)") % {"path": values["category"]}
        if "price" in data:
            values["price"] = f"{data['price']} {data.get('currency') or settings.KLIENTURA_CURRENCY}"
        if "is_active" in data:
            values["is_active"] = data["is_active"]
        return values

    def writer(self, user, reason, checkpoint):
        return Writer(user, reason, checkpoint)

    def duplicate_text(self, row):
        return _("Same product as row %(row)s of the file") % {"row": row}


kinds.register(ProductImporter())
