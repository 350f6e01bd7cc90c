"""Candidate duplicate pairs over the whole client base (issue 13.2).

``scan()`` reads the live counterparties once, set-based, and stores the pairs it finds as
``DuplicatePair`` rows, so the duplicates page never scans the base while it is viewed. A pair
is a candidate when the two clients share

- a tax id (INN / CUI / IDNO) — unless both have a KPP and the KPPs differ: branches of one
  Russian company share the INN;
- a phone number (E.164, any of phone / mobile / fax) or an email address, of the client or of
  one of its contact persons;
- a similar name: the names without legal forms (ООО, ИП, SRL…) and quotes, compared with
  rapidfuzz's ``token_sort_ratio`` (≥ ``NAME_CUTOFF``); names whose numbers differ ("Магазин
  №5", "Магазин №6") are different shops.

Values many clients share (a switchboard number, ``info@`` of a chain, a name such as «Продукты»
used by dozens of shops) are no evidence: groups larger than ``MAX_GROUP`` are skipped. Names are
not compared pair by pair over the whole base: each name is put into the blocks of its two
longest words, and only names within a block are compared (all pairs in a small block, sorted
neighbours in a big one), plus the neighbours of each name in the sorted list of all names.

A pair marked "not duplicates" (``dismissed_at``) is kept by every later scan and stays hidden.
"""

import datetime
import re
import time
from collections import defaultdict
from itertools import combinations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rapidfuzz import fuzz

from core import access

from .models import (
    PHONE_KINDS,
    ContactInfo,
    ContactKind,
    Counterparty,
    DuplicatePair,
    DuplicateScan,
    counterparty_scope,
)
from .services import name_key

TAX_ID, PHONE, EMAIL, NAME = "tax_id", "phone", "email", "name"
REASONS = (TAX_ID, PHONE, EMAIL, NAME)
REASON_SCORES = {TAX_ID: 95, PHONE: 80, EMAIL: 80}
NAME_CUTOFF = 90
MAX_GROUP = 20  # clients sharing one value, beyond which the value is no evidence
MAX_BLOCK = 300  # names per word block compared all with all; bigger blocks: sorted neighbours
WINDOW = 6  # neighbours compared in a sorted list
BATCH = 2000
STALE_SCAN = datetime.timedelta(hours=1)


def pair_score(reasons):
    """0–100: the strongest reason, plus 5 for each further one."""
    best = max(reasons.values())
    return min(100, best + 5 * (len(reasons) - 1))


def _group_pairs(groups, reason, found, score=None):
    for members in groups.values():
        members = sorted(set(members))
        if 2 <= len(members) <= MAX_GROUP:
            for a, b in combinations(members, 2):
                found[(a, b)][reason] = score or REASON_SCORES[reason]


def _by_tax_id(found):
    groups = defaultdict(list)
    kpps = {}
    rows = Counterparty.objects.exclude(tax_id="").order_by().values_list("tax_id", "kpp", "pk")
    for tax_id, kpp, pk in rows.iterator(chunk_size=BATCH):
        groups[tax_id].append(pk)
        kpps[pk] = kpp
    for members in groups.values():
        if 2 <= len(members) <= MAX_GROUP:
            for a, b in combinations(sorted(members), 2):
                if kpps[a] and kpps[b] and kpps[a] != kpps[b]:
                    continue  # branches of one company
                found[(a, b)][TAX_ID] = REASON_SCORES[TAX_ID]


def _by_contacts(found):
    phones, emails = defaultdict(list), defaultdict(list)
    rows = (ContactInfo.objects.filter(kind__in=[*PHONE_KINDS, ContactKind.EMAIL])
            .filter(counterparty__deleted_at__isnull=True).order_by()
            .values_list("kind", "value", "counterparty_id"))
    for kind, value, cp in rows.iterator(chunk_size=BATCH):
        if kind == ContactKind.EMAIL:
            emails[value.strip().lower()].append(cp)
        else:
            phones[value.strip()].append(cp)
    _group_pairs(phones, PHONE, found)
    _group_pairs(emails, EMAIL, found)


_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")


def _by_name(found):
    names = []  # (key, pk, numbers)
    for pk, name in Counterparty.objects.order_by().values_list("pk", "name").iterator(chunk_size=BATCH):
        key = " ".join(_WORD.findall(name_key(name)))
        if len(key) >= 3:
            names.append((key, pk, tuple(_DIGITS.findall(key))))
    frequency = defaultdict(int)
    for key, _pk, _n in names:
        frequency[key] += 1
    names = [n for n in names if frequency[n[0]] <= MAX_GROUP]  # common names are no evidence
    compared = set()

    def compare(x, y):
        (ka, a, na), (kb, b, nb) = (x, y) if x[1] < y[1] else (y, x)
        if (a, b) in compared or na != nb:
            return
        compared.add((a, b))
        ratio = fuzz.token_sort_ratio(ka, kb, score_cutoff=NAME_CUTOFF)
        if ratio:
            found[(a, b)][NAME] = int(round(ratio))

    def neighbours(rows):
        rows = sorted(rows)
        for i, row in enumerate(rows):
            for other in rows[i + 1:i + 1 + WINDOW]:
                compare(row, other)

    neighbours(names)
    blocks = defaultdict(list)
    for row in names:
        words = sorted({w for w in row[0].split(" ") if len(w) >= 3 and not w.isdigit()}, key=lambda w: (-len(w), w))
        for word in words[:2]:
            blocks[word].append(row)
    for rows in blocks.values():
        if len(rows) < 2:
            continue
        if len(rows) <= MAX_BLOCK:
            for x, y in combinations(rows, 2):
                compare(x, y)
        else:
            neighbours(rows)


