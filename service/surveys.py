"""Surveys at work: signed links, answering (once), email invitations, the phone queue, rules.

A response is written by claiming its invitation with one conditional UPDATE (open → answered,
still valid): the worker whose UPDATE changed the row writes the answers in the same
transaction; a second submit of the same link, even a concurrent one, changes no row and is
told the survey was already answered. Rules run once per rule and period: the run's unique
row is created first, and each invitation carries (rule, period, client), also unique.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from activities.models import Interaction, InteractionType
from clients.models import ContactInfo, ContactKind, Counterparty

from .models import Answer, Channel, Question, SurveyInvitation, SurveyRule, SurveyRuleRun

State = SurveyInvitation.State
Kind = Question.Kind
LINK_SALT = "service.survey.link"
LEASE = dt.timedelta(minutes=15)
MAX_CALLS = 3


# --- Signed links ---------------------------------------------------------------------------------

def link_token(invitation):
    """The invitation's id and expiry, signed (salt per purpose): no login needed, nothing guessable."""
    expires = int(invitation.expires_at.timestamp()) if invitation.expires_at else 0
    return signing.Signer(salt=LINK_SALT).sign_object({"i": invitation.pk, "e": expires}, compress=True)


def base_url(site_url=""):
    return (site_url or settings.KLIENTURA_BASE_URL or "http://localhost:8000").rstrip("/")


def link_url(invitation, site_url=""):
    return base_url(site_url) + reverse("survey_public:answer", args=[link_token(invitation)])


class LinkInvalid(Exception):
    """Tampered with, cut off, or for an invitation that is gone."""


