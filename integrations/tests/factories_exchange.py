"""Bank statements: a builder for tests, and the samples and probes of the access matrix."""

import hashlib
import itertools

from django.utils import timezone

from integrations.models import BankStatement, BankStatementLine

_keys = itertools.count(1)


def statement(user=None, **fields):
    return BankStatement.objects.create(file_name=fields.pop("file_name", "statement.txt"), uploaded_by=user,
                                        encoding="cp1251", **fields)


def statement_line(stmt, **fields):
    key = hashlib.sha256(f"test-{next(_keys)}-{fields}".encode()).hexdigest()
    candidates = fields.pop("candidates", [])
    fields.setdefault("number", "1")
    fields.setdefault("date", timezone.localdate())
    fields.setdefault("amount", 100)
    line = BankStatementLine.objects.create(statement=stmt, key=key, **fields)
    line.candidates.set(candidates)
    return line


def _register_matrix():
    from clients.models import Counterparty
    from core import access
    from core.tests import samples
    from sales.models import Order

    @samples.sample(BankStatement)
    def statement_sample(world):
        return statement(world.owner, file_name=world.text("statement"))

    @samples.sample(BankStatementLine)
    def line_sample(world):
        return statement_line(world.get(BankStatement), counterparty=world.get(Counterparty),
                              payer_name=world.text("payer"), purpose=world.text("purpose"),
                              candidates=[world.get(Order)])

    def assign_to_order(world, line):
        return {"order": world.get(Order).pk}

    # The upload form: heads and administrators only (403 for everyone else).
    samples.probe("integrations:bankstatement_upload", kind="list", action=access.ADD, positive=False)
    for name in ("assign", "ignore"):
        data = assign_to_order if name == "assign" else None
        samples.probe(f"integrations:bankstatementline_{name}", method="post", action=access.CHANGE,
                      target=BankStatementLine, data=data)
        samples.probe(f"api:bankstatementline-{name}", method="post", action=access.CHANGE,
                      target=BankStatementLine, data=data)
    # Reopening a line that is not ignored is refused (400 in the API, a message in the UI), but only
    # to those who may change it: the others get 404 / 403 and nothing changes.
    samples.probe("integrations:bankstatementline_reopen", method="post", action=access.CHANGE,
                  target=BankStatementLine)
    samples.probe("api:bankstatementline-reopen", method="post", action=access.CHANGE, target=BankStatementLine,
                  data=lambda world, line: {})


_register_matrix()
