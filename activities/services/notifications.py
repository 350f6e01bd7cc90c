"""In-app notifications (the bell) and the email copies of them; task notices.

Every notice has a ``source`` key that is unique in the database, so a retried or duplicated
worker run cannot notify twice. Texts name a client only if the recipient may still see it:
notifications obey the same access rules as lists (SPEC §2). Texts are written in the
recipient's language (``in_language_of``), not the language of whoever triggered them.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from clients.models import Counterparty

from ..models import Notification, Task
from . import email as email_service

logger = logging.getLogger(__name__)


def can_see_counterparty(user, counterparty_id):
    if not counterparty_id:
        return True
    return Counterparty.objects.restrict(user).filter(pk=counterparty_id).exists()


def in_language_of(user):
    """Render texts for ``user`` in the language they chose (else the site's default)."""
    return translation.override(getattr(user, "preferred_language", None) or settings.LANGUAGE_CODE)


def url_of(obj):
    """The object's page, or "" while its view does not exist (yet)."""
    try:
        return obj.get_absolute_url()
    except (NoReverseMatch, AttributeError):
        return ""


def absolute(url):
    """Links in email need the site address; KLIENTURA_BASE_URL gives it (optional)."""
    base = getattr(settings, "KLIENTURA_BASE_URL", "").rstrip("/")
    return f"{base}{url}" if base and url.startswith("/") else ""


def notify(user, text, *, url="", source=None, email_subject=None, now=None):
    """Bell notification for ``user`` (once per ``source``) and, with ``email_subject``, an email copy.

    Returns the notification, or None if this source was already notified or the user is inactive.
    Run it inside the caller's transaction: the claim, the notice and the email commit together.
    """
    if not user.is_active:
        return None
    now = now or timezone.now()
    if source and Notification.objects.filter(source=source).exists():
        return None
    try:
        with transaction.atomic():  # savepoint: a lost race must not abort the caller's transaction
            notification = Notification.objects.create(
                user=user, text=text[:500], url=url, source=source, created_at=now)
    except IntegrityError:
        return None
    if email_subject and _valid_email(user.email):
        link = absolute(url)
        body = f"{text}\n\n{link}\n" if link else f"{text}\n"
        email_service.queue_email(user.email, email_subject, body, source=source, now=now)
    return notification


def _valid_email(address):
    try:
        validate_email(address)
    except ValidationError:
        return False  # no address, or a broken one: the bell still has the notice
    return True


def _deadline(task):
    return formats.date_format(timezone.localtime(task.deadline), "SHORT_DATETIME_FORMAT")


def _task_text(task, user, template, **extra):
    text = template % {"title": task.title, "deadline": _deadline(task), **extra}
    if task.counterparty_id and can_see_counterparty(user, task.counterparty_id):
        text = f"{text} — {task.counterparty}"
    return text


def check_overdue_tasks(now=None):
    """Notify assignee and author once when an open task passes its deadline.

    ``overdue_notified_at`` is claimed with a conditional UPDATE, so two workers notify once. If
    the deadline is later moved and passes again, that is a new notice (the key has the deadline).
    """
    now = now or timezone.now()
    due = (Task.objects.filter(state=Task.State.OPEN, deadline__lt=now)
           .filter(Q(counterparty__isnull=True) | Q(counterparty__deleted_at__isnull=True))
           .filter(Q(overdue_notified_at__isnull=True) | Q(overdue_notified_at__lt=F("deadline")))
           .values_list("pk", flat=True))
    notified = 0
    for pk in list(due[:500]):
        try:
            notified += _notify_overdue(pk, now)
        except Exception:
            logger.exception("Overdue notice for task %s failed", pk)  # rolled back: retried next pass
    return notified


def _notify_overdue(pk, now):
    with transaction.atomic():
        claimed = Task.objects.filter(pk=pk, state=Task.State.OPEN, deadline__lt=now).filter(
            Q(overdue_notified_at__isnull=True) | Q(overdue_notified_at__lt=F("deadline"))
        ).update(overdue_notified_at=now)  # not save(): no version bump under a user's open form
        if not claimed:
            return 0  # another worker did it
        task = Task.objects.select_related("assignee", "author", "counterparty").get(pk=pk)
        stamp = int(task.deadline.timestamp())
        for user in {task.assignee, task.author}:
            with in_language_of(user):
                text = _task_text(task, user, _("Task overdue: %(title)s (assignee %(assignee)s, "
                                                "deadline %(deadline)s)"), assignee=task.assignee)
                notify(user, text, url=url_of(task), source=f"task-overdue:{task.pk}:{user.pk}:{stamp}",
                       email_subject=_("Task overdue: %(title)s") % {"title": task.title}, now=now)
    return 1


def notify_task_assigned(task, by=None):
    """Tell the assignee a task was given to them (not when they assigned it to themselves)."""
    by = by or task.author
    if task.assignee_id == getattr(by, "pk", None) or task.state != Task.State.OPEN:
        return None
    assignee = task.assignee
    with in_language_of(assignee):
        text = _task_text(task, assignee, _("New task from %(by)s: %(title)s (deadline %(deadline)s)"), by=by)
        return notify(assignee, text, url=url_of(task),
                      source=f"task-assigned:{task.pk}:{assignee.pk}:{task.version}",
                      email_subject=_("New task: %(title)s") % {"title": task.title})
