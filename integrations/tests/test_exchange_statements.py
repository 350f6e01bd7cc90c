"""Bank statements in the 1CClientBankExchange format: reading, matching, exactly once, review, access."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.models import CounterpartyShare
from clients.tests.factories import CounterpartyFactory
from integrations.exchange import clientbank, statements
from integrations.exchange.clientbank import StatementError
from integrations.models import BankStatement, BankStatementLine
from sales.models import Order, Payment
from sales.tests.factories import OrderFactory, OrderLineFactory, PaymentFactory

from .factories_exchange import statement, statement_line

SAMPLES = Path(__file__).parent / "samples"
State, Reason = BankStatementLine.State, BankStatementLine.Reason
INN_A, INN_B = "7700001010", "7700002020"


def sample(name):
    return (SAMPLES / name).read_bytes()


def order_with_invoice(client, responsible, number, invoice_number, amount):
    order = OrderFactory(counterparty=client, responsible=responsible, number=number)
    OrderLineFactory(order=order, quantity=1, price=amount)
    Order.objects.filter(pk=order.pk).update(amount=amount)
    order.refresh_from_db()
    PaymentFactory(order=order, kind="planned", amount=amount, invoice_number=invoice_number)
    return order


@pytest.fixture
def books(manager, teammate):
    """manager's client A and teammate's client B with the invoices the sample statements pay."""
    a = CounterpartyFactory(name="Альфа-Холод", tax_id=INN_A, main_manager=manager)
    b = CounterpartyFactory(name="Бета Маркет", tax_id=INN_B, main_manager=teammate)
    return {
        "a": a, "b": b,
        "by_number": order_with_invoice(a, manager, "A-1", "123", Decimal("15000.00")),
        "twin1": order_with_invoice(a, manager, "A-2", "200", Decimal("5000.00")),
        "twin2": order_with_invoice(a, manager, "A-3", "201", Decimal("5000.00")),
        "by_amount": order_with_invoice(b, teammate, "B-1", "В-7", Decimal("7300.00")),
        "prefixed": order_with_invoice(b, teammate, "B-2", "ЛД-000045", Decimal("2500.00")),
    }


def actual(order):
    return list(Payment.objects.filter(order=order, kind="actual"))


# --- Reading the format ----------------------------------------------------------------------------

def test_reads_windows_1251_and_dos_866():
    win = clientbank.parse(sample("statement_cp1251.txt"))
    assert win.encoding == "cp1251" and win.version == "1.03"
    assert win.accounts == ["40702810938000012345"]
    assert len(win.documents) == 5
    first = win.documents[0]
    assert (first.number, first.amount, first.payer_inn, first.payer_name) == (
        "512", Decimal("15000.00"), INN_A, 'ООО "Альфа-Холод"')
    assert first.purpose.startswith("Оплата по счету № 123")
    dos = clientbank.parse(sample("statement_cp866.txt"))
    assert dos.encoding == "cp866"
    assert dos.documents[0].purpose.startswith("Опл. по сч.№45")


@pytest.mark.parametrize(("name", "line", "field"), [
    ("statement_bad_amount.txt", 78, "Сумма"),
    ("statement_cut_short.txt", None, ""),
])
def test_a_malformed_file_names_the_line_and_field(name, line, field):
    with pytest.raises(StatementError) as caught:
        clientbank.parse(sample(name))
    error = caught.value.errors[0]
    assert error.field == field
    if line:
        assert error.line == line
        assert str(error).startswith(f"Line {line}, Сумма:") and "12,3a" in str(error)
    else:
        assert "КонецФайла" in str(error)


@pytest.mark.parametrize(("text", "message"), [
    (b"hello", "1CClientBankExchange"),
    ("1CClientBankExchange\r\nВерсияФормата=1.03\r\nКонецФайла\r\n".encode("cp1251"), "Кодировка"),
    ("1CClientBankExchange\r\nКодировка=DOS\r\nКонецФайла\r\n".encode("cp1251"), "DOS"),
    ("1CClientBankExchange\r\nКодировка=Windows\r\nСекцияДокумент=Платежное поручение\r\nНомер=1\r\n"
     "Дата=31.02.2026\r\nСумма=10.00\r\nКонецДокумента\r\nКонецФайла\r\n".encode("cp1251"), "Line 5, Дата"),
    ("1CClientBankExchange\r\nКодировка=Windows\r\nСекцияДокумент=Платежное поручение\r\nДата=01.02.2026\r\n"
     "Сумма=-10\r\nКонецДокумента\r\nКонецФайла\r\n".encode("cp1251"), "Номер"),
])
def test_bad_headers_and_fields_are_named(text, message):
    with pytest.raises(StatementError) as caught:
        clientbank.parse(text)
    assert message in str(caught.value)


@pytest.mark.parametrize(("purpose", "numbers"), [
    ("Оплата по счету № 123 от 28.11.2026 за оборудование", ["123"]),
    ("Опл. по сч.№ЛД-000123 от 1.12.26", ["ЛД-000123"]),
    ("Оплата по счёту на оплату N 45-А", ["45-А"]),
    ("Оплата по счетам №12, 13 и 14", ["12", "13", "14"]),
    ("Оплата по заказу 55, НДС не облагается", ["55"]),
    ("Перевод на расчетный счет 40702810900000000001", []),
    ("по счету 77, р/сч 40702810", ["77"]),
    ("Оплата за товар без НДС", []),
])
def test_invoice_numbers_in_the_purpose(purpose, numbers):
    assert statements.invoice_numbers(purpose) == numbers


# --- Matching ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_statement_registers_confident_matches_and_leaves_the_rest_for_review(books, head):
    log = statements.load("december.txt", sample("statement_cp1251.txt"), head)

    assert (log.documents, log.incoming, log.outgoing, log.matched, log.review, log.duplicates) == (5, 4, 1, 2, 2, 0)
    lines = {line.number: line for line in BankStatementLine.objects.all()}
    assert set(lines) == {"512", "77", "513", "9"}  # the outgoing payment is not kept

    # By the invoice number in the purpose (number, tax id and amount agree).
    by_number = lines["512"]
    assert by_number.state == State.MATCHED and by_number.order == books["by_number"]
    [payment] = actual(books["by_number"])
    assert by_number.payment == payment
    assert (payment.amount, payment.invoice_number, payment.date.isoformat()) == (Decimal("15000.00"), "123",
                                                                                  "2026-12-01")
    assert "512" in payment.comment
    assert payment.history.get().history_user == head  # business data: with its history

    # Without a number: the payer's tax id and the amount of the client's only fitting open invoice.
    assert lines["77"].state == State.MATCHED and lines["77"].order == books["by_amount"]
    assert len(actual(books["by_amount"])) == 1

    # Two invoices of the same amount: to review, both offered.
    twins = lines["513"]
    assert (twins.state, twins.reason, twins.counterparty) == (State.REVIEW, Reason.AMBIGUOUS, books["a"])
    assert set(twins.candidates.all()) == {books["twin1"], books["twin2"]}
    assert not actual(books["twin1"]) and not actual(books["twin2"])

    # Nobody with the payer's tax id and no number: unmatched, no client.
    unknown = lines["9"]
    assert (unknown.state, unknown.reason, unknown.counterparty) == (State.REVIEW, Reason.UNKNOWN_PAYER, None)


@pytest.mark.django_db
def test_dos_statement_matches_a_prefixed_invoice_number_by_its_digits(books, head):
    log = statements.load("dos.txt", sample("statement_cp866.txt"), head)
    assert (log.incoming, log.matched, log.review) == (1, 1, 0)
    [payment] = actual(books["prefixed"])
    assert payment.amount == Decimal("2500.00") and payment.invoice_number == "ЛД-000045"


@pytest.mark.django_db
def test_the_same_file_twice_registers_nothing_new(books, head):
    statements.load("december.txt", sample("statement_cp1251.txt"), head)
    payments, lines = Payment.objects.filter(kind="actual").count(), BankStatementLine.objects.count()

    again = statements.load("december-again.txt", sample("statement_cp1251.txt"), head)

    assert (again.incoming, again.matched, again.review, again.duplicates) == (4, 0, 0, 4)
    assert Payment.objects.filter(kind="actual").count() == payments == 2
    assert BankStatementLine.objects.count() == lines == 4
    assert BankStatement.objects.count() == 2  # both loads are in the log


@pytest.mark.django_db
def test_a_malformed_file_stores_nothing(books, head):
    with pytest.raises(StatementError):
        statements.load("bad.txt", sample("statement_bad_amount.txt"), head)
    assert not BankStatement.objects.exists() and not BankStatementLine.objects.exists()
    assert not Payment.objects.filter(kind="actual").exists()  # its two good payments neither


@pytest.mark.django_db
def test_a_number_of_another_clients_invoice_with_another_amount_is_not_trusted(books, head):
    # The purpose names A's invoice 123, but the payer is B and the amount is not the invoice's.
    found = statements.match(Decimal("999.00"), INN_B, "", "Оплата по счету № 123")
    assert (found.state, found.reason) == (State.REVIEW, Reason.WEAK)
    assert books["by_number"] in found.candidates
    # The same number and amount from a payer without a tax id (an individual): trusted.
    found = statements.match(Decimal("15000.00"), "", "", "Оплата по счету № 123")
    assert found.state == State.MATCHED and found.invoice.order == books["by_number"]


@pytest.mark.django_db
def test_a_partial_payment_by_number_and_tax_id_is_registered_and_the_rest_matched_later(books, head):
    found = statements.match(Decimal("10000.00"), INN_A, "", "Оплата по сч. 123 (частично)")
    assert found.state == State.MATCHED
    line = statement_line(statement(head), amount=Decimal("10000.00"), payer_inn=INN_A)
    statements.register(line, found.invoice.order, found.invoice.plan, head)
    # The rest (5000) of invoice 123 now fits the amount too: three invoices of A fit, to review.
    found = statements.match(Decimal("5000.00"), INN_A, "", "")
    assert (found.state, found.reason) == (State.REVIEW, Reason.AMBIGUOUS)
    assert len(found.candidates) == 3


@pytest.mark.django_db
def test_a_payer_without_open_invoices_is_offered_for_review_with_the_client(books, head):
    found = statements.match(Decimal("1.00"), INN_A, "", "Предоплата")
    assert (found.state, found.reason, found.counterparty) == (State.REVIEW, Reason.NO_INVOICE, books["a"])
    assert set(found.candidates) == {books["by_number"], books["twin1"], books["twin2"]}


# --- The review list ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_assigning_a_review_line_registers_the_payment_once(books, manager, client_for):
    statements.load("december.txt", sample("statement_cp1251.txt"), manager)
    line = BankStatementLine.objects.get(number="513")
    c = client_for(manager)
    page = c.get(reverse("integrations:bankstatementline", args=[line.pk]))
    assert page.status_code == 200 and "A-2" in page.content.decode()

    url = reverse("integrations:bankstatementline_assign", args=[line.pk])
    assert c.post(url, {}).status_code == 400  # nothing chosen: the form says so
    assert c.post(url, {"order": books["twin2"].pk}).status_code == 302
    line.refresh_from_db()
    assert (line.state, line.order, line.resolved_by) == (State.ASSIGNED, books["twin2"], manager)
    [payment] = actual(books["twin2"])
    assert line.payment == payment and payment.invoice_number == "201"
    assert payment.history.get().history_user == manager

    c.post(url, {"order": books["twin1"].pk})  # a second try: refused, nothing registered
    assert not actual(books["twin1"]) and len(actual(books["twin2"])) == 1


@pytest.mark.django_db
def test_assign_by_order_number_and_ignore_and_reopen(books, head, client_for):
    statements.load("december.txt", sample("statement_cp1251.txt"), head)
    unknown = BankStatementLine.objects.get(number="9")
    c = client_for(head)
    url = reverse("integrations:bankstatementline_assign", args=[unknown.pk])
    resp = c.post(url, {"order_number": "NO-SUCH"})
    assert resp.status_code == 400 and "No order with this number" in resp.content.decode()

    assert c.post(reverse("integrations:bankstatementline_ignore", args=[unknown.pk])).status_code == 302
    unknown.refresh_from_db()
    assert unknown.state == State.IGNORED
    assert c.post(reverse("integrations:bankstatementline_reopen", args=[unknown.pk])).status_code == 302
    unknown.refresh_from_db()
    assert unknown.state == State.REVIEW

    assert c.post(url, {"order_number": "B-1"}).status_code == 302
    unknown.refresh_from_db()
    assert unknown.state == State.ASSIGNED and unknown.counterparty == books["b"]


# --- Upload: UI and API -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_upload_page_loads_a_statement_and_shows_errors(books, head, client_for):
    c = client_for(head)
    url = reverse("integrations:bankstatement_upload")
    resp = c.post(url, {"file": SimpleUploadedFile("bad.txt", sample("statement_bad_amount.txt"))})
    assert resp.status_code == 400
    assert "Line 78, Сумма" in resp.content.decode()
    assert not BankStatement.objects.exists()

    resp = c.post(url, {"file": SimpleUploadedFile("dec.txt", sample("statement_cp1251.txt"))}, follow=True)
    log = BankStatement.objects.get()
    assert resp.redirect_chain[-1][0] == log.get_absolute_url()
    assert "2 registered automatically" in resp.content.decode()


@pytest.mark.django_db
def test_api_upload(books, head, api):
    client = api(head)
    resp = client.post("/api/bank-statements/", {"file": SimpleUploadedFile("bad.txt", sample(
        "statement_bad_amount.txt"))}, format="multipart")
    assert resp.status_code == 400
    assert resp.json()["file"][0].startswith("Line 78, Сумма")
    resp = client.post("/api/bank-statements/", {"file": SimpleUploadedFile("dec.txt", sample(
        "statement_cp1251.txt"))}, format="multipart")
    assert resp.status_code == 201
    assert (resp.json()["matched"], resp.json()["review"]) == (2, 2)
    lines = client.get("/api/bank-statement-lines/", {"state": "review"}).json()["results"]
    assert {line["number"] for line in lines} == {"513", "9"}


# --- Access ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_manager_sees_only_the_lines_of_their_clients(books, head, manager, teammate, quality, client_for, api):
    statements.load("december.txt", sample("statement_cp1251.txt"), head)
    mine = BankStatementLine.objects.get(number="513")  # A's, to review
    theirs = BankStatementLine.objects.get(number="77")  # B's, matched
    unknown = BankStatementLine.objects.get(number="9")  # nobody's

    def visible(user):
        return set(BankStatementLine.objects.restrict(user).values_list("number", flat=True))

    assert visible(manager) == {"512", "513"}
    assert visible(teammate) == {"77"}
    assert visible(head) == visible(quality) == {"512", "77", "513", "9"}

    c = client_for(teammate)
    listing = c.get(reverse("integrations:bankstatementline_list")).content.decode()
    assert "Альфа-Холод" not in listing and "Неизвестный" not in listing and "Бета Маркет" in listing
    for line in (mine, unknown):
        assert c.get(reverse("integrations:bankstatementline", args=[line.pk])).status_code == 404
        assert c.post(reverse("integrations:bankstatementline_assign", args=[line.pk]),
                      {"order": books["by_amount"].pk}).status_code == 404
    client = api(teammate)
    assert client.get(f"/api/bank-statement-lines/{mine.pk}/").status_code == 404
    assert client.post(f"/api/bank-statement-lines/{mine.pk}/assign/", {"order": books["by_amount"].pk},
                       format="json").status_code == 404
    assert client.get(f"/api/bank-statement-lines/{theirs.pk}/").status_code == 200

    # The owner may not put their client's payment on the teammate's order (not a valid choice).
    resp = api(manager).post(f"/api/bank-statement-lines/{mine.pk}/assign/", {"order": books["by_amount"].pk},
                             format="json")
    assert resp.status_code == 400 and "order" in resp.json()
    # Read-only roles read, never resolve.
    assert api(quality).post(f"/api/bank-statement-lines/{mine.pk}/ignore/").status_code == 403
    mine.refresh_from_db()
    assert mine.state == State.REVIEW

    # Sharing the client opens its lines to the teammate.
    CounterpartyShare.objects.create(counterparty=books["a"], user=teammate)
    assert "513" in visible(teammate)


@pytest.mark.django_db
def test_only_heads_and_administrators_upload(books, manager, quality, client_for, api):
    for user in (manager, quality):
        assert client_for(user).get(reverse("integrations:bankstatement_upload")).status_code == 403
        resp = api(user).post("/api/bank-statements/", {"file": SimpleUploadedFile(
            "dec.txt", sample("statement_cp1251.txt"))}, format="multipart")
        assert resp.status_code == 403
    assert not BankStatement.objects.exists()
