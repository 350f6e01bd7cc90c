"""Mailboxes and letters for the tests, and the access matrix's sample and probes of mail intake."""

import itertools

from clients.models import Counterparty
from core import access
from core.tests import samples
from integrations.models import IncomingLetter, Mailbox

_uids = itertools.count(1)


def make_mailbox(owner=None, responsible=None, **fields):
    fields = {"name": f"Mailbox {next(_uids)}", "host": "127.0.0.1", "port": 143, "security": "none",
              "username": "sales@example.com", "password": "secret", **fields}
    return Mailbox.objects.create(owner=owner, responsible=responsible, **fields)


def make_letter(mailbox, counterparty=None, **fields):
    uid = next(_uids)
    state = IncomingLetter.State.ATTACHED if counterparty else IncomingLetter.State.REVIEW
    fields = {"uidvalidity": 1, "uid": uid, "sender": "buyer@example.com", "subject": f"Letter {uid}",
              "text": "Hello", "state": state, **fields}
    return IncomingLetter.objects.create(mailbox=mailbox, counterparty=counterparty, **fields)


def register_matrix():
    @samples.sample(IncomingLetter)
    def letter_sample(world):
        from core.tests.factories import UserFactory

        mailbox = Mailbox.objects.filter(name="matrix shared").first() or make_mailbox(
            name="matrix shared", responsible=UserFactory(role=access.Role.ADMIN))
        return make_letter(mailbox, world.get(Counterparty), subject=world.text("letter"),
                           state=IncomingLetter.State.REVIEW)

    samples.probe("integrations:letter_review", method="post", action=access.CHANGE, target=IncomingLetter,
                  data=lambda world, _letter: {"ignore": "1"})
    samples.probe("api:incomingletter-ignore", method="post", action=access.CHANGE, target=IncomingLetter)
    samples.probe("api:incomingletter-assign", method="post", action=access.CHANGE, target=IncomingLetter,
                  data=lambda world, _letter: {"counterparty": world.get(Counterparty).pk})