def invitation_for_token(token):
    """(invitation, expired?) for a link; raises LinkInvalid for a bad signature or unknown row."""
    try:
        data = signing.Signer(salt=LINK_SALT).unsign_object(token)
        pk, expires = int(data["i"]), int(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise LinkInvalid from exc
    invitation = (SurveyInvitation.objects.filter(pk=pk, deleted_at__isnull=True, channel=Channel.EMAIL)
                  .select_related("survey", "counterparty").first())
    if invitation is None or invitation.survey.deleted_at is not None:
        raise LinkInvalid
    expired = invitation.state == State.EXPIRED or (
        invitation.state == State.SENT and expires and timezone.now().timestamp() > expires)
    return invitation, bool(expired)


# --- Answers --------------------------------------------------------------------------------------

def clean_answers(questions, raw):
    """{question id: (number, choices, text)} from ``raw`` {question id (str or int): value}.

    Values: a number for rating / NPS, an option (single) or a list of options (multiple), text.
    Errors are keyed by the question's form field name (``q_<id>``)."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ValidationError({"answers": _("Expected answers keyed by question id.")})
    known = {str(q.pk): q for q in questions}
    unknown = sorted(set(map(str, raw)) - set(known))
    if unknown:
        raise ValidationError({"answers": _("Unknown questions: %(ids)s") % {"ids": ", ".join(unknown)}})
    cleaned, errors = {}, {}
    for key, q in known.items():
        value = raw.get(key, raw.get(q.pk))
        try:
            answer = clean_one(q, value)
        except ValidationError as exc:
            errors[f"q_{key}"] = exc.messages
            continue
        if answer is None:
            if q.required:
                errors[f"q_{key}"] = [_("Answer this question.")]
            continue
        cleaned[q.pk] = answer
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_one(question, value):
    if value is None or value == "" or value == []:
        return None
    if question.kind in Question.RANGES:
        low, high = Question.RANGES[question.kind]
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValidationError(_("Give a whole number from %(low)s to %(high)s.") % {
                "low": low, "high": high}) from None
        if not low <= number <= high:
            raise ValidationError(_("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
        return number, [], ""
    if question.kind in Question.CHOICE_KINDS:
        values = value if isinstance(value, (list, tuple)) else [value]
        values = [str(v).strip() for v in values if str(v).strip()]
        if not values:
            return None
        options = question.choices()
        if any(v not in options for v in values):
            raise ValidationError(_("Choose from the options given."))
        if question.kind == Kind.SINGLE and len(values) > 1:
            raise ValidationError(_("Choose one option."))
        return None, [o for o in options if o in values], ""
    text = str(value).strip()
    if len(text) > 4000:
        raise ValidationError(_("At most 4000 characters."))
    return (None, [], text) if text else None


def record_answers(invitation, raw, *, operator=None, comment="", now=None):
    """Claim the invitation and write its answers, once. Returns True, or False when it was already
    answered (or expired meanwhile); raises ValidationError for invalid answers."""
    now = now or timezone.now()
    answers = clean_answers(invitation.survey.live_questions(), raw)
    open_q = Q(state=State.SENT) & (Q(expires_at__isnull=True) | Q(expires_at__gte=now)) \
        if invitation.channel == Channel.EMAIL else Q(state=State.PENDING)
    with transaction.atomic():
        claimed = SurveyInvitation.objects.filter(open_q, pk=invitation.pk, deleted_at__isnull=True).update(
            state=State.ANSWERED, answered_at=now, operator=operator or F("operator"), claimed_until=None,
            comment=(comment or "").strip(), version=F("version") + 1, updated_at=now)
        if claimed != 1:
            return False
        Answer.objects.bulk_create([Answer(invitation=invitation, question_id=pk, number=number, choices=choices,
                                           text=text) for pk, (number, choices, text) in answers.items()])
        if operator is not None:
            invitation.refresh_from_db()
            invitation.interaction = log_call(invitation, operator, now)
            SurveyInvitation.objects.filter(pk=invitation.pk).update(interaction=invitation.interaction)
        # The claim was a conditional UPDATE (no signal): the answered moment goes into the history here.
        invitation.refresh_from_db()
        bulk_update_with_history([invitation], SurveyInvitation, ["state"], default_user=operator,
                                 default_date=now)
    return True


def answers_text(invitation):
    lines = []
    for answer in invitation.answers.select_related("question").order_by("question__order", "question_id"):
        lines.append(f"{answer.question.text}: {answer.display()}")
    return "\n".join(lines)


def log_call(invitation, user, now, outcome=None):
    """The phone survey in the client's history (an outgoing call)."""
    content = answers_text(invitation) if outcome is None else ""
    content = "\n\n".join(part for part in (content, invitation.comment) if part)
    interaction = Interaction(
        type=InteractionType.by_code("outgoing_call"), direction=Interaction.Direction.OUTGOING,
        state=Interaction.State.DONE, subject=(_("Survey “%(name)s”") % {"name": invitation.survey.name})[:200],
        content=content, result=outcome or str(State.ANSWERED.label), counterparty_id=invitation.counterparty_id,
        responsible=user, start=now, end=now, basis=invitation.survey)
    interaction._history_user = user
    interaction.save()
    if invitation.contact_person_id:
        interaction.contact_persons.add(invitation.contact_person_id)
    return interaction


# --- Invitations ----------------------------------------------------------------------------------

def email_of(counterparty_id, person_id=None):
    """(address, contact person) to invite: the person's, else the client's own, else a person's."""
    rows = ContactInfo.objects.filter(counterparty_id=counterparty_id, kind=ContactKind.EMAIL).exclude(value="")
    if person_id:
        row = rows.filter(contact_person_id=person_id).order_by("pk").first()
        if row:
            return row.value, person_id
    row = (rows.filter(contact_person__isnull=True).order_by("pk").first()
           or rows.filter(contact_person__deleted_at__isnull=True).order_by("contact_person_id", "pk").first())
    return (row.value, row.contact_person_id) if row else ("", None)


def phone_of(counterparty_id):
    rows = ContactInfo.objects.filter(counterparty_id=counterparty_id, kind__in=(ContactKind.PHONE, ContactKind.MOBILE))
    row = rows.order_by("contact_person_id", "-kind", "pk").first()
    return (row.value, row.contact_person_id) if row else ("", None)


def invite(survey, counterparty, user=None, *, contact_person=None, rule=None, period="", site_url="", now=None,
           product=None):
    """Create an invitation: a phone one waits in the queue, an email one is queued to be sent.
    ``product``: what it asks about (default: the rule's product).

    Returns the invitation, or None when the client has no address or this rule's period already
    has theirs. Raises ValidationError for an inactive survey."""
    now = now or timezone.now()
    if not survey.active:
        raise ValidationError({"survey": _("The survey is not active.")})
    person_id = contact_person.pk if contact_person else None
    if survey.channel == Channel.EMAIL:
        address, person_id = email_of(counterparty.pk, person_id)
    else:
        address, found = phone_of(counterparty.pk)
        person_id = person_id or found
    if not address:
        return None
    invitation = SurveyInvitation(survey=survey, counterparty=counterparty, contact_person_id=person_id,
                                  channel=survey.channel, address=address, rule=rule, period=period,
                                  operator=rule.operator if rule else None,
                                  product=product or (rule.product if rule else None))
    invitation._history_user = user
    try:
        with transaction.atomic():
            invitation.save()
            if survey.channel == Channel.EMAIL:
                send_invitation(invitation, user, site_url=site_url, now=now)
    except IntegrityError:
        return None  # this rule already invited the client in this period
    return invitation


def send_invitation(invitation, user, *, site_url="", now=None):
    """Queue the email with the signed link and record it in the client's history, once."""
    from activities.services.email import queue_email

    now = now or timezone.now()
    invitation.expires_at = now + dt.timedelta(days=invitation.survey.link_days)
    survey = invitation.survey
    subject = _("Survey: %(name)s") % {"name": survey.name}
    body = "\n\n".join(part for part in (
        _("Hello!"), survey.description,
        _("Please answer a few questions: it takes a couple of minutes."), link_url(invitation, site_url),
        _("The link is valid until %(date)s.") % {"date": timezone.localtime(invitation.expires_at).date()},
        settings.KLIENTURA_COMPANY_NAME) if part)
    responsible = user if user is not None and user.is_authenticated else invitation.counterparty.main_manager
    interaction = None
    if responsible is not None:
        interaction = Interaction(
            type=InteractionType.by_code("email"), direction=Interaction.Direction.OUTGOING,
            state=Interaction.State.DONE, subject=subject[:200], content=body,
            counterparty_id=invitation.counterparty_id, responsible=responsible, start=now, basis=survey)
        interaction._history_user = responsible
        interaction.save()
        if invitation.contact_person_id:
            interaction.contact_persons.add(invitation.contact_person_id)
    queue_email(invitation.address, subject, body, source=f"survey:{invitation.pk}", interaction=interaction,
                created_by=user if user is not None and user.is_authenticated else None, now=now)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(state=State.SENT, sent_at=now,
                                                             expires_at=invitation.expires_at, interaction=interaction)
    invitation.state, invitation.sent_at, invitation.interaction = State.SENT, now, interaction

    def send_now():
        from core import scheduling

        scheduling.run_soon(scheduling.EMAIL_QUEUE)

    transaction.on_commit(send_now)


def expire_links(now=None):
    """Mark email invitations whose link ran out as expired (the link page says so anyway)."""
    now = now or timezone.now()
    return SurveyInvitation.objects.filter(state=State.SENT, expires_at__lt=now).update(
        state=State.EXPIRED, version=F("version") + 1)


# --- The phone queue ------------------------------------------------------------------------------

def due_calls(survey, user, now):
    from core import access

    return (SurveyInvitation.objects.restrict(user, access.CHANGE)
            .filter(survey=survey, channel=Channel.PHONE, state=State.PENDING)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(operator=user))
            .order_by("attempts", "pk"))


