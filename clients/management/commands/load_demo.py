"""``manage.py load_demo``: the demo company «Лидер» (idempotent: a rerun creates nothing new)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from activities import demo as activities_demo
from clients import demo
from sales import demo as sales_demo


class Command(BaseCommand):
    help = "Load the demo company «Лидер»: users, reference lists, ~300 clients. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help="Password for the demo users created now. Without it, password = user name, "
                 "which is allowed only in demo mode (KLIENTURA_DEMO=1).",
        )

    def handle(self, *args, password=None, **options):
        if not password and not settings.DEMO_MODE:
            raise CommandError(
                "Refusing to create users whose password is their user name outside demo mode. "
                "Set KLIENTURA_DEMO=1 for a local demo, or pass --password."
            )
        started = time.monotonic()
        result = demo.load_demo(password=password)
        self.stdout.write(self.style.SUCCESS(
            f"Demo company «Лидер»: {result['created']} new of {result['counterparties']} counterparties, "
            f"{len(result['new_users'])} new users ({time.monotonic() - started:.1f} s)."
        ))
        # A year of interactions, tasks and reminders; skipped if they are already there.
        activities_demo.load(stdout=self.stdout)
        # Deals at every stage and two years of orders with shipments and payments; skipped likewise.
        sales_demo.load(stdout=self.stdout)
        self.stdout.write("Open http://127.0.0.1:8000 and log in as:")
        for username, role, *_rest in demo.USERS:
            if password:
                shown = "<--password>" if username in result["new_users"] else "(password unchanged)"
            else:
                shown = username
            self.stdout.write(f"  {username} / {shown}  — {role.label}")
