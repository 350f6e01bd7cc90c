"""Bank statements: load a ``1CClientBankExchange`` file, match each incoming payment with an
invoice and register it as an actual payment of the invoice's order, or leave it for review.

Matching (docs/exchange-1c.md):

* An **invoice** is a planned payment of a live order that did not fall through; its number is
  the planned payment's ``invoice_number``, or the order's number when it has none (as on the
  generated invoice). An order without planned payments is an invoice of its whole amount.
* The purpose of payment is searched for invoice numbers ("оплата по счету № 123 от …",
  "сч. №ЛД-000123", "по счетам 12, 13", "заказ № 55"…). Numbers compare without case and
  spaces, or by their digits without leading zeros ("ЛД-000123" is "123").
* A number match is **confident** when the payer's tax id is the client's, or when the amount is
  the invoice's (or what is left of it) and the tax ids do not contradict each other. One
  confident invoice (or one that fits all three) registers the payment; several go to review.
* Without a usable number: the clients with the payer's tax id (narrowed by KPP when several)
  and their open invoices of exactly this amount; one registers the payment, several go to
  review, none leaves the line for review with the client's open orders as candidates.
* The whole file is one transaction, and each payment is kept once (``key``): loading a file
  twice, or two statements that overlap, registers nothing new.
"""

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clients.models import Counterparty
from sales.models import Order, Payment, PlanFact
from sales.services import orders as order_service

from ..models import BankStatement, BankStatementLine
from . import clientbank
from .clientbank import LineError, StatementError

ZERO = Decimal("0")
State, Reason = BankStatementLine.State, BankStatementLine.Reason
MAX_FILE_SIZE = 10 * 1024 * 1024
MAX_CANDIDATES = 20

# "счет", "счёт", "счету", "счета", "счетам", "сч.", "сч", "с/ч" — not "р/сч" or "расчетный счет"
# (our own accounts), optionally "на оплату", then "№", "N", "No", "#" or "номер", then the number.
_INVOICE = re.compile(
    r"(?<![\w/])(?:сч[её]т(?:ам|ов|у|а|е)?|сч\.?|с/ч|заказ(?:ам|ов|у|а)?|зак\.)"
    r"(?:\s+на\s+оплату)?\s*(?:№|N[o°]?\.?|#|номер)?\s*"
    r"(?P<numbers>[A-Za-zА-Яа-яЁё0-9][\w/\-]*(?:(?:\s*,\s*|\s+и\s+)(?:№\s*)?[A-Za-zА-Яа-яЁё0-9][\w/\-]*)*)",
    re.IGNORECASE)
_ACCOUNT_WORD = re.compile(r"(?:расч[её]тн\w*|р/|корр?\w*)\s*$", re.IGNORECASE)


def invoice_numbers(purpose):
    """The invoice or order numbers a purpose of payment mentions, in order, without repeats."""
    found = []
    for match in _INVOICE.finditer(purpose or ""):
        if _ACCOUNT_WORD.search(purpose[:match.start()]):
            continue  # "расчетный счет 4070…", "р/счет": an account, not an invoice
        for number in re.split(r"(?:\s*,\s*|\s+и\s+)(?:№\s*)?", match.group("numbers")):
            number = number.strip("-/")
            if number and number.lower() not in ("от", "и") and any(c.isdigit() for c in number) \
                    and len(number) <= 30 and number not in found:
                found.append(number)
    return found


def normalized(number):
    return re.sub(r"\s+", "", number or "").upper()


def digits(number):
    """The number's digits without leading zeros ("ЛД-000123" → "123"); "" when it has none."""
    return re.sub(r"\D", "", number or "").lstrip("0")


def same_number(mentioned, stored):
    if not stored:
        return False
    if normalized(mentioned) == normalized(stored):
        return True
    core = digits(mentioned)
    return bool(core) and core == digits(stored)