def claim_next(survey, user, now=None):
    """The next client ``user`` should call for the survey, taken for them (a lease); or None."""
    now = now or timezone.now()
    for _try in range(5):
        candidate = due_calls(survey, user, now).values_list("pk", "version").first()
        if candidate is None:
            return None
        pk, version = candidate
        if SurveyInvitation.objects.filter(pk=pk, version=version, state=State.PENDING).update(
                operator=user, claimed_until=now + LEASE, version=version + 1) == 1:
            return SurveyInvitation.objects.select_related("counterparty", "contact_person").get(pk=pk)
    return None


def not_reached(invitation, user, *, refused=False, comment="", now=None):
    """A call without answers: refused ends it; no answer puts it back (expired after MAX_CALLS)."""
    now = now or timezone.now()
    attempts = invitation.attempts + 1
    state = State.REFUSED if refused else (State.EXPIRED if attempts >= MAX_CALLS else State.PENDING)
    with transaction.atomic():
        done = SurveyInvitation.objects.filter(pk=invitation.pk, state=State.PENDING).update(
            state=state, attempts=attempts, claimed_until=None, operator=user, comment=(comment or "").strip(),
            version=F("version") + 1, updated_at=now)
        if done:
            invitation.refresh_from_db()
            label = State.REFUSED.label if refused else _("No answer")
            interaction = log_call(invitation, user, now, outcome=str(label))
            SurveyInvitation.objects.filter(pk=invitation.pk).update(interaction=interaction)
    return bool(done)


