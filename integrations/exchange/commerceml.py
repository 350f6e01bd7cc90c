"""CommerceML 2 (КоммерческаяИнформация, schema 2.0x): counterparties, products and orders.

``import_document(data, user)`` reads one file — a catalogue (``Классификатор`` with its
``Группы``, ``Каталог`` with ``Товары``), an offers package (``ПакетПредложений`` with prices),
counterparties (``Контрагенты``) or documents (``Документ``: customer orders with their
``Контрагенты`` and ``Товары``) — and creates or updates the objects, idempotently by the 1C
``Ид`` (``integrations.ExternalId``; a new Ид is first matched by article or tax id). An object
whose data did not change is not saved (no new version or history entry). The whole file is one
transaction: an error names the element and its Ид, and nothing is kept.

Orders carry their state in ``ЗначенияРеквизитов`` («Статус заказа», «Проведен», «Отменен»);
a deletion mark (``ПометкаУдаления``, or a product's ``Статус`` «Удален») moves the order or the
product to the trash, and a later file without it brings it back.

``export_catalog()``, ``export_offers()`` and ``export_orders()`` write the same structures back;
objects made in Klientura get an Ид on their first export (kept, so 1C sees the same object).
"""

import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Counterparty, CounterpartyKind
from core import attachments
from core.models import Attachment, ConflictError, record_type_q
from sales.models import Order, OrderFailureReason, OrderLine, Product, ProductCategory
from sales.models.products import Unit
from sales.services.orders import may_change_state, recalc

from ..models import ExternalId

Kind = ExternalId.Kind
SCHEMA = "2.08"
CATALOG_ID = "klientura-catalog"
CLASSIFIER_ID = "klientura-classifier"
PRICE_TYPE_ID = "klientura-price"
# OKEI codes of the units (БазоваяЕдиница Код=…), both ways.
OKEI = {"796": Unit.PIECE, "839": Unit.SET, "356": Unit.HOUR, "006": Unit.METRE, "166": Unit.KILOGRAM}
UNIT_CODES = {unit: code for code, unit in OKEI.items()}
UNIT_NAMES = {Unit.PIECE: "Штука", Unit.SET: "Комплект", Unit.HOUR: "Час", Unit.METRE: "Метр",
              Unit.KILOGRAM: "Килограмм", Unit.SERVICE: "Услуга"}
MAX_SIZE = 50 * 1024 * 1024
State = Order.State
# «Статус заказа» as УТ, УНФ, Бухгалтерия and the site modules name it (compared without case,
# «ё» and a "[N] " code prefix); an unknown status leaves the state as it is, with a warning.
STATUSES = {
    State.DRAFT: ("не согласован", "новый", "черновик", "на согласовании"),
    State.CONFIRMED: ("согласован", "принят", "подтвержден", "в работе", "в обработке", "к обеспечению",
                      "к отгрузке", "к оплате", "к выполнению", "ожидает оплаты", "оплачен", "отгружен",
                      "в пути"),
    State.COMPLETED: ("закрыт", "выполнен", "завершен", "исполнен", "доставлен"),
    State.FAILED: ("отменен", "отклонен", "аннулирован"),
}
STATUS_OF = {name: state for state, names in STATUSES.items() for name in names}
EXPORT_STATUS = {State.DRAFT: "Не согласован", State.CONFIRMED: "Согласован", State.COMPLETED: "Закрыт",
                 State.FAILED: "Отменен"}
TRUE = ("true", "истина", "да", "1")


class ExchangeError(ValueError):
    pass


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0  # moved to the trash by a deletion mark
    restored: int = 0  # back from the trash: the mark was taken off in 1C
    pictures: int = 0  # attached to products
    files: list = field(default_factory=list)  # their stored names, removed if the file fails
    kinds: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def add(self, outcome, kind):
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.kinds.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})[outcome] += 1

    def summary(self):
        """What the three counts do not say: trash moves and warnings, for the exchange log."""
        parts = []
        if self.deleted or self.restored:
            parts.append(_("Moved to the trash: %(deleted)s, restored from the trash: %(restored)s.") % {
                "deleted": self.deleted, "restored": self.restored})
        if self.pictures:
            parts.append(_("Pictures attached: %(count)s.") % {"count": self.pictures})
        return " ".join(parts + self.warnings)


