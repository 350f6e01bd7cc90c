"""The early-warning digest: each main manager hears of their clients newly at risk once a run."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activities.services.notifications import in_language_of, notify

from ..models import RiskFlag


def newly_at_risk(run):
    """{main manager id: (clients newly at risk, clients at risk)} — "newly": not at risk in the previous run."""
    flags = RiskFlag.objects.filter(run=run, main_manager__isnull=False)
    before = RiskFlag.objects.filter(run_id=run.previous_id).values("counterparty_id")
    counts = (flags.values("main_manager").order_by()
              .annotate(total=Count("counterparty", distinct=True),
                        new=Count("counterparty", distinct=True, filter=~Q(counterparty__in=before))))
    return {row["main_manager"]: (row["new"], row["total"]) for row in counts}


def risks_url(user_id):
    try:
        return reverse("analytics:risk_list") + f"?main_manager={user_id}"
    except NoReverseMatch:
        return ""


def send_digest(run):
    """Notify (bell and email) each main manager with clients newly at risk; returns the notifications."""
    sent = []
    counts = {uid: c for uid, c in newly_at_risk(run).items() if c[0]}
    for user in get_user_model().objects.filter(pk__in=counts, is_active=True):
        new, total = counts[user.pk]
        with in_language_of(user), transaction.atomic():
            text = ngettext("%(new)d client newly at risk (%(total)d at risk in all): see why and act.",
                            "%(new)d clients newly at risk (%(total)d at risk in all): see why and act.",
                            new) % {"new": new, "total": total}
            note = notify(user, text, url=risks_url(user.pk), source=f"risk-digest:{run.pk}:{user.pk}",
                          email_subject=_("Clients at risk"))
        if note:
            sent.append(note)
    return sent
