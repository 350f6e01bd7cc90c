"""Bench cases of marketing: the live count preview of a segment (target ≤ 200 ms at 100 000
clients), timed as the client list's count endpoint the segment page calls."""

import datetime

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
    cases = []
    for name, params in segments.items():
        for who, user in (("admin", admin), ("manager", manager)):
            cases.append((f"{AGGREGATE}segment count: {name}, {who}", user, listing, {"count": "", **params}, None))
    return cases


def register():
    registry.bench_cases.register("marketing", BenchCase(cases=bench_cases), order=50)