# --- Reading -------------------------------------------------------------------------------------

def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _strip_namespaces(root):
    for element in root.iter():
        element.tag = _local(element.tag)
    return root


def read_xml(data):
    if len(data) > MAX_SIZE:
        raise ExchangeError(_("The file is larger than 50 MB."))
    # No DTD, so no entities at all (a raw "<!" of a declaration cannot appear in text or
    # attributes); ElementTree never loads external resources.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ExchangeError(_("Document type declarations are not accepted."))
    try:
        root = _strip_namespaces(ET.fromstring(data))  # noqa: S314  (declarations refused above)
    except ET.ParseError as exc:
        raise ExchangeError(_("Not a well-formed XML file: %(error)s") % {"error": exc}) from None
    if root.tag != "КоммерческаяИнформация":
        raise ExchangeError(_("Not a CommerceML file: the root element must be КоммерческаяИнформация."))
    return root


def text(element, path, default=""):
    found = element.find(path) if element is not None else None
    return (found.text or "").strip() if found is not None and found.text else default


def where(element_name, ext_id):
    return _("%(element)s with Ид “%(id)s”") % {"element": element_name, "id": ext_id}


def decimal(value, element_name, ext_id, field_name):
    try:
        number = Decimal((value or "0").replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise ExchangeError(_("%(where)s: %(field)s “%(value)s” is not a number.") % {
            "where": where(element_name, ext_id), "field": field_name, "value": value}) from None
    if not number.is_finite() or number < 0:
        raise ExchangeError(_("%(where)s: %(field)s “%(value)s” is not a number.") % {
            "where": where(element_name, ext_id), "field": field_name, "value": value})
    return number


# --- Mapping ------------------------------------------------------------------------------------

def mapped(kind, ext_id, model, trashed=False):
    """The object of a 1C Ид; ``trashed``: also one in the trash (deletion marks bring it back)."""
    link = ExternalId.objects.filter(kind=kind, external_id=ext_id).first()
    if link is None:
        return None
    return (model.all_objects if trashed else model.objects).filter(pk=link.object_id).first()


def link(kind, ext_id, obj):
    ExternalId.objects.filter(kind=kind, object_id=obj.pk).exclude(external_id=ext_id).delete()
    # The Ид follows the object: when its old object is in the trash, the new one takes it over.
    ExternalId.objects.update_or_create(kind=kind, external_id=ext_id, defaults={"object_id": obj.pk})


def _key(value):
    return " ".join((value or "").replace("ё", "е").replace("Ё", "Е").split()).casefold()


def requisites(element):
    """``ЗначенияРеквизитов`` as {name without spaces and case: value}."""
    found = {}
    for requisite in element.findall("ЗначенияРеквизитов/ЗначениеРеквизита"):
        name = _key(text(requisite, "Наименование")).replace(" ", "")
        if name:
            found[name] = text(requisite, "Значение")
    return found


def flag(value):
    return _key(value) in TRUE


def deletion_mark(element, values):
    return flag(text(element, "ПометкаУдаления")) or flag(values.get("пометкаудаления", ""))


def mark(obj, marked, user, element_name, ext_id, counts):
    """A deletion mark moves ``obj`` to the trash; a file without it brings it back. Idempotent."""
    if marked == obj.is_deleted:
        return
    obj._history_user = user
    try:
        if marked:
            obj.delete()
            counts.deleted += 1
        else:
            obj.restore()
            counts.restored += 1
    except ValidationError as exc:  # restoring: a live object took its article meanwhile
        raise ExchangeError(f"{where(element_name, ext_id)}: {' '.join(exc.messages)}") from None
    except ConflictError:
        raise ExchangeError(_("%(where)s was changed by someone else meanwhile: run the exchange again.")
                            % {"where": where(element_name, ext_id)}) from None


def external_id(kind, obj):
    """The object's Ид, made (a UUID, as 1C's) on its first export."""
    found = ExternalId.objects.filter(kind=kind, object_id=obj.pk).values_list("external_id", flat=True).first()
    if found:
        return found
    new = str(uuid.uuid4())
    ExternalId.objects.create(kind=kind, external_id=new, object_id=obj.pk)
    return new


def _current(obj, name):
    field = obj._meta.get_field(name)
    return getattr(obj, field.attname if field.is_relation else name)


def _plain(obj, name, value):
    return getattr(value, "pk", value) if obj._meta.get_field(name).is_relation else value


def apply(obj, values, user, element_name, ext_id, counts, kind):
    """Set ``values`` on ``obj``; save (validated, with history) only when something changed."""
    creating = obj.pk is None
    changed = [name for name, value in values.items() if _current(obj, name) != _plain(obj, name, value)]
    if not creating and not changed:
        counts.add("unchanged", kind)
        return obj
    for name, value in values.items():
        setattr(obj, name, value)
    try:
        obj.full_clean()
    except ValidationError as exc:
        messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()) \
            if hasattr(exc, "error_dict") else " ".join(exc.messages)
        raise ExchangeError(f"{where(element_name, ext_id)}: {messages}") from None
    obj._history_user = user
    try:
        obj.save()
    except ConflictError:
        raise ExchangeError(_("%(where)s was changed by someone else meanwhile: run the exchange again.")
                            % {"where": where(element_name, ext_id)}) from None
    counts.add("created" if creating else "updated", kind)
    return obj