def queue_progress(survey, user):
    counts = dict(SurveyInvitation.objects.restrict(user).filter(survey=survey).order_by()
                  .values_list("state").annotate(n=Count("pk")))
    return [(state, label, counts.get(state, 0)) for state, label in State.choices]


# --- Rules ----------------------------------------------------------------------------------------

def period_of(rule, day):
    if rule.frequency == SurveyRule.Frequency.QUARTER:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def audience(rule):
    """(client ids, source): from the current analysis run's stages, else from purchase counts.

    The analytics app is optional (and not imported: dependencies point one way); its stored
    classification is read through the app registry when a finished run exists."""
    from django.apps import apps

    if apps.is_installed("analytics"):
        runs = apps.get_model("analytics", "AnalysisRun")
        if runs.objects.filter(status="done").exists():
            stage = "one_time" if rule.audience == SurveyRule.Audience.NEW else "regular"
            classification = apps.get_model("analytics", "Classification")
            ids = classification.objects.filter(stage=stage).values("counterparty_id")
            return Counterparty.objects.filter(pk__in=ids), "analysis"
    return purchase_audience(rule), "orders"


def buyers_of(product_id):
    """Clients with a live order that is neither a draft nor fell through, with a line of the product."""
    from sales.models import Order, OrderLine

    lines = (OrderLine.objects.filter(catalog_product_id=product_id, deleted_at__isnull=True,
                                      order__deleted_at__isnull=True)
             .exclude(order__state__in=(Order.State.DRAFT, Order.State.FAILED)))
    return lines.values("order__counterparty_id")


def purchase_audience(rule):
    """No analysis yet: clients with exactly one live order (new) or with three or more (regular)."""
    from sales.models import Order

    orders = Order.objects.filter(deleted_at__isnull=True).exclude(state__in=(Order.State.DRAFT, Order.State.FAILED))
    counts = orders.order_by().values("counterparty_id").annotate(n=Count("pk"))
    counts = counts.filter(n=1) if rule.audience == SurveyRule.Audience.NEW else counts.filter(n__gte=3)
    return Counterparty.objects.filter(pk__in=counts.values("counterparty_id"))


def run_rule(rule, now=None):
    """Start the rule's survey for this period's audience, once; returns invitations made or None
    (already run this period, or off)."""
    now = now or timezone.now()
    if not rule.active or not rule.survey.active or rule.deleted_at or rule.survey.deleted_at:
        return None
    period = period_of(rule, timezone.localdate(now))
    try:
        with transaction.atomic():
            run = SurveyRuleRun.objects.create(rule=rule, period=period, started_at=now)
    except IntegrityError:
        return None
    clients, source = audience(rule)
    if rule.product_id:
        clients = clients.filter(pk__in=buyers_of(rule.product_id))
    recent = SurveyInvitation.objects.filter(survey=rule.survey,
                                             created_at__gte=now - dt.timedelta(days=rule.quiet_days))
    clients = (clients.filter(deleted_at__isnull=True).exclude(pk__in=recent.values("counterparty_id"))
               .select_related("main_manager").order_by("pk")[:rule.limit])
    made = 0
    for client in clients:
        if invite(rule.survey, client, None, rule=rule, period=period, now=now) is not None:
            made += 1
    SurveyRuleRun.objects.filter(pk=run.pk).update(invited=made, source=source)
    return made


def run_rules(now=None):
    now = now or timezone.now()
    expire_links(now)
    total = 0
    for rule in SurveyRule.objects.filter(active=True, deleted_at__isnull=True).select_related("survey", "operator",
                                                                                               "product"):
        total += run_rule(rule, now) or 0
    return total


def rules_due(now=None):
    """Some active rule has not run in its current period."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    for rule in SurveyRule.objects.filter(active=True, deleted_at__isnull=True):
        if not SurveyRuleRun.objects.filter(rule=rule, period=period_of(rule, day)).exists():
            return True
    return False