@dataclass
class Invoice:
    order: Order
    plan: Payment | None  # the planned payment; None: the order as a whole
    number: str
    amount: Decimal
    rest: Decimal  # what is not paid yet

    @property
    def counterparty(self):
        return self.order.counterparty

    def fits_amount(self, amount):
        return amount == self.amount or (self.rest > 0 and amount == self.rest)

    def fits_payer(self, inn):
        return bool(inn) and self.counterparty.tax_id == inn

    def contradicts_payer(self, inn):
        return bool(inn) and bool(self.counterparty.tax_id) and self.counterparty.tax_id != inn


@dataclass
class Match:
    state: str
    reason: str = ""
    invoice: Invoice | None = None
    counterparty: Counterparty | None = None
    candidates: list = field(default_factory=list)  # orders


# --- Invoices ---------------------------------------------------------------------------------------

def live_orders():
    return Order.visible_filter(Order.objects.exclude(state=Order.State.FAILED)).select_related("counterparty")


def invoices_of(orders):
    """Invoices of the given orders: their planned payments with what is left of each, and the
    orders without planned payments as a whole."""
    orders = {o.pk: o for o in orders}
    if not orders:
        return []
    plans = order_service.with_coverage(Payment.objects.filter(order_id__in=orders, kind=PlanFact.PLANNED))
    found, planned = [], set()
    for plan in plans.order_by("date", "pk"):
        order = orders[plan.order_id]
        planned.add(order.pk)
        found.append(Invoice(order, plan, plan.invoice_number or order.number, plan.amount,
                             max(plan.uncovered, ZERO)))
    paid = dict(Payment.objects.filter(order_id__in=orders, kind=PlanFact.ACTUAL).order_by().values("order_id")
                .annotate(total=Sum("amount")).values_list("order_id", "total"))
    for order in orders.values():
        if order.pk not in planned and order.amount > 0:
            found.append(Invoice(order, None, order.number, order.amount,
                                 max(order.amount - (paid.get(order.pk) or ZERO), ZERO)))
    return found


def invoices_by_number(numbers):
    """Invoices whose number (or, without an invoice number, whose order's) is one of ``numbers``."""
    if not numbers:
        return []
    orders = set()
    for number in numbers:
        core = digits(number) or normalized(number)
        plans = (Payment.objects.filter(kind=PlanFact.PLANNED, invoice_number__icontains=core)
                 .values_list("order_id", "invoice_number")[:200])
        orders |= {pk for pk, stored in plans if same_number(number, stored)}
        by_order = live_orders().filter(number__icontains=core).values_list("pk", "number")[:200]
        orders |= {pk for pk, stored in by_order if same_number(number, stored)}
    invoices = invoices_of(live_orders().filter(pk__in=orders))
    return [inv for inv in invoices if any(same_number(n, inv.number) for n in numbers)]


def clients_of(inn, kpp):
    """Live counterparties with the payer's tax id; several (branches) narrowed by the KPP."""
    if not inn:
        return []
    clients = list(Counterparty.objects.filter(tax_id=inn).order_by("pk")[:MAX_CANDIDATES])
    if len(clients) > 1 and kpp:
        by_kpp = [c for c in clients if c.kpp == kpp]
        clients = by_kpp or clients
    return clients


# --- Matching ---------------------------------------------------------------------------------------