# --- Import --------------------------------------------------------------------------------------

def import_document(data, user, pictures=None):
    """Import one CommerceML file; returns Counts. ExchangeError (nothing kept) on any problem.

    ``pictures``: a function from a product's ``Картинка`` (``import_files/…/x.jpg``) to the file
    1C sent with it, or None; found files are attached to the product (once, by name).
    """
    root = read_xml(data)
    counts = Counts()
    try:
        with transaction.atomic():
            _import_all(root, user, counts, pictures)
    except BaseException:
        # The rows of the pictures attached are rolled back; their stored files go too.
        for name in counts.files:
            default_storage.delete(name)
        raise
    return counts


def _import_all(root, user, counts, pictures):
    for classifier in root.findall("Классификатор"):
        _import_groups(classifier.find("Группы"), None, user, counts)
        for cp in classifier.findall("Контрагенты/Контрагент"):
            _import_counterparty(cp, user, counts)
    for catalog in root.findall("Каталог"):
        for item in catalog.findall("Товары/Товар"):
            _import_product(item, user, counts, pictures)
    for package in root.findall("ПакетПредложений"):
        for offer in package.findall("Предложения/Предложение"):
            _import_offer(offer, user, counts)
    for cp in root.findall("Контрагенты/Контрагент"):
        _import_counterparty(cp, user, counts)
    for document in root.findall("Документ"):
        _import_order(document, user, counts)


def _required_id(element, name):
    ext_id = text(element, "Ид")
    if not ext_id:
        raise ExchangeError(_("%(element)s without Ид.") % {"element": name})
    if len(ext_id) > 100:
        raise ExchangeError(_("%(element)s: the Ид is longer than 100 characters.") % {"element": name})
    return ext_id


def _import_groups(groups, parent, user, counts):
    if groups is None:
        return
    for group in groups.findall("Группа"):
        ext_id = _required_id(group, "Группа")
        name = text(group, "Наименование")[:150]
        category = mapped(Kind.CATEGORY, ext_id, ProductCategory)
        if category is None:
            category = ProductCategory.objects.filter(parent=parent, name__iexact=name).first() or ProductCategory()
        category = apply(category, {"name": name, "parent": parent}, user, "Группа", ext_id, counts, Kind.CATEGORY)
        link(Kind.CATEGORY, ext_id, category)
        _import_groups(group.find("Группы"), category, user, counts)


