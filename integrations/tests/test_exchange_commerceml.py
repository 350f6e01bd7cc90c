"""CommerceML 2 with 1C: import and export, idempotent by the 1C ids; the HTTP exchange protocol."""

import base64
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from clients.models import Counterparty
from clients.tests.factories import CounterpartyFactory
from integrations.exchange import commerceml
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
        "products": rows(Product, "name", "article", "unit", "price", "category_id"),
        "counterparties": rows(Counterparty, "name", "tax_id", "kpp"),
        "orders": rows(Order, "number", "date", "counterparty_id", "amount"),
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


def test_protocol_catalog_exchange(client, integration_user):
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
