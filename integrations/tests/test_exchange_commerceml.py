"""CommerceML 2 with 1C: import and export, idempotent by the 1C ids; the HTTP exchange protocol."""

import base64
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from clients.models import Counterparty
from clients.tests.factories import CounterpartyFactory
from core.models import Attachment
from integrations.exchange import archives, commerceml
from integrations.exchange.commerceml import ExchangeError
from integrations.models import ExchangeLog, ExternalId
from sales.models import Order, OrderLine, Product, ProductCategory

SAMPLES = Path(__file__).parent / "samples"
URL = "/integrations/exchange/1c/"
pytestmark = pytest.mark.django_db


def sample(name):
    return (SAMPLES / name).read_bytes()


def snapshot():
    """Everything the exchange may touch, with versions and history counts."""
    def rows(model, *fields):
        return sorted(model.all_objects.values_list("pk", "version", *fields))

    return {
        "categories": rows(ProductCategory, "name", "parent_id"),
        "products": rows(Product, "name", "article", "unit", "price", "category_id", "deleted_at"),
        "counterparties": rows(Counterparty, "name", "tax_id", "kpp"),
        "orders": rows(Order, "number", "date", "counterparty_id", "amount", "state", "failure_reason_id",
                       "deleted_at"),
        "lines": sorted(OrderLine.all_objects.values_list("order_id", "product", "quantity", "price")),
        "history": [m.history.count() for m in (ProductCategory, Product, Counterparty, Order)],
        "ids": sorted(ExternalId.objects.values_list("kind", "external_id", "object_id")),
    }


def load_all(user):
    return [commerceml.import_document(sample(name), user)
            for name in ("commerceml_import.xml", "commerceml_offers.xml", "commerceml_orders.xml")]


def test_import_creates_everything_mapped_by_the_1c_ids(head):
    catalog, offers, orders = load_all(head)
    assert (catalog.created, offers.updated, orders.created) == (6, 2, 2)  # 3 groups, 1 client, 2 products
    showcase = Product.objects.get(article="ВХ-1200")
    assert (showcase.price, showcase.unit, showcase.category.name, showcase.category.parent.name) == (
        Decimal("48200.00"), "pcs", "Витрины", "Холодильное оборудование")
    assert Product.objects.get(article="МОН-01").unit == "h"
    alpha = Counterparty.objects.get(tax_id="7700001010")
    assert (alpha.name, alpha.kpp) == ("Альфа-Холод", "770101001")
    order = Order.objects.get(number="УТ-000123")
    assert (order.counterparty.name, order.amount, order.currency, order.responsible) == (
        "Бета Маркет", Decimal("101400.00"), "RUB", head)
    assert [(line.catalog_product, line.quantity) for line in order.lines.all()] == [
        (showcase, Decimal("2")), (Product.objects.get(article="МОН-01"), Decimal("2"))]
    assert ExternalId.objects.get(kind="order", external_id="0d0c0001-55bc-11d9-848a-00112f435001").object_id \
        == order.pk
    assert order.history.get().history_user == head


def test_reimport_changes_nothing(head):
    load_all(head)
    before = snapshot()
    counts = load_all(head)
    assert snapshot() == before
    assert all(c.created == c.updated == 0 for c in counts)


def test_a_change_in_1c_updates_the_same_objects(head):
    load_all(head)
    changed = sample("commerceml_offers.xml").replace(b"48200.00", b"49900.00")
    counts = commerceml.import_document(changed, head)
    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 1)
    assert Product.objects.get(article="ВХ-1200").price == Decimal("49900.00")
    assert Product.objects.count() == 2


def test_known_objects_are_matched_by_article_and_tax_id_before_creating(head):
    alpha = CounterpartyFactory(name="Альфа-Холод", full_name="Общество с ограниченной ответственностью «Альфа-Холод»",
                                tax_id="7700001010", kpp="770101001")
    product = Product.objects.create(name="Витрина", article="ВХ-1200")
    commerceml.import_document(sample("commerceml_import.xml"), head)
    assert Counterparty.objects.filter(tax_id="7700001010").get() == alpha
    assert Product.objects.filter(article="ВХ-1200").get().pk == product.pk
    assert ExternalId.objects.get(kind="counterparty").object_id == alpha.pk