def _import_product(item, user, counts, pictures=None):
    ext_id = _required_id(item, "Товар")
    article = text(item, "Артикул")[:50]
    marked = deletion_mark(item, requisites(item)) or _key(text(item, "Статус")) == "удален"
    product = mapped(Kind.PRODUCT, ext_id, Product, trashed=True)
    if product is None and article and not marked:
        product = Product.objects.filter(article=article).first()
    if marked and (product is None or product.is_deleted):
        # Deleted in 1C before it ever came here, or in the trash already: left as it is (a new
        # product may have taken its article meanwhile).
        counts.add("unchanged", Kind.PRODUCT)
        return
    product = product or Product()
    unit_element = item.find("БазоваяЕдиница")
    code = (unit_element.get("Код") or "").strip() if unit_element is not None else ""
    values = {"name": text(item, "Наименование")[:200], "article": article,
              "description": text(item, "Описание")}
    unit = OKEI.get(code)
    if unit is not None or product.pk is None:
        values["unit"] = unit or Unit.PIECE
    group_id = text(item, "Группы/Ид")
    if group_id:
        category = mapped(Kind.CATEGORY, group_id, ProductCategory)
        if category is None:
            raise ExchangeError(_("%(where)s: no group with Ид “%(group)s” in the classifier.") % {
                "where": where("Товар", ext_id), "group": group_id})
        values["category"] = category
    product = apply(product, values, user, "Товар", ext_id, counts, Kind.PRODUCT)
    link(Kind.PRODUCT, ext_id, product)
    if pictures is not None:
        _attach_pictures(product, item, pictures, user, ext_id, counts)
    mark(product, marked, user, "Товар", ext_id, counts)


def _attach_pictures(product, item, pictures, user, ext_id, counts):
    """The product's pictures 1C sent, attached once: one already attached under its name is kept."""
    for element in item.findall("Картинка"):
        path = pictures((element.text or "").strip())
        if path is None:
            continue  # not sent (1C sends pictures only when they changed), or an odd name
        name = attachments.clean_name(path.name)
        if Attachment.objects.filter(record_type_q(Product), object_id=product.pk, name=name).exists():
            continue
        try:
            attachment = attachments.attach(product, path.read_bytes(), name=name, user=user)
        except ValidationError as exc:  # too large for an attachment: the product is imported without it
            counts.warnings.append(f"{where('Товар', ext_id)}: {name}: {' '.join(exc.messages)}")
            continue
        counts.pictures += 1
        counts.files.append(attachment.file.name)


def _import_offer(offer, user, counts):
    ext_id = _required_id(offer, "Предложение")
    product = mapped(Kind.PRODUCT, ext_id, Product, trashed=True)
    if product is None:
        raise ExchangeError(_("%(where)s: no product with this Ид; import the catalogue first.") % {
            "where": where("Предложение", ext_id)})
    price = text(offer, "Цены/Цена/ЦенаЗаЕдиницу")
    if not price:
        counts.add("unchanged", Kind.PRODUCT)
        return
    values = {"price": decimal(price, "Предложение", ext_id, "ЦенаЗаЕдиницу").quantize(Decimal("0.01"))}
    currency = _currency(text(offer, "Цены/Цена/Валюта"))
    if currency:
        values["currency"] = currency
    apply(product, values, user, "Предложение", ext_id, counts, Kind.PRODUCT)


def _currency(value):
    value = (value or "").strip().upper()
    return {"РУБ": "RUB", "РУБ.": "RUB", "643": "RUB"}.get(value, value if len(value) == 3 else "")