def match(amount, inn, kpp, purpose):
    """Where an incoming payment goes: one invoice (MATCHED) or review with the candidates."""
    numbers = invoice_numbers(purpose)
    by_number = invoices_by_number(numbers)
    if by_number:
        confident = [inv for inv in by_number if inv.fits_payer(inn)
                     or (inv.fits_amount(amount) and not inv.contradicts_payer(inn))]
        best = [inv for inv in confident if inv.fits_payer(inn) and inv.fits_amount(amount)]
        for group in (confident, best):
            if len({(inv.order.pk, inv.plan and inv.plan.pk) for inv in group}) == 1:
                return Match(State.MATCHED, invoice=group[0], counterparty=group[0].counterparty)
        pool = confident or by_number
        reason = Reason.AMBIGUOUS if confident else Reason.WEAK
        return review(reason, pool, clients_of(inn, kpp))
    clients = clients_of(inn, kpp)
    if not clients:
        return Match(State.REVIEW, Reason.UNKNOWN_PAYER)
    open_orders = live_orders().filter(counterparty__in=clients).exclude(state=Order.State.COMPLETED)
    invoices = [inv for inv in invoices_of(open_orders.order_by("-date", "-pk")[:100]) if inv.rest > 0]
    fitting = [inv for inv in invoices if inv.fits_amount(amount)]
    if len(fitting) == 1:
        return Match(State.MATCHED, invoice=fitting[0], counterparty=fitting[0].counterparty)
    if fitting:
        return review(Reason.AMBIGUOUS, fitting, clients)
    return review(Reason.NO_INVOICE, invoices, clients)


def review(reason, invoices, clients):
    orders = []
    for inv in invoices:
        if inv.order not in orders:
            orders.append(inv.order)
    owners = {inv.counterparty for inv in invoices} | set(clients)
    counterparty = next(iter(owners)) if len(owners) == 1 else None
    single = invoices[0] if len({(i.order.pk, i.plan and i.plan.pk) for i in invoices}) == 1 else None
    return Match(State.REVIEW, reason, invoice=single, counterparty=counterparty,
                 candidates=orders[:MAX_CANDIDATES])


# --- Registering payments ---------------------------------------------------------------------------

def payment_comment(line):
    return (_("Bank statement: payment order No. %(number)s of %(date)s, %(payer)s") % {
        "number": line.number, "date": date_format(line.date, "SHORT_DATE_FORMAT"),
        "payer": line.payer_name or line.payer_inn})[:255]


def register(line, order, plan, user):
    """The actual payment of ``line`` on ``order`` (history by ``user``); completes the order
    when it is now fully shipped and paid."""
    payment = Payment(order=order, kind=PlanFact.ACTUAL, date=line.received_on or line.date,
                      amount=line.amount, invoice_number=(plan.invoice_number if plan else "") or order.number,
                      comment=payment_comment(line))
    payment._history_user = user
    order_service.save_payment(payment)
    order._history_user = user
    order_service.complete_if_done(order)
    return payment


def line_key(doc):
    payer = doc.payer_account or doc.payer_inn or doc.payer_name
    raw = "|".join([doc.number.strip().upper(), doc.date.isoformat(), str(doc.amount), payer])
    return hashlib.sha256(raw.encode()).hexdigest()


def direction(doc, accounts, own_tax_id):
    """"in", "out" or None: our account (the statement's) or our tax id on either side, else the
    receipt / write-off date the bank filled in."""
    if doc.payee_account and doc.payee_account in accounts:
        return "in"
    if doc.payer_account and doc.payer_account in accounts:
        return "out"
    if own_tax_id and doc.payee_inn == own_tax_id:
        return "in"
    if own_tax_id and doc.payer_inn == own_tax_id:
        return "out"
    if doc.received_on and not doc.written_off_on:
        return "in"
    if doc.written_off_on and not doc.received_on:
        return "out"
    return None


