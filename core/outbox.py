"""Queue tables worked off by any number of workers (outgoing email, webhook deliveries).

A row waits (``waiting``) until ``next_attempt_at``; a worker claims it with one conditional
UPDATE (rowcount 1: this worker owns it) which also sets its lease, then sends. A worker killed
mid-send leaves a row in ``working`` whose lease runs out: ``release_stale`` puts it back,
counting an attempt, so a row that kills its worker every time ends up ``failed``.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Case, F, Value, When
from django.utils import timezone


@dataclass(frozen=True)
class Outbox:
    model: type
    waiting: str
    working: str
    failed: str
    lease: timedelta
    max_attempts: int

    def claim(self, pk, now):
        return self.model.objects.filter(pk=pk, state=self.waiting, next_attempt_at__lte=now).update(
            state=self.working, next_attempt_at=now + self.lease) == 1

    def release_stale(self, now=None):
        now = now or timezone.now()
        return self.model.objects.filter(state=self.working, next_attempt_at__lte=now).update(
            state=Case(When(attempts__gte=self.max_attempts - 1, then=Value(self.failed)),
                       default=Value(self.waiting)),
            attempts=F("attempts") + 1, last_error="The sending worker stopped before finishing.")