def _import_counterparty(element, user, counts):
    ext_id = _required_id(element, "Контрагент")
    inn, kpp = text(element, "ИНН")[:20], text(element, "КПП")[:9]
    counterparty = mapped(Kind.COUNTERPARTY, ext_id, Counterparty)
    if counterparty is None and inn:
        matches = Counterparty.objects.filter(tax_id=inn)
        if kpp:
            matches = matches.filter(kpp=kpp) if matches.filter(kpp=kpp).exists() else matches
        counterparty = matches.order_by("pk").first()
    counterparty = counterparty or Counterparty()
    name = text(element, "Наименование") or text(element, "ОфициальноеНаименование")
    values = {"name": name[:200],
              "full_name": (text(element, "ПолноеНаименование") or text(element, "ОфициальноеНаименование"))[:500],
              "tax_id": inn, "kpp": kpp}
    if counterparty.pk is None:
        values["kind"] = CounterpartyKind.INDIVIDUAL if len(inn) == 12 and not kpp else CounterpartyKind.LEGAL
    counterparty = apply(counterparty, values, user, "Контрагент", ext_id, counts, Kind.COUNTERPARTY)
    link(Kind.COUNTERPARTY, ext_id, counterparty)
    return counterparty


def _date(value, element_name, ext_id):
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ExchangeError(_("%(where)s: Дата “%(value)s” is not a date (YYYY-MM-DD).") % {
            "where": where(element_name, ext_id), "value": value}) from None


def _import_order(document, user, counts):
    ext_id = _required_id(document, "Документ")
    values_1c = requisites(document)
    marked = deletion_mark(document, values_1c)
    order = mapped(Kind.ORDER, ext_id, Order, trashed=True)
    if marked and (order is None or order.is_deleted):  # never came here, or in the trash already
        counts.add("unchanged", Kind.ORDER)
        return
    buyers = [cp for cp in document.findall("Контрагенты/Контрагент")
              if text(cp, "Роль") in ("", "Покупатель", "Buyer")]
    if not buyers:
        raise ExchangeError(_("%(where)s: the order has no buyer (Контрагент).") % {
            "where": where("Документ", ext_id)})
    counterparty = _import_counterparty(buyers[0], user, counts)
    order = order or Order()
    values = {"number": text(document, "Номер")[:30], "date": _date(text(document, "Дата"), "Документ", ext_id),
              "counterparty": counterparty, "comment": text(document, "Комментарий")}
    currency = _currency(text(document, "Валюта"))
    if currency:
        values["currency"] = currency
    if order.pk is None:
        values["responsible"] = counterparty.main_manager or user
    values.update(_state_values(order, values_1c, ext_id, counts))
    lines = []
    for item in document.findall("Товары/Товар"):
        item_id = text(item, "Ид")
        product = mapped(Kind.PRODUCT, item_id, Product, trashed=True) if item_id else None
        quantity = decimal(text(item, "Количество") or "1", "Товар", item_id, "Количество")
        if quantity <= 0:
            raise ExchangeError(_("%(where)s: Количество must be more than zero.") % {"where": where("Товар", item_id)})
        price = decimal(text(item, "ЦенаЗаЕдиницу"), "Товар", item_id, "ЦенаЗаЕдиницу")
        lines.append((text(item, "Наименование")[:200] or (product.name if product else item_id),
                      product, quantity.quantize(Decimal("0.001")), price.quantize(Decimal("0.01"))))
    before = (counts.created, counts.updated)
    order = apply(order, values, user, "Документ", ext_id, counts, Kind.ORDER)
    link(Kind.ORDER, ext_id, order)
    current = [(line.product, line.catalog_product, line.quantity, line.price) for line in order.lines.all()]
    if current != lines:
        if order.shipments.filter(kind="actual").exists():
            raise ExchangeError(_("%(where)s: the order has been shipped, its lines cannot change.") % {
                "where": where("Документ", ext_id)})
        for line in order.lines.all():
            line.hard_delete()
        for name, product, quantity, price in lines:
            OrderLine.objects.create(order=order, product=name, catalog_product=product, quantity=quantity,
                                     price=price, cost=product.cost if product else Decimal("0"))
        recalc(order)
        if (counts.created, counts.updated) == before:  # only the lines changed
            counts.unchanged -= 1
            counts.kinds[Kind.ORDER]["unchanged"] -= 1
            counts.add("updated", Kind.ORDER)
    mark(order, marked, user, "Документ", ext_id, counts)