def candidate_pairs():
    """{(lower id, higher id): {reason: score}} over the live counterparties."""
    found = defaultdict(dict)
    _by_tax_id(found)
    _by_contacts(found)
    _by_name(found)
    return found


def scan(scan_row=None, user=None):
    """Find the pairs and store them: new ones added, vanished ones removed, dismissed ones kept."""
    started = time.monotonic()
    if scan_row is None:
        scan_row = DuplicateScan.objects.create(started_by=user)
    DuplicateScan.objects.filter(pk=scan_row.pk).update(status=DuplicateScan.Status.RUNNING,
                                                       started_at=timezone.now())
    try:
        found = candidate_pairs()
        now = timezone.now()
        with transaction.atomic():
            existing = {(a, b): (pk, reasons, score, dismissed)
                        for pk, a, b, reasons, score, dismissed in DuplicatePair.objects.order_by().values_list(
                            "pk", "first_id", "second_id", "reasons", "score", "dismissed_at").iterator(
                                chunk_size=BATCH)}
            gone = [row[0] for key, row in existing.items() if key not in found and row[3] is None]
            for start in range(0, len(gone), BATCH):
                DuplicatePair.objects.filter(pk__in=gone[start:start + BATCH]).delete()
            new, changed = [], []
            for (a, b), reasons in found.items():
                names = [r for r in REASONS if r in reasons]
                score = pair_score(reasons)
                if (a, b) not in existing:
                    new.append(DuplicatePair(first_id=a, second_id=b, reasons=names, score=score, found_at=now))
                else:
                    pk, old_names, old_score, _dismissed = existing[(a, b)]
                    if old_names != names or old_score != score:
                        changed.append(DuplicatePair(pk=pk, reasons=names, score=score))
            DuplicatePair.objects.bulk_create(new, batch_size=BATCH)
            DuplicatePair.objects.bulk_update(changed, ["reasons", "score"], batch_size=BATCH)
        clients = Counterparty.objects.order_by().count()  # once per scan, in the worker
        DuplicateScan.objects.filter(pk=scan_row.pk).update(
            status=DuplicateScan.Status.DONE, finished_at=timezone.now(), pairs=len(found), clients=clients,
            seconds=round(time.monotonic() - started, 2))
    except Exception as exc:
        DuplicateScan.objects.filter(pk=scan_row.pk).update(
            status=DuplicateScan.Status.FAILED, finished_at=timezone.now(), error=str(exc)[:2000])
        raise
    scan_row.refresh_from_db()
    return scan_row


def start_scan(user):
    """Queue a scan for the worker (after the caller's transaction commits); one at a time."""
    from .tasks import scan_duplicates

    # A scan left RUNNING by a killed worker does not block the button for more than an hour.
    pending = DuplicateScan.objects.filter(status__in=[DuplicateScan.Status.QUEUED, DuplicateScan.Status.RUNNING],
                                           created_at__gte=timezone.now() - STALE_SCAN)
    if pending.exists():
        return pending.first()
    row = DuplicateScan.objects.create(started_by=user)
    transaction.on_commit(lambda: scan_duplicates.enqueue(row.pk))
    return row


def may_rescan(user):
    return access.can_assign(user)


def visible_pairs(user, action=access.VIEW):
    """Open pairs whose two clients ``user`` may both see (or change, with ``action``)."""
    if not access.can(user, action, Counterparty):
        return DuplicatePair.objects.none()
    scope, _actions = access.rule_for(user)
    # An anti-join on the few trashed clients instead of a join per pair.
    trashed = Counterparty.all_objects.filter(deleted_at__isnull=False).values("pk")
    qs = DuplicatePair.objects.filter(dismissed_at__isnull=True).exclude(Q(first__in=trashed) | Q(second__in=trashed))
    if scope == "all":
        return qs
    # The sales manager's scope on both sides (restrict()'s rule, as uncorrelated subqueries).
    return qs.filter(counterparty_scope(user, "first")).filter(counterparty_scope(user, "second"))


def pairs_of(counterparty, user):
    """Open pairs one client is in, both sides visible to ``user`` (the card's link)."""
    return visible_pairs(user).filter(Q(first=counterparty) | Q(second=counterparty))


def dismiss(pair, user):
    DuplicatePair.objects.filter(pk=pair.pk).update(dismissed_at=timezone.now(), dismissed_by=user)
