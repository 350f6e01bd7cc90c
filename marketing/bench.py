"""Bench cases of marketing: the live count preview of a segment (target ≤ 200 ms at 100 000
clients), timed as the client list's count endpoint the segment page calls; and the sending speed
of a mailing (target ≥ 50 messages/s for 10 000 recipients on SQLite): a real ``manage.py worker``
process sends it to an SMTP server (aiosmtpd) on loopback, with the rate limit off."""

import datetime
import os
import socket
import subprocess
import sys
import time

from django.urls import reverse
from django.utils import timezone

from core import registry
from core.management.commands.bench import AGGREGATE, BenchCase


def bench_cases(run):
    admin, manager = run.admin, run.shared["manager"]
    listing = reverse("clients:counterparty_list")
    today = timezone.localdate()
    quarter = (today - datetime.timedelta(days=90)).isoformat()
    month = (today - datetime.timedelta(days=30)).isoformat()
    segments = {
        "fields": {"is_client": "true", "has_email": "true"},
        "activity": {"no_contact_since": month, "ordered_from": quarter, "ordered_sum_min": "1000"},
    }
    from clients.filtersets import CounterpartyFilterSet

    if "abc" in CounterpartyFilterSet.base_filters:  # analytics' class filter, when installed
        segments["class"] = {"abc": "A", "no_contact_since": month}
    mailing_speed(run)
    cases = []
    for name, params in segments.items():
        for who, user in (("admin", admin), ("manager", manager)):
            cases.append((f"{AGGREGATE}segment count: {name}, {who}", user, listing, {"count": "", **params}, None))
    return cases


ARGUMENTS = ((("--mailing-size",), {
    "type": int, "default": 10_000, "help": "Recipients of the timed mailing (10 000; 0: skip it)."}),)
MAILING_CLIENTS = "Bench mailing client"


def mailing_speed(run):
    """Send one mailing of ``--mailing-size`` recipients with a worker process; print messages/s."""
    size = run.opts.get("mailing_size", 0)
    if not size:
        return
    from aiosmtpd.controller import Controller

    from .mailing_sender import unfinished
    from .mailings import start
    from .models import Mailing

    mailing = mailing_audience(run.admin, size)
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(1)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    env = {**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
           "EMAIL_PORT": str(port), "EMAIL_USE_TLS": "0",
           "KLIENTURA_MAILING_RATE": "0"}
    try:
        started = time.monotonic()
        start(mailing, run.admin, site_url="http://bench.example")
        worker = subprocess.run([sys.executable, "manage.py", "worker", "--batch", "--no-startup-delay"], env=env,
                                capture_output=True, text=True, timeout=3600)
        seconds = time.monotonic() - started
    finally:
        controller.stop()
    done = Mailing.objects.get(pk=mailing.pk).state == Mailing.State.DONE and not unfinished(mailing.pk).exists()
    run.stdout.write(f"{'Σ mailing, ' + str(size) + ' recipients':<28} {seconds * 1000:>10.1f}"
                     f"  — {len(received) / seconds:.0f} messages/s with one worker (target ≥ 50), "
                     f"{len(received)} received, {'finished' if done else 'NOT FINISHED: ' + worker.stderr[-500:]}")
    run.shared["mailing_rate"] = len(received) / seconds
    delete_mailing_audience()


def mailing_audience(user, size):
    from django.db import transaction

    from clients.models import ContactInfo, Counterparty

    from .models import GroupMember, Mailing, MailingGroup

    delete_mailing_audience()
    with transaction.atomic():
        clients = Counterparty.objects.bulk_create(
            [Counterparty(name=f"{MAILING_CLIENTS} {i}", main_manager=user) for i in range(size)], batch_size=2000)
        ContactInfo.objects.bulk_create(
            [ContactInfo(counterparty=c, kind="email", value=f"bench{i}@example.com",
                         consent_date=datetime.date.today(), consent_source="bench") for i, c in enumerate(clients)],
            batch_size=2000)
        group = MailingGroup.objects.create(name=MAILING_CLIENTS)
        GroupMember.objects.bulk_create([GroupMember(group=group, counterparty=c) for c in clients], batch_size=2000)
        return Mailing.objects.create(name=MAILING_CLIENTS, group=group, subject="Акция для {{ client_name }}",
                                      body="Добрый день, {{ first_name }}!\nСкидка 10 %.", started_by=user)


def delete_mailing_audience():
    from activities.models import Interaction
    from clients.models import Counterparty

    from .models import Mailing, MailingGroup

    clients = Counterparty.all_objects.filter(name__startswith=MAILING_CLIENTS)
    Interaction.all_objects.filter(counterparty__in=clients).delete()
    Mailing.all_objects.filter(name=MAILING_CLIENTS).delete()
    MailingGroup.all_objects.filter(name=MAILING_CLIENTS).delete()
    clients.delete()


def summary(run):
    rate = run.shared.get("mailing_rate")
    return f"mailing {rate:.0f} messages/s" if rate else "no mailing timed"


def register():
    registry.bench_cases.register("marketing", BenchCase(arguments=ARGUMENTS, cases=bench_cases, summary=summary),
                                  order=50)