def _state_from_1c(order, values_1c, ext_id, counts):
    """The state 1C's requisites ask for, or None: cancelled, else the status, else posted or not."""
    if flag(values_1c.get("отменен", "")):
        return State.FAILED
    status = values_1c.get("статусзаказа", "")
    if status:
        state = STATUS_OF.get(_key(status.split("]", 1)[-1] if status.startswith("[") else status))
        if state is not None:
            return state
        counts.warnings.append(_("%(where)s: unknown order status “%(status)s”, the state is left as it was.")
                               % {"where": where("Документ", ext_id), "status": status})
    posted = values_1c.get("проведен", "")
    if posted and not flag(posted):
        return State.DRAFT
    if posted and (order.pk is None or order.state == State.DRAFT):
        return State.CONFIRMED
    return None


def _state_values(order, values_1c, ext_id, counts):
    """The order's state fields for what 1C says; a move the order card does not allow is an error."""
    state = _state_from_1c(order, values_1c, ext_id, counts)
    if state is None or state == order.state and order.pk is not None:
        return {}
    if order.pk is not None and not may_change_state(order, state):
        raise ExchangeError(_("%(where)s: the order cannot go from “%(from)s” to “%(to)s”.") % {
            "where": where("Документ", ext_id), "from": order.get_state_display(), "to": State(state).label})
    values = {"state": state, "failure_reason": None}
    if state == State.FAILED:
        reason = (OrderFailureReason.objects.filter(code="client_refused").first()
                  or OrderFailureReason.objects.first())
        if reason is None:
            raise ExchangeError(_("%(where)s: the order is cancelled in 1C, but there is no order failure reason "
                                  "to give; add one in the settings.") % {"where": where("Документ", ext_id)})
        values["failure_reason"] = reason
    return values


# --- Export --------------------------------------------------------------------------------------