def test_export_then_reimport_is_stable(head):
    load_all(head)
    Product.objects.create(name="Made in Klientura", article="KL-1", price=10)  # no 1C id yet
    exported = [commerceml.export_catalog(), commerceml.export_offers(), commerceml.export_orders(Order.objects.all())]
    assert b"Made in Klientura" in exported[0]
    before = snapshot()
    for data in exported:
        counts = commerceml.import_document(data, head)
        assert counts.created == counts.updated == 0
    assert snapshot() == before
    # The same ids every time: a second export differs only in its timestamp.
    again = commerceml.export_catalog()

    def body(data):
        return data.split(b"\n", 2)[2]

    assert body(again) == body(exported[0])


@pytest.mark.parametrize(("data", "message"), [
    (b"<nope", "well-formed"),
    (b"<root/>", "КоммерческаяИнформация"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>', "declarations"),
    ("<КоммерческаяИнформация><Каталог><Товары><Товар><Наименование>X</Наименование></Товар></Товары></Каталог>"
     "</КоммерческаяИнформация>".encode(), "Товар without Ид"),
    ("<КоммерческаяИнформация><Контрагенты><Контрагент><Ид>1</Ид><Наименование>X</Наименование>"
     "<ИНН>1234567890</ИНН></Контрагент></Контрагенты></КоммерческаяИнформация>".encode(), "Контрагент with Ид “1”"),
])
def test_bad_files_are_refused_and_nothing_is_kept(head, data, message):
    with pytest.raises(ExchangeError) as caught:
        commerceml.import_document(data, head)
    assert message in str(caught.value)
    assert not ExternalId.objects.exists() and not Counterparty.objects.exists()


def test_an_error_late_in_the_file_keeps_nothing(head):
    bad = sample("commerceml_orders.xml").replace("<Количество>2<".encode(), "<Количество>два<".encode(), 1)
    with pytest.raises(ExchangeError, match="Количество"):
        commerceml.import_document(bad, head)
    assert not Order.objects.exists() and not Counterparty.objects.exists()


# --- The HTTP protocol -------------------------------------------------------------------------------

def basic(user, password):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def integration_user(head):
    head.set_password("s3cret-exchange")
    head.save()
    return head


def handshake(client, exchange_type="catalog"):
    resp = client.get(URL, {"type": exchange_type, "mode": "checkauth"}, **basic("head", "s3cret-exchange"))
    assert resp.status_code == 200
    status, name, value = resp.content.decode().splitlines()
    assert status == "success"
    client.cookies[name] = value
    return client


def test_protocol_catalog_exchange(client, integration_user, settings):
    settings.KLIENTURA_1C_ZIP = False
    handshake(client)
    resp = client.get(URL, {"type": "catalog", "mode": "init"})
    assert resp.content.decode().splitlines() == ["zip=no", "file_limit=10485760"]
    for name in ("import.xml", "offers.xml"):
        data = sample("commerceml_import.xml" if name == "import.xml" else "commerceml_offers.xml")
        half = len(data) // 2  # 1C may send a file in pieces
        for piece in (data[:half], data[half:]):
            resp = client.post(f"{URL}?type=catalog&mode=file&filename={name}", piece,
                               content_type="application/octet-stream")
            assert resp.content.decode().strip() == "success"
        resp = client.get(URL, {"type": "catalog", "mode": "import", "filename": name})
        assert resp.content.decode().strip() == "success", resp.content.decode()
    assert Product.objects.get(article="ВХ-1200").price == Decimal("48200.00")
    entries = list(ExchangeLog.objects.filter(mode="import").order_by("pk"))
    assert [(e.file_name, e.ok, e.created) for e in entries] == [("import.xml", True, 6), ("offers.xml", True, 0)]


def test_protocol_sale_query_success_and_orders_from_1c(client, integration_user):
    commerceml.import_document(sample("commerceml_import.xml"), integration_user)
    commerceml.import_document(sample("commerceml_offers.xml"), integration_user)
    handshake(client, "sale")
    resp = client.post(f"{URL}?type=sale&mode=file&filename=orders.xml", sample("commerceml_orders.xml"),
                       content_type="application/octet-stream")
    assert resp.content.decode().strip() == "success"
    order = Order.objects.get(number="УТ-000123")

    resp = client.get(URL, {"type": "sale", "mode": "query"})
    assert resp.status_code == 200 and "УТ-000123" in resp.content.decode()
    assert "0d0c0001-55bc-11d9-848a-00112f435001" in resp.content.decode()  # 1C's own id, back
    assert client.get(URL, {"type": "sale", "mode": "success"}).content.decode().strip() == "success"
    # Nothing changed since: the next query is empty; a changed order comes again.
    assert "УТ-000123" not in client.get(URL, {"type": "sale", "mode": "query"}).content.decode()
    order.comment = "changed"
    order.save()
    assert "УТ-000123" in client.get(URL, {"type": "sale", "mode": "query"}).content.decode()


def test_protocol_refuses_bad_auth_other_roles_and_steps_without_the_cookie(client, integration_user, manager):
    resp = client.get(URL, {"type": "catalog", "mode": "checkauth"}, **basic("head", "wrong"))
    assert resp.status_code == 401 and resp.content.decode().startswith("failure")
    manager.set_password("m4nager-pass")
    manager.save()
    resp = client.get(URL, {"type": "catalog", "mode": "checkauth"}, **basic("manager1", "m4nager-pass"))
    assert resp.status_code == 403
    assert client.get(URL, {"type": "catalog", "mode": "init"}).status_code == 401
    client.cookies["klientura_1c"] = "forged"
    assert client.get(URL, {"type": "catalog", "mode": "init"}).status_code == 401
    handshake(client)
    resp = client.post(f"{URL}?type=catalog&mode=file&filename=../../etc/passwd.xml", b"x",
                       content_type="application/octet-stream")
    assert resp.status_code == 200  # the name is reduced to "passwd.xml", kept in the session's folder
    session = next(p for p in (Path(settings.MEDIA_ROOT) / "exchange-1c").iterdir())
    assert [p.name for p in session.iterdir()] == ["passwd.xml"]
    resp = client.get(URL, {"type": "catalog", "mode": "import", "filename": "bad name.xml"})
    assert resp.status_code == 400
    bad = client.post(f"{URL}?type=catalog&mode=file&filename=broken.xml", b"<nope",
                      content_type="application/octet-stream")
    assert bad.status_code == 200
    resp = client.get(URL, {"type": "catalog", "mode": "import", "filename": "broken.xml"})
    assert resp.content.decode().startswith("failure")
    assert ExchangeLog.objects.filter(ok=False, file_name="broken.xml").exists()


def test_exchange_log_page_is_for_heads(client_for, head, manager):
    ExchangeLog.objects.create(user=head, exchange_type="catalog", mode="import", direction="import",
                               file_name="import.xml", created=3)
    resp = client_for(head).get("/integrations/exchange/1c/log/")
    assert resp.status_code == 200 and "import.xml" in resp.content.decode()
    assert client_for(manager).get("/integrations/exchange/1c/log/").status_code == 403


# --- Order states and deletion marks --------------------------------------------------------------

ORDER_ID = "0d0c0001-55bc-11d9-848a-00112f435001"


def with_requisites(data, mark_element=None, **values):
    """The orders sample with ``ЗначенияРеквизитов`` (names with spaces as ``Статус_заказа``)."""
    requisites = "".join(f"<ЗначениеРеквизита><Наименование>{name.replace('_', ' ')}</Наименование>"
                         f"<Значение>{value}</Значение></ЗначениеРеквизита>" for name, value in values.items())
    extra = f"<ЗначенияРеквизитов>{requisites}</ЗначенияРеквизитов>"
    if mark_element is not None:
        extra += f"<ПометкаУдаления>{mark_element}</ПометкаУдаления>"
    return data.replace("</Документ>".encode(), f"{extra}</Документ>".encode())


def orders_with(**values):
    return with_requisites(sample("commerceml_orders.xml"), **values)


def the_order():
    return Order.all_objects.get(pk=ExternalId.objects.get(kind="order", external_id=ORDER_ID).object_id)


def test_order_status_moves_the_order_and_twice_changes_nothing(head):
    load_all(head)
    assert the_order().state == "confirmed"
    commerceml.import_document(orders_with(Статус_заказа="Закрыт", Проведен="true"), head)
    assert the_order().state == "completed"  # 1C closed it: completed though not paid here
    before = snapshot()
    counts = commerceml.import_document(orders_with(Статус_заказа="Закрыт", Проведен="true"), head)
    assert (counts.created, counts.updated, snapshot()) == (0, 0, before)
    commerceml.import_document(orders_with(Статус_заказа="Согласован"), head)  # reopened in 1C
    assert the_order().state == "confirmed"
    commerceml.import_document(orders_with(Отменен="true", Статус_заказа="Согласован"), head)
    order = the_order()
    assert (order.state, order.failure_reason.code) == ("failed", "client_refused")
    assert order.history.first().history_user == head


def test_posted_and_site_statuses(head):
    counts = commerceml.import_document(orders_with(Проведен="false"), head)
    assert (counts.created, the_order().state) == (2, "draft")  # the buyer and the order
    commerceml.import_document(orders_with(Проведен="Да"), head)
    assert the_order().state == "confirmed"
    commerceml.import_document(orders_with(Статус_заказа="[F] Выполнен"), head)
    assert the_order().state == "completed"
    counts = commerceml.import_document(orders_with(Статус_заказа="Ждём звонка"), head)  # a status of one's own
    assert the_order().state == "completed" and "Ждём звонка" in counts.summary()


def test_a_move_the_order_does_not_allow_is_refused_and_the_whole_file_kept_out(head):
    load_all(head)
    commerceml.import_document(orders_with(Статус_заказа="Закрыт"), head)
    other = (sample("commerceml_orders.xml").decode().split("<Документ>", 1)[1].split("</Документ>", 1)[0]
             .replace(ORDER_ID, "0d0c0001-0000-0000-0000-000000000999").replace("УТ-000123", "УТ-000999"))
    data = orders_with(Статус_заказа="Не согласован").replace(
        "<Документ>".encode(), f"<Документ>{other}</Документ><Документ>".encode(), 1)
    before = snapshot()
    with pytest.raises(ExchangeError) as caught:
        commerceml.import_document(data, head)
    assert ORDER_ID in str(caught.value) and "Draft" in str(caught.value)
    assert snapshot() == before and not Order.all_objects.filter(number="УТ-000999").exists()


def test_deletion_mark_moves_the_order_to_the_trash_and_back(head):
    load_all(head)
    counts = commerceml.import_document(orders_with(ПометкаУдаления="true"), head)
    assert counts.deleted == 1 and the_order().is_deleted
    assert not Order.objects.filter(number="УТ-000123").exists()
    before = snapshot()
    counts = commerceml.import_document(orders_with(ПометкаУдаления="true"), head)  # idempotent
    assert (counts.deleted, counts.created, counts.updated, snapshot()) == (0, 0, 0, before)
    marked = with_requisites(sample("commerceml_orders.xml"), mark_element="true")  # the element form
    assert commerceml.import_document(marked, head).deleted == 0 and snapshot() == before
    counts = commerceml.import_document(sample("commerceml_orders.xml"), head)  # unmarked in 1C
    assert counts.restored == 1 and not the_order().is_deleted
    assert Order.all_objects.count() == 1


def test_an_order_deleted_in_1c_before_it_came_is_not_created(head):
    counts = commerceml.import_document(orders_with(ПометкаУдаления="true"), head)
    assert counts.created == 0 and not Order.all_objects.exists() and not Counterparty.objects.exists()


def test_product_deletion_marks(head):
    load_all(head)
    marked = sample("commerceml_import.xml").replace(
        "<Артикул>МОН-01</Артикул>".encode(), "<Артикул>МОН-01</Артикул><Статус>Удален</Статус>".encode())
    counts = commerceml.import_document(marked, head)
    assert counts.deleted == 1 and not Product.objects.filter(article="МОН-01").exists()
    assert Product.all_objects.get(article="МОН-01").is_deleted
    before = snapshot()
    element = sample("commerceml_import.xml").replace(
        "<Артикул>МОН-01</Артикул>".encode(),
        "<Артикул>МОН-01</Артикул><ПометкаУдаления>true</ПометкаУдаления>".encode())
    for data in (marked, element):
        assert commerceml.import_document(data, head).deleted == 0 and snapshot() == before
    # A new product took the article meanwhile: the one in the trash, still marked, is left alone.
    Product.objects.create(name="Монтаж (новый)", article="МОН-01")
    assert commerceml.import_document(marked, head).deleted == 0
    # Orders and offers still naming the product find it (no second product is made).
    commerceml.import_document(sample("commerceml_offers.xml"), head)
    assert Product.all_objects.count() == 3
    # Unmarked in 1C while the article is taken: refused with the reason, nothing kept.
    with pytest.raises(ExchangeError, match="e5a1b2c3-0002.*article"):
        commerceml.import_document(sample("commerceml_import.xml"), head)
    Product.objects.get(name="Монтаж (новый)").delete()
    assert commerceml.import_document(sample("commerceml_import.xml"), head).restored == 1
    assert Product.objects.get(article="МОН-01").name == "Монтаж холодильного оборудования"


def test_states_and_trash_survive_export_then_import(head):
    load_all(head)
    second = sample("commerceml_orders.xml").replace(ORDER_ID.encode(), b"0d0c0001-0000-0000-0000-000000000002")
    commerceml.import_document(with_requisites(second, Проведен="false"), head)
    commerceml.import_document(orders_with(Статус_заказа="Закрыт", ПометкаУдаления="true"), head)
    states = sorted((o.state, o.is_deleted) for o in Order.all_objects.all())
    assert states == [("completed", True), ("draft", False)]
    exported = commerceml.export_orders(Order.all_objects.all())
    assert "Закрыт".encode() in exported and "<Значение>Не согласован</Значение>".encode() in exported
    before = snapshot()
    counts = commerceml.import_document(exported, head)
    assert (counts.created, counts.updated, counts.deleted, counts.restored) == (0, 0, 0, 0)
    assert snapshot() == before


def test_sale_query_sends_the_deletion_mark_of_an_order_1c_knows(client, integration_user):
    load_all(integration_user)
    handshake(client, "sale")
    the_order().delete()
    body = client.get(URL, {"type": "sale", "mode": "query"}).content.decode()
    document = next(d for d in commerceml.read_xml(body.encode()).iter("Документ") if d.findtext("Ид") == ORDER_ID)
    assert commerceml.requisites(document)["пометкаудаления"] == "true"


# --- Archives ------------------------------------------------------------------------------------

def make_zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def send_in_pieces(client, exchange_type, name, data, pieces=2):
    size = len(data) // pieces + 1
    responses = []
    for start in range(0, len(data), size):
        responses.append(client.post(f"{URL}?type={exchange_type}&mode=file&filename={name}",
                                     data[start:start + size], content_type="application/octet-stream"))
    return responses


def session_files():
    root = Path(settings.MEDIA_ROOT) / "exchange-1c"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


PICTURE = "import_files/e5/e5a1b2c3-0001.jpg"


def catalog_with_picture():
    return sample("commerceml_import.xml").replace(
        "<Артикул>ВХ-1200</Артикул>".encode(), f"<Артикул>ВХ-1200</Артикул><Картинка>{PICTURE}</Картинка>".encode())


def pictures_of(product):
    return list(Attachment.objects.filter(object_id=product.pk, content_type__model="product")
                .values_list("name", "size", "uploaded_by__username"))


def test_protocol_zip_in_two_pieces(client, integration_user):
    handshake(client)
    assert client.get(URL, {"type": "catalog", "mode": "init"}).content.decode().splitlines()[0] == "zip=yes"
    data = make_zip({"import.xml": catalog_with_picture(), "offers.xml": sample("commerceml_offers.xml"),
                     PICTURE: b"\xff\xd8\xff" + b"0" * 5000, "readme.txt": b"skipped"})
    for _round in range(2):  # the same archive again: nothing new, the picture not attached twice
        handshake(client)
        client.get(URL, {"type": "catalog", "mode": "init"})
        responses = send_in_pieces(client, "catalog", "import_files.zip", data)
        assert [r.content.decode().strip() for r in responses] == ["success", "success"]
        for name in ("import.xml", "offers.xml"):
            resp = client.get(URL, {"type": "catalog", "mode": "import", "filename": name})
            assert resp.content.decode().strip() == "success", resp.content.decode()
        # The XML are gone; the pictures wait for the session's end (removed at an init an hour on).
        assert [p.split("/", 1)[1] for p in session_files()] == [f"files/{PICTURE}"] * (_round + 1)
    showcase = Product.objects.get(article="ВХ-1200")
    assert showcase.price == Decimal("48200.00")
    assert pictures_of(showcase) == [("e5a1b2c3-0001.jpg", 5003, "head")]
    assert list(ExchangeLog.objects.filter(mode="import").order_by("pk").values_list("file_name", "ok", "created")) == [
        ("import.xml", True, 6), ("offers.xml", True, 0), ("import.xml", True, 0), ("offers.xml", True, 0)]
    assert ExchangeLog.objects.filter(message__contains="Pictures attached: 1").count() == 1


def test_protocol_pictures_one_by_one_without_zip(client, integration_user, settings):
    settings.KLIENTURA_1C_ZIP = False
    handshake(client)
    client.get(URL, {"type": "catalog", "mode": "init"})
    for name, data in ((PICTURE, b"\x89PNG" + b"1" * 100), ("import.xml", catalog_with_picture())):
        resp = client.post(f"{URL}?type=catalog&mode=file&filename={name}", data,
                           content_type="application/octet-stream")
        assert resp.content.decode().strip() == "success"
    assert client.get(URL, {"type": "catalog", "mode": "import", "filename": "import.xml"}).content.startswith(
        b"success")
    assert pictures_of(Product.objects.get(article="ВХ-1200")) == [("e5a1b2c3-0001.jpg", 104, "head")]


def test_old_sessions_are_forgotten(client, integration_user):
    import os
    import time

    old = Path(settings.MEDIA_ROOT) / "exchange-1c" / ("0" * 32)
    (old / "files").mkdir(parents=True)
    (old / "files" / "x.jpg").write_bytes(b"x")
    stale = time.time() - 2 * 3600
    os.utime(old, (stale, stale))
    handshake(client)
    client.get(URL, {"type": "catalog", "mode": "init"})
    assert not old.exists()


def test_protocol_orders_from_1c_in_a_zip(client, integration_user):
    commerceml.import_document(sample("commerceml_import.xml"), integration_user)
    handshake(client, "sale")
    data = make_zip({"orders-0001.xml": orders_with(Статус_заказа="Закрыт")})
    half = len(data) // 2
    first = client.post(f"{URL}?type=sale&mode=file&filename=orders.zip", data[:half],
                        content_type="application/octet-stream")
    assert first.content.decode().strip() == "success" and not Order.objects.exists()  # waits for the rest
    second = client.post(f"{URL}?type=sale&mode=file&filename=orders.zip", data[half:],
                         content_type="application/octet-stream")
    assert second.content.decode().strip() == "success", second.content.decode()
    assert the_order().state == "completed"


def test_zip_with_a_path_outside_is_refused(client, integration_user, tmp_path):
    handshake(client)
    data = make_zip({"import.xml": sample("commerceml_import.xml"), "../evil.xml": b"<x/>"})
    send_in_pieces(client, "catalog", "import.zip", data, pieces=1)
    resp = client.get(URL, {"type": "catalog", "mode": "import", "filename": "import.xml"})
    assert resp.content.decode().startswith("failure") and "../evil.xml" in resp.content.decode()
    assert not Product.objects.exists() and session_files() == []
    assert not list(Path(settings.MEDIA_ROOT).rglob("evil.xml"))
    assert ExchangeLog.objects.filter(ok=False, file_name="import.zip").exists()


@pytest.mark.parametrize("name", ["/etc/evil.xml", "C:/evil.xml", "a/../../evil.xml"])
def test_unpack_refuses_every_way_out(tmp_path, name):
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"import.xml": b"<x/>", name: b"<x/>"}))
    (tmp_path / "out").mkdir()
    with pytest.raises(archives.ArchiveError):
        archives.unpack(archive, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_zip_bomb_is_refused(client, integration_user):
    handshake(client)
    bomb = make_zip({"import.xml": b"<" + b" " * (commerceml.MAX_SIZE + 1)})
    assert len(bomb) < 200_000
    send_in_pieces(client, "catalog", "import.zip", bomb)
    resp = client.get(URL, {"type": "catalog", "mode": "import", "filename": "import.xml"})
    assert resp.content.decode().startswith("failure") and "larger" in resp.content.decode()
    assert session_files() == []


def test_unpack_counts_the_real_bytes_not_the_declared_size(tmp_path, monkeypatch):
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"import.xml": b" " * 5000, "offers.xml": b" " * 5000}))
    monkeypatch.setattr(archives, "MAX_TOTAL", 6000)  # the declared sizes pass one by one …
    monkeypatch.setattr(archives, "_members", lambda zf: [(i, i.filename) for i in zf.infolist()])  # … or lie
    (tmp_path / "out").mkdir()
    with pytest.raises(archives.ArchiveError, match="larger"):
        archives.unpack(archive, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_unpack_refuses_too_many_members_and_not_a_zip(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_MEMBERS", 3)
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({f"f{i}.jpg": b"x" for i in range(4)}))
    with pytest.raises(archives.ArchiveError, match="more than 3"):
        archives.unpack(archive, tmp_path)
    archive.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(archives.ArchiveError, match="not a readable ZIP"):
        archives.unpack(archive, tmp_path)


def test_product_pictures_on_the_card_follow_the_catalogue_access(client_for, head, manager, tmp_path):
    picture = tmp_path / "x.jpg"
    picture.write_bytes(b"\xff\xd8\xff picture")
    commerceml.import_document(catalog_with_picture(), head, pictures=lambda name: picture if name == PICTURE else None)
    showcase = Product.objects.get(article="ВХ-1200")
    attachment = Attachment.objects.get(object_id=showcase.pk, content_type__model="product")
    add = f"/attachments/sales.product/{showcase.pk}/add/"
    head_page = client_for(head).get(showcase.get_absolute_url()).content.decode()
    assert "x.jpg" in head_page and add in head_page
    # Everyone reads the catalogue and downloads its pictures; only heads and administrators add them.
    page = client_for(manager).get(showcase.get_absolute_url()).content.decode()
    assert 'data-testid="attachments-panel"' in page and "x.jpg" in page and add not in page
    assert client_for(manager).get(f"/attachments/{attachment.pk}/download/").status_code == 200
    resp = client_for(manager).post(add, {"file": io.BytesIO(b"y")})
    assert resp.status_code in (403, 404)
    assert Attachment.objects.filter(object_id=showcase.pk).count() == 1


def test_a_failed_file_keeps_no_picture_either(head, tmp_path):
    picture = tmp_path / "x.jpg"
    picture.write_bytes(b"\xff\xd8\xff picture")
    group = "a1f0c2d4-0003-11e9-8b3c-00155d000003</Ид></Группы>"  # the second product's group: unknown
    bad = catalog_with_picture().replace(group.encode(), "unknown</Ид></Группы>".encode())
    assert bad != catalog_with_picture()
    media = Path(settings.MEDIA_ROOT)
    before = sorted(media.rglob("*")) if media.exists() else []
    with pytest.raises(ExchangeError, match="no group"):
        commerceml.import_document(bad, head, pictures=lambda name: picture)
    assert not Attachment.all_objects.exists() and not Product.all_objects.exists()
    assert [p for p in (sorted(media.rglob("*")) if media.exists() else []) if p.is_file()] == [
        p for p in before if p.is_file()]
    # The same file without the error: the picture is stored.
    commerceml.import_document(catalog_with_picture(), head, pictures=lambda name: picture)
    assert Attachment.objects.count() == 1
