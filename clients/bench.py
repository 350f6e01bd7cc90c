"""The clients' part of ``manage.py bench`` (core.management.commands.bench): the bench users and
clients every other part builds on, and the list, search and card pages."""

import html
import re
import time

from django.urls import reverse

from . import demo, duplicates
from .models import PHONE_KINDS, ContactInfo, ContactKind, Counterparty

# p95 targets, ms, on PostgreSQL at a million clients (issue 14): a list's page (also filtered by
# a search), and the quick search (the client type-ahead's suggestions).
LIST, SEARCH = 50, 30


def phone_as_typed(e164):
    """+79035236645 → "8 (903) 523-66-45", the way people type Russian numbers."""
    d = e164.lstrip("+")
    return f"8 ({d[1:4]}) {d[4:7]}-{d[7:9]}-{d[9:11]}"


def prepare(run):
    run.shared["group"] = demo.bench_group()  # the other parts add their rows to these clients


def existing(run):
    group = run.shared["group"]
    count = Counterparty.all_objects.filter(group=group).count() if group else 0
    return count, (f"The database already holds {count} bench clients (group “{demo.BENCH_GROUP}”). "
                   "Run with --reuse to measure them, or --cleanup to delete them first.")


def users(run):
    return demo.bench_users(run.opts["managers"])


def generate(run, count, start):
    started, batch = time.monotonic(), run.opts["batch"]
    step = max(batch, count // 10)

    def progress(done):
        if done % step < batch or done == count:
            rate = done / max(time.monotonic() - started, 1e-6)
            run.stdout.write(f"  {done}/{count} clients, {rate:,.0f}/s")

    run.shared["group"] = demo.generate_bench(count, start=start, managers=run.managers, batch=batch,
                                              progress=progress)


def _unique_email(target):
    """A bench client's e-mail from the target on that no other client has (brands repeat in a
    large base, and the type-ahead lists a few matches), else None."""
    candidates = (ContactInfo.objects.filter(counterparty__group=target.group_id, counterparty__pk__gte=target.pk,
                                             kind=ContactKind.EMAIL).select_related("counterparty")
                  .order_by("counterparty_id")[:50])
    for mail in candidates:
        if ContactInfo.objects.filter(value=mail.value).count() == 1:  # contactinfo_value
            return mail
    return None


def cases(run):
    qs = Counterparty.objects.filter(group=demo.bench_group()).order_by("pk")
    ids = qs.values_list("pk", flat=True)
    middle = (ids.first() + ids.last()) // 2
    target = qs.filter(pk__gte=middle, main_manager__isnull=False).select_related("main_manager").first()
    phone = ContactInfo.objects.filter(counterparty=target, kind__in=PHONE_KINDS).first()
    person = target.contact_persons.first()
    mail = _unique_email(target)
    # A name fragment as people type it: the start of the longest word of the name.
    fragment = max(re.findall(r"\w+", target.name.split("«")[-1]), key=len)[:6].lower()
    activity = target.properties.get("activity", demo.ACTIVITIES[0])
    manager, name = target.main_manager, html.escape(target.name)
    # The duplicate scan of the whole base runs in the worker; timed once here, and its pairs
    # fill the duplicates page measured below.
    scan = duplicates.scan()
    run.stdout.write(f"  duplicate scan: {scan.clients} clients, {scan.pairs} pairs in {scan.seconds:.1f} s")
    run.shared["manager"] = manager  # the other parts measure as this manager too
    admin, listing = run.admin, reverse("clients:counterparty_list")
    persons = reverse("clients:person_list")
    # Last item: the p95 target (ms) at 1 000 000 clients on PostgreSQL (issue 14).
    mail_name = html.escape(mail.counterparty.name) if mail else name
    lookup = reverse("clients:lookup")
    return [
        ("list, admin", admin, listing, {}, None, LIST),
        ("list, manager", manager, listing, {}, None, LIST),
        ("list, next page", admin, listing, "next", None, LIST),
        ("list, page 1000", admin, listing, ("page", 1000), None, LIST),
        ("filter: property (choice)", admin, listing, {"prop_activity": activity}, None, LIST),
        ("search: name fragment", admin, listing, {"q": fragment}, None, LIST),
        ("search: name, manager", manager, listing, {"q": fragment}, None, LIST),
        ("search: person surname", admin, listing, {"q": person.last_name}, None, LIST),
        ("search: phone", admin, listing, {"q": phone_as_typed(phone.value)}, name, LIST),
        ("search: tax id", admin, listing, {"q": target.tax_id}, name, LIST),
        ("quick search: name fragment", admin, lookup, {"q": fragment}, None, SEARCH),
        ("quick search: name, manager", manager, lookup, {"q": fragment}, None, SEARCH),
        ("quick search: surname", admin, lookup, {"q": person.last_name}, None, SEARCH),
        ("quick search: phone", admin, lookup, {"q": phone_as_typed(phone.value)}, name, SEARCH),
        ("quick search: tax id", admin, lookup, {"q": target.tax_id}, name, SEARCH),
        ("quick search: e-mail", admin, lookup, {"q": mail.value if mail else target.tax_id}, mail_name, SEARCH),
        ("client card", admin, target.get_absolute_url(), {}, name, LIST),
        ("contact persons, admin", admin, persons, {}, None, LIST),
        ("contact persons, manager", manager, persons, {}, None, LIST),
        ("contact persons, next page", admin, persons, "next", None, LIST),
        ("contact persons, page 1000", admin, persons, ("page", 1000), None, LIST),
        ("duplicates, admin", admin, reverse("clients:duplicate_list"), {}, None, LIST),
        ("duplicates, manager", manager, reverse("clients:duplicate_list"), {}, None, LIST),
    ]


def delete(run):
    return demo.delete_bench()


def summary(run):
    return f"{Counterparty.all_objects.count()} counterparties"


def register():
    from core import registry
    from core.management.commands.bench import BenchCase

    registry.bench_cases.register("clients", BenchCase(
        prepare=prepare, existing=existing, users=users, generate=generate, cases=cases, delete=delete,
        summary=summary), order=10)