def _root():
    return ET.Element("КоммерческаяИнформация", {
        "ВерсияСхемы": SCHEMA, "ДатаФормирования": timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S")})


def _sub(parent, tag, value=None, **attrs):
    element = ET.SubElement(parent, tag, attrs)
    if value is not None:
        element.text = str(value)
    return element


def serialize(root):
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def export_catalog():
    """The classifier (groups) and the catalogue (products) as import.xml."""
    root = _root()
    classifier = _sub(root, "Классификатор")
    _sub(classifier, "Ид", CLASSIFIER_ID)
    _sub(classifier, "Наименование", "Klientura")
    categories = list(ProductCategory.objects.order_by("name", "pk"))
    children = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)

    def groups(parent_element, parent_id):
        if parent_id not in children:
            return
        container = _sub(parent_element, "Группы")
        for category in children[parent_id]:
            group = _sub(container, "Группа")
            _sub(group, "Ид", external_id(Kind.CATEGORY, category))
            _sub(group, "Наименование", category.name)
            groups(group, category.pk)

    groups(classifier, None)
    catalog = _sub(root, "Каталог", СодержитТолькоИзменения="false")
    _sub(catalog, "Ид", CATALOG_ID)
    _sub(catalog, "ИдКлассификатора", CLASSIFIER_ID)
    _sub(catalog, "Наименование", "Klientura")
    products = _sub(catalog, "Товары")
    for product in Product.objects.select_related("category").order_by("name", "pk"):
        item = _sub(products, "Товар")
        _sub(item, "Ид", external_id(Kind.PRODUCT, product))
        if product.article:
            _sub(item, "Артикул", product.article)
        _sub(item, "Наименование", product.name)
        _sub(item, "БазоваяЕдиница", UNIT_NAMES.get(product.unit, ""), Код=UNIT_CODES.get(product.unit, ""),
             НаименованиеПолное=UNIT_NAMES.get(product.unit, ""))
        if product.category_id:
            _sub(_sub(item, "Группы"), "Ид", external_id(Kind.CATEGORY, product.category))
        if product.description:
            _sub(item, "Описание", product.description)
    return serialize(root)


def export_offers():
    """Prices of the products as offers.xml."""
    root = _root()
    package = _sub(root, "ПакетПредложений", СодержитТолькоИзменения="false")
    _sub(package, "Ид", f"{CATALOG_ID}#offers")
    _sub(package, "Наименование", "Klientura")
    _sub(package, "ИдКаталога", CATALOG_ID)
    _sub(package, "ИдКлассификатора", CLASSIFIER_ID)
    price_type = _sub(_sub(package, "ТипыЦен"), "ТипЦены")
    _sub(price_type, "Ид", PRICE_TYPE_ID)
    _sub(price_type, "Наименование", "Розничная")
    offers = _sub(package, "Предложения")
    for product in Product.objects.order_by("name", "pk"):
        offer = _sub(offers, "Предложение")
        _sub(offer, "Ид", external_id(Kind.PRODUCT, product))
        _sub(offer, "Наименование", product.name)
        prices = _sub(_sub(offer, "Цены"), "Цена")
        _sub(prices, "ИдТипаЦены", PRICE_TYPE_ID)
        _sub(prices, "ЦенаЗаЕдиницу", f"{product.price:.2f}")
        _sub(prices, "Валюта", product.currency)
        _sub(prices, "Единица", UNIT_NAMES.get(product.unit, ""))
    return serialize(root)


def _counterparty_element(parent, counterparty, role):
    element = _sub(parent, "Контрагент")
    _sub(element, "Ид", external_id(Kind.COUNTERPARTY, counterparty))
    _sub(element, "Наименование", counterparty.name)
    if counterparty.full_name:
        _sub(element, "ПолноеНаименование", counterparty.full_name)
    if counterparty.tax_id:
        _sub(element, "ИНН", counterparty.tax_id)
    if counterparty.kpp:
        _sub(element, "КПП", counterparty.kpp)
    _sub(element, "Роль", role)
    return element


def export_orders(orders):
    """Customer orders (``Документ``, ХозОперация «Заказ товара») with their buyer and lines."""
    root = _root()
    for order in orders.select_related("counterparty").prefetch_related("lines__catalog_product"):
        document = _sub(root, "Документ")
        _sub(document, "Ид", external_id(Kind.ORDER, order))
        _sub(document, "Номер", order.number)
        _sub(document, "Дата", order.date.isoformat())
        _sub(document, "ХозОперация", "Заказ товара")
        _sub(document, "Роль", "Продавец")
        _sub(document, "Валюта", order.currency)
        _sub(document, "Курс", "1")
        _sub(document, "Сумма", f"{order.amount:.2f}")
        _counterparty_element(_sub(document, "Контрагенты"), order.counterparty, "Покупатель")
        if order.comment:
            _sub(document, "Комментарий", order.comment)
        goods = _sub(document, "Товары")
        for line in order.lines.all():
            item = _sub(goods, "Товар")
            if line.catalog_product_id:
                _sub(item, "Ид", external_id(Kind.PRODUCT, line.catalog_product))
            _sub(item, "Наименование", line.product)
            _sub(item, "ЦенаЗаЕдиницу", f"{line.price:.2f}")
            _sub(item, "Количество", f"{line.quantity.normalize():f}")
            _sub(item, "Сумма", f"{line.total:.2f}")
        _order_requisites(document, order)
    return serialize(root)


def _order_requisites(document, order):
    """The order's state as 1C reads it back: status, posted, cancelled, deletion mark."""
    container = _sub(document, "ЗначенияРеквизитов")
    for name, value in (("Статус заказа", EXPORT_STATUS[order.state]),
                        ("Проведен", order.state != State.DRAFT),
                        ("Отменен", order.state == State.FAILED),
                        ("ПометкаУдаления", order.is_deleted)):
        requisite = _sub(container, "ЗначениеРеквизита")
        _sub(requisite, "Наименование", name)
        _sub(requisite, "Значение", str(value).lower() if isinstance(value, bool) else value)