def load(name, data, user):
    """Read, check and load a statement file: a ``BankStatement`` with its counts, or
    ``StatementError`` (nothing stored) naming each bad line."""
    if len(data) > MAX_FILE_SIZE:
        raise StatementError([LineError(1, "", _("the file is larger than 10 MB."))])
    statement = clientbank.parse(data)
    own_tax_id = (getattr(settings, "KLIENTURA_COMPANY_TAX_ID", "") or "").strip()
    incoming, errors = [], []
    for doc in statement.documents:
        way = direction(doc, statement.accounts, own_tax_id)
        if way is None:
            errors.append(LineError(doc.line, "", _(
                "cannot tell whether payment order No. %(number)s is incoming or outgoing: neither account "
                "is the statement's and there is no ДатаПоступило or ДатаСписано.") % {"number": doc.number}))
        elif way == "in":
            incoming.append(doc)
    if errors:
        raise StatementError(errors[:clientbank.MAX_ERRORS])
    with transaction.atomic():
        log = BankStatement.objects.create(
            file_name=(name or "statement.txt")[:255], uploaded_by=user, encoding=statement.encoding,
            format_version=statement.version[:10], sender=statement.sender[:255],
            accounts=", ".join(statement.accounts)[:255], date_from=statement.date_from, date_to=statement.date_to,
            documents=len(statement.documents), incoming=len(incoming),
            outgoing=len(statement.documents) - len(incoming))
        for doc in incoming:
            line = _store(log, doc)
            if line is None:
                log.duplicates += 1
                continue
            _settle(line, user)
            if line.state == State.MATCHED:
                log.matched += 1
            else:
                log.review += 1
        log.save()
    return log


def _store(log, doc):
    """The statement line of ``doc``, or None when the same payment was loaded before."""
    try:
        with transaction.atomic():
            return BankStatementLine.objects.create(
                statement=log, line_no=doc.line, key=line_key(doc), number=doc.number[:50], date=doc.date,
                received_on=doc.received_on, amount=doc.amount, payer_name=doc.payer_name[:255],
                payer_inn=doc.payer_inn[:12], payer_kpp=doc.payer_kpp[:9], payer_account=doc.payer_account[:34],
                purpose=doc.purpose)
    except IntegrityError:
        return None


def _settle(line, user):
    found = match(line.amount, line.payer_inn, line.payer_kpp, line.purpose)
    line.state, line.reason, line.counterparty = found.state, found.reason, found.counterparty
    if found.invoice is not None:
        line.order, line.invoice = found.invoice.order, found.invoice.plan
    if found.state == State.MATCHED:
        try:
            with transaction.atomic():
                line.payment = register(line, found.invoice.order, found.invoice.plan, user)
        except ValidationError:
            line.state, line.reason = State.REVIEW, Reason.FAILED
            line.candidates.set([found.invoice.order])
    else:
        line.candidates.set(found.candidates)
    line.save()


# --- The review list ---------------------------------------------------------------------------------

class ReviewError(ValidationError):
    pass


def assign(line, order, user):
    """Register ``line`` on ``order`` (a user's choice in the review list), exactly once."""
    with transaction.atomic():
        claimed = BankStatementLine.objects.filter(pk=line.pk, state=State.REVIEW).update(
            state=State.ASSIGNED, resolved_by=user, resolved_at=timezone.now())
        if not claimed:
            raise ReviewError(_("This payment is no longer waiting for review."))
        plan = line.invoice if line.invoice_id and line.invoice.order_id == order.pk else \
            order_service.uncovered(order.payments.filter(kind=PlanFact.PLANNED)).order_by("date", "pk").first()
        payment = register(line, order, plan, user)
        BankStatementLine.objects.filter(pk=line.pk).update(
            payment=payment, order=order, invoice=plan, counterparty_id=order.counterparty_id)
    line.refresh_from_db()
    return line


def ignore(line, user):
    """Leave a payment out (not a client's payment, a refund…); it can be reopened."""
    done = BankStatementLine.objects.filter(pk=line.pk, state=State.REVIEW).update(
        state=State.IGNORED, resolved_by=user, resolved_at=timezone.now())
    if not done:
        raise ReviewError(_("This payment is no longer waiting for review."))
    line.refresh_from_db()
    return line


def reopen(line, user):
    """An ignored payment back to the review list (one still waiting there stays as it is)."""
    if line.state == State.REVIEW:
        return line
    done = BankStatementLine.objects.filter(pk=line.pk, state=State.IGNORED).update(
        state=State.REVIEW, resolved_by=None, resolved_at=None)
    if not done:
        raise ReviewError(_("Only an ignored payment can be reopened."))
    line.refresh_from_db()
    return line
