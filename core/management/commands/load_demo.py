"""``manage.py load_demo``: the demo company «Лидер» (idempotent: a rerun creates nothing new).

Each app contributes its part by registering a ``DemoLoader`` in ``core.registry.demo_loaders``
(from its ``AppConfig.ready()``); they run in registry order (clients, then activities, then
sales) and hand on what later loaders need through ``DemoContext.shared``.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import registry


@dataclass
class DemoContext:
    stdout: object
    style: object = None  # the command's output style (SUCCESS, WARNING…)
    password: str | None = None
    started: float = field(default_factory=time.monotonic)
    # What a loader hands on to the later ones (e.g. the demo managers' user names).
    shared: dict = field(default_factory=dict)
    # (user name, role label, created now) of the demo logins, listed at the end.
    logins: list = field(default_factory=list)


@dataclass(frozen=True)
class DemoLoader:
    """``load(context)`` adds the app's demo data unless it is already there (and says so)."""

    load: Callable[[DemoContext], object]
    label: str = ""


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
        context = DemoContext(stdout=self.stdout, style=self.style, password=password)
        for loader in registry.demo_loaders:
            loader.load(context)
        self.stdout.write("Open http://127.0.0.1:8000 and log in as:")
        for username, role_label, created in context.logins:
            if password:
                shown = "<--password>" if created else "(password unchanged)"
            else:
                shown = username
            self.stdout.write(f"  {username} / {shown}  — {role_label}")
