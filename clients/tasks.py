"""Background tasks of the clients app (``manage.py worker``): the duplicate scan."""

import datetime

from django.utils import timezone
from django_tasks import task

from core import scheduling

from .models import DuplicateScan

SCAN_EVERY = datetime.timedelta(days=1)


@task()
def scan_duplicates(scan_id=None):
    """Scan the whole base for duplicate pairs: a queued scan (the page's button) or the daily one."""
    from . import duplicates

    if scan_id is None:
        if not scan_due():
            return None
        row = DuplicateScan.objects.create()
    else:
        row = DuplicateScan.objects.filter(pk=scan_id, status=DuplicateScan.Status.QUEUED).first()
        if row is None:
            return None  # a retry of a scan another worker took
    return duplicates.scan(row).pk


def scan_due(now=None):
    """No scan started (or waiting) within the last day: one cheap query."""
    since = (now or timezone.now()) - SCAN_EVERY
    return not DuplicateScan.objects.filter(created_at__gte=since).exclude(
        status=DuplicateScan.Status.FAILED).exists()


scheduling.register(scan_duplicates, due=scan_due, order=80)
