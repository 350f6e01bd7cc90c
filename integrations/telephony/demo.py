"""Demo telephony of «Лидер»: the managers' extensions (101–103) and a few calls of the last days,
fed through the same event code as the PBX's (answered calls on clients become interactions,
a missed one a call-back task, one from an unknown number)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

PREFIX = "demo-"
EXTENSIONS = {"manager1": "101", "manager2": "102", "manager3": "103"}
UNKNOWN = "+74957770011"


def demo_exists():
    from ..models import Call

    return Call.all_objects.filter(call_id__startswith=PREFIX).exists()


def client_phone(user):
    """A phone of one of ``user``'s demo clients (its contact person's, when there is one)."""
    from clients.models import PHONE_KINDS, ContactInfo

    info = (ContactInfo.objects.filter(kind__in=PHONE_KINDS, counterparty__main_manager=user,
                                       value__startswith="+7", counterparty__deleted_at__isnull=True)
            .order_by("counterparty_id", "pk").first())
    return info.value if info else None


def events(now, users):
    """(call id, [event dicts]) of the demo calls, oldest first."""
    calls, seq = [], 0
    base = timezone.localtime(now).replace(hour=10, minute=0, second=0, microsecond=0) - dt.timedelta(days=3)
    for username, extension in EXTENSIONS.items():
        user = users.get(username)
        phone = client_phone(user) if user else None
        if phone is None:
            continue
        seq += 1
        start = base + dt.timedelta(hours=seq)
        common = {"direction": "in", "from": phone, "to": "+74951234567", "extension": extension}
        calls.append((f"{PREFIX}{seq}", [
            {**common, "event": "ringing", "at": start},
            {**common, "event": "answered", "at": start + dt.timedelta(seconds=12)},
            {**common, "event": "ended", "at": start + dt.timedelta(seconds=12 + 185), "duration": 185,
             "recording_url": f"https://pbx.example.com/recordings/{PREFIX}{seq}.mp3"},
        ]))
        seq += 1
        start = base + dt.timedelta(days=1, hours=seq)
        out = {"direction": "out", "from": extension, "to": phone, "extension": extension}
        calls.append((f"{PREFIX}{seq}", [
            {**out, "event": "ringing", "at": start},
            {**out, "event": "answered", "at": start + dt.timedelta(seconds=8)},
            {**out, "event": "ended", "at": start + dt.timedelta(seconds=8 + 94), "duration": 94},
        ]))
        if username == "manager1":
            seq += 1
            start = base + dt.timedelta(days=2, hours=seq)
            calls.append((f"{PREFIX}{seq}", [
                {**common, "event": "ringing", "at": start},
                {**common, "event": "ended", "at": start + dt.timedelta(seconds=25)},
            ]))
            seq += 1
            start = base + dt.timedelta(days=2, hours=seq)
            unknown = {**common, "from": UNKNOWN}
            calls.append((f"{PREFIX}{seq}", [
                {**unknown, "event": "ringing", "at": start},
                {**unknown, "event": "answered", "at": start + dt.timedelta(seconds=5)},
                {**unknown, "event": "ended", "at": start + dt.timedelta(seconds=5 + 61), "duration": 61},
            ]))
    return calls


def load(stdout=None, now=None):
    from ..models import CallAlert, PhoneExtension
    from .services import record_event

    if demo_exists():
        if stdout:
            stdout.write("Telephony: already there.")
        return 0
    now = now or timezone.now()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=[*EXTENSIONS, "admin"])}
    actor = users.get("admin")
    with transaction.atomic():
        for username, extension in EXTENSIONS.items():
            if username in users and not PhoneExtension.objects.filter(extension=extension).exists():
                PhoneExtension.objects.create(extension=extension, user=users[username])
        calls = events(now, users)
        by_extension = {extension: users.get(username) for username, extension in EXTENSIONS.items()}
        for call_id, steps in calls:
            for step in steps:
                # The demo's history names the employee on the line (a real PBX posts as its own user).
                record_event({"call_id": call_id, **step}, by_extension.get(step.get("extension")) or actor)
        # Old calls pop up for nobody.
        CallAlert.objects.filter(call__call_id__startswith=PREFIX).update(shown_at=now)
    if stdout:
        stdout.write(f"Telephony: extensions 101–103, {len(calls)} calls.")
    return len(calls)


def register():
    """``manage.py load_demo``: after the clients and the activities."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    registry.demo_loaders.register("telephony", DemoLoader(lambda context: load(stdout=context.stdout),
                                                           label="telephony"), order=95)
