"""Client surveys (issue 12, item 4): questionnaires, their questions, invitations (one per client and
survey run; the invitation carries the response) with the answers, and the rules that start them.

Quality specialists, marketers and heads keep the questionnaires and rules; invitations hang off a
client, so a sales manager sees those of their own clients only.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import ContactPerson, Counterparty, counterparty_scope
from core.access import Role
from core.models import BaseModel, not_trashed

USER = settings.AUTH_USER_MODEL
SURVEY_EDITORS = frozenset({Role.ADMIN, Role.COMPANY_HEAD, Role.SALES_HEAD, Role.MARKETER})
SURVEY_WRITERS = frozenset({Role.QUALITY})  # read-only otherwise: surveys are their work


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")


class Survey(BaseModel):
    """A questionnaire, conducted by phone (an operator reads it) or by email (a public link)."""

    editor_roles = SURVEY_EDITORS
    writer_roles = SURVEY_WRITERS

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True,
                                   help_text=_("Shown to the client above the questions."))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    active = models.BooleanField(_("active"), default=True)
    link_days = models.PositiveSmallIntegerField(
        _("link valid, days"), default=14, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Email surveys: how long the link in the invitation can be answered."))
    thanks = models.CharField(_("thank-you text"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("service:survey", args=[self.pk])

    def live_questions(self):
        return list(self.questions.filter(deleted_at__isnull=True).order_by("order", "pk"))


class Question(BaseModel):
    """One question of a survey; choice questions list their options one per line."""

    editor_roles = SURVEY_EDITORS
    writer_roles = SURVEY_WRITERS

    class Kind(models.TextChoices):
        RATING = "rating", _("Rating 1–5")
        NPS = "nps", _("Recommendation 0–10 (NPS)")
        SINGLE = "single", _("One choice")
        MULTIPLE = "multiple", _("Several choices")
        TEXT = "text", _("Text")

    CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE)
    RANGES = {Kind.RATING: (1, 5), Kind.NPS: (0, 10)}

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(pgettext_lazy("question", "kind"), max_length=8, choices=Kind.choices,
                            default=Kind.RATING)
    options = models.TextField(_("options"), blank=True, help_text=_("Choice questions: one option per line."))
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey", "order", "pk"]

    def __str__(self):
        return self.text

    def get_absolute_url(self):
        return self.survey.get_absolute_url()

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("survey", Survey))

    def choices(self):
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def clean(self):
        if self.kind in self.CHOICE_KINDS and len(self.choices()) < 2:
            raise ValidationError({"options": _("Give at least two options, one per line.")})
        if self.kind not in self.CHOICE_KINDS and self.options.strip():
            raise ValidationError({"options": _("Only choice questions have options.")})


class SurveyRule(BaseModel):
    """Starts a survey every period for an audience: a phone rule fills the operators' queue, an
    email rule sends invitations. Runs once per rule and period (``SurveyRuleRun``)."""

    editor_roles = SURVEY_EDITORS
    writer_roles = SURVEY_WRITERS

    class Audience(models.TextChoices):
        NEW = "new", _("New clients with one purchase")
        REGULAR = "regular", _("Regular clients")

    class Frequency(models.TextChoices):
        MONTH = "month", _("Every month")
        QUARTER = "quarter", _("Every quarter")

    name = models.CharField(_("name"), max_length=200)
    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="rules")
    audience = models.CharField(_("audience"), max_length=8, choices=Audience.choices, default=Audience.NEW)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.MONTH)
    active = models.BooleanField(_("active"), default=True)
    operator = models.ForeignKey(USER, verbose_name=_("operator"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", help_text=_("Phone surveys: whose queue the clients go to."))
    quiet_days = models.PositiveIntegerField(
        _("not again within, days"), default=90, validators=[MaxValueValidator(3650)],
        help_text=_("A client invited to this survey more recently is left out."))
    limit = models.PositiveIntegerField(_("at most clients per run"), default=200,
                                        validators=[MinValueValidator(1), MaxValueValidator(5000)])
    product = models.ForeignKey("sales.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                help_text=_("Only the clients who bought it; their answers are about it."))

    class Meta:
        verbose_name = _("survey rule")
        verbose_name_plural = _("survey rules")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("service:surveyrule_edit", args=[self.pk])


class SurveyRuleRun(models.Model):
    """A rule's run in a period (``2026-03`` or ``2026-Q1``): the unique row makes it run once."""

    rule = models.ForeignKey(SurveyRule, on_delete=models.CASCADE, related_name="runs")
    period = models.CharField(max_length=10)
    started_at = models.DateTimeField()
    invited = models.PositiveIntegerField(default=0)
    source = models.CharField(_("audience from"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("survey rule run")
        verbose_name_plural = _("survey rule runs")
        constraints = [models.UniqueConstraint(fields=["rule", "period"], name="surveyrun_once")]

    def __str__(self):
        return f"{self.rule_id} {self.period}"


class SurveyInvitation(BaseModel):
    """A client asked to answer a survey, and their response (one per invitation).

    Email: a signed link that expires; phone: an entry of the operators' queue."""

    owner_scoped = True
    writer_roles = SURVEY_WRITERS

    class State(models.TextChoices):
        PENDING = "pending", _("To call")
        SENT = "sent", pgettext_lazy("survey", "Sent")
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Expired")
        REFUSED = "refused", _("Refused")

    OPEN = (State.PENDING, State.SENT)

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.PROTECT,
                               related_name="invitations")
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="survey_invitations")
    contact_person = models.ForeignKey(ContactPerson, verbose_name=_("contact person"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="survey_invitations")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    address = models.CharField(_("email or phone"), max_length=254, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING,
                             editable=False, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("link valid until"), null=True, blank=True, editable=False)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True, editable=False)
    operator = models.ForeignKey(USER, verbose_name=_("operator"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="survey_calls")
    claimed_until = models.DateTimeField(_("taken until"), null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("calls made"), default=0, editable=False)
    comment = models.TextField(_("comment"), blank=True, editable=False)
    rule = models.ForeignKey(SurveyRule, verbose_name=_("survey rule"), null=True, blank=True, editable=False,
                             on_delete=models.SET_NULL, related_name="invitations")
    period = models.CharField(_("period"), max_length=10, blank=True, editable=False)
    interaction = models.ForeignKey("activities.Interaction", verbose_name=_("interaction"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+", editable=False)
    # The analysis credits the answers to this product; empty: to every product the client bought.
    product = models.ForeignKey("sales.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                help_text=_("What the survey asks about; empty: the products the client bought."))

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["survey", "state"], name="surveyinv_queue")]
        constraints = [models.UniqueConstraint(fields=["rule", "period", "counterparty"],
                                               condition=Q(rule__isnull=False), name="surveyinv_once_per_run")]

    def __str__(self):
        return f"{self.survey}: {self.counterparty}"

    def get_absolute_url(self):
        return reverse("service:surveyinvitation", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("counterparty", Counterparty), not_trashed("survey", Survey))

    def clean(self):
        if self.contact_person_id and self.counterparty_id and \
                self.contact_person.counterparty_id != self.counterparty_id:
            raise ValidationError({"contact_person": _("The contact person works for another client.")})
        if self.channel == Channel.EMAIL and self.address:
            from django.core.validators import validate_email

            try:
                validate_email(self.address)
            except ValidationError:
                raise ValidationError({"address": _("Enter a valid email address.")}) from None


class Answer(models.Model):
    """One answer of a response: a number (rating, NPS), chosen options or text. Written once."""

    invitation = models.ForeignKey(SurveyInvitation, verbose_name=_("survey invitation"), on_delete=models.CASCADE,
                                   related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE,
                                 related_name="answers")
    number = models.SmallIntegerField(_("number"), null=True, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["invitation", "question__order", "question_id"]
        constraints = [models.UniqueConstraint(fields=["invitation", "question"], name="surveyanswer_once")]

    def __str__(self):
        return f"{self.question}: {self.display()}"

    def display(self):
        if self.number is not None:
            return str(self.number)
        if self.choices:
            return ", ".join(self.choices)
        return self.text
