"""Telemarketing (issue 11, item 7): call scripts, call lists filled from a segment or a mailing
group, and their entries, which operators take one by one (marketing.call_lists)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from activities.models import Interaction
from clients.models import ContactPerson, Counterparty, counterparty_scope
from core.models import BaseModel, not_trashed

from .campaigns import MARKETING_ROLES, USER, Campaign, MailingGroup, Segment


class CallScript(BaseModel):
    """What an operator says and asks: an introduction and ordered questions."""

    editor_roles = MARKETING_ROLES

    name = models.CharField(_("name"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True, help_text=_("What the operator says first."))

    class Meta:
        verbose_name = _("call script")
        verbose_name_plural = _("call scripts")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketing:callscript", args=[self.pk])

    def live_questions(self):
        return list(self.questions.filter(deleted_at__isnull=True).order_by("order", "pk"))


class CallQuestion(BaseModel):
    """One question of a script; a choice question lists its options one per line."""

    editor_roles = MARKETING_ROLES

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        YES_NO = "yes_no", _("Yes / no")
        CHOICE = "choice", _("Choice from a list")

    script = models.ForeignKey(CallScript, verbose_name=_("call script"), on_delete=models.CASCADE,
                               related_name="questions")
    order = models.PositiveIntegerField(_("order"), default=0)
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(pgettext_lazy("question", "kind"), max_length=8, choices=Kind.choices, default=Kind.TEXT)
    options = models.TextField(_("options"), blank=True, help_text=_("Choice questions: one option per line."))
    required = models.BooleanField(_("required"), default=False,
                                   help_text=_("Must be answered when the client is reached."))

    class Meta:
        verbose_name = _("call script question")
        verbose_name_plural = _("call script questions")
        ordering = ["script", "order", "pk"]

    def __str__(self):
        return self.text

    def get_absolute_url(self):
        return self.script.get_absolute_url()

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("script", CallScript))

    def choices(self):
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def clean(self):
        if self.kind == self.Kind.CHOICE and len(self.choices()) < 2:
            raise ValidationError({"options": _("Give at least two options, one per line.")})
        if self.kind != self.Kind.CHOICE and self.options.strip():
            raise ValidationError({"options": _("Only choice questions have options.")})


class CallList(BaseModel):
    """Clients to call, taken once (a snapshot) from a segment or a mailing group."""

    editor_roles = MARKETING_ROLES

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        DONE = "done", _("Done")

    name = models.CharField(_("name"), max_length=200)
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="call_lists")
    script = models.ForeignKey(CallScript, verbose_name=_("call script"), on_delete=models.PROTECT,
                               related_name="call_lists")
    segment = models.ForeignKey(Segment, verbose_name=_("segment"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="call_lists")
    group = models.ForeignKey(MailingGroup, verbose_name=_("mailing group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="call_lists")
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.DRAFT)
    responsible = models.ForeignKey(USER, verbose_name=_("responsible"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="call_lists")
    operators = models.ManyToManyField(USER, verbose_name=_("operators"), blank=True,
                                       related_name="operated_call_lists",
                                       help_text=_("Who makes the calls (besides marketers and heads)."))
    _history_m2m_fields = ("operators",)
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=3, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("Calls to a client who does not answer before giving up."))
    retry_minutes = models.PositiveIntegerField(
        _("retry after, minutes"), default=120, validators=[MaxValueValidator(60 * 24 * 30)],
        help_text=_("When a client who did not answer is called again."))
    description = models.TextField(_("description"), blank=True)
    filled_at = models.DateTimeField(_("filled"), null=True, blank=True, editable=False)
    skipped = models.PositiveIntegerField(_("skipped without a phone"), default=0, editable=False)

    class Meta:
        verbose_name = _("call list")
        verbose_name_plural = _("call lists")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketing:calllist", args=[self.pk])

    def source(self):
        return self.segment or self.group

    def clean(self):
        if bool(self.segment_id) == bool(self.group_id):
            raise ValidationError({"segment": _("Choose a segment or a mailing group (one of them).")})


class CallListEntry(BaseModel):
    """A client (or a contact person) of a call list, with the result of the last call.

    A sales manager sees the entries — and so the results — of their own clients only."""

    owner_scoped = True

    class State(models.TextChoices):
        PENDING = "pending", _("To call")
        IN_PROGRESS = "in_progress", _("Calling")
        REACHED = "reached", pgettext_lazy("call", "Reached")
        NO_ANSWER = "no_answer", _("No answer")
        CALL_BACK = "call_back", _("Call back")
        REFUSED = "refused", _("Refused")

    # What an operator records after a call.
    RESULTS = (State.REACHED, State.NO_ANSWER, State.CALL_BACK, State.REFUSED)

    call_list = models.ForeignKey(CallList, verbose_name=_("call list"), on_delete=models.CASCADE,
                                  related_name="entries")
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="call_list_entries")
    contact_person = models.ForeignKey(ContactPerson, verbose_name=_("contact person"), null=True, blank=True,
                                       on_delete=models.CASCADE, related_name="call_list_entries")
    phone = models.CharField(_("phone"), max_length=32)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING,
                             editable=False)
    call_back_at = models.DateTimeField(_("call back at"), null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("calls made"), default=0, editable=False)
    answers = models.JSONField(_("answers"), default=dict, blank=True, editable=False)
    comment = models.TextField(_("comment"), blank=True, editable=False)
    interaction = models.ForeignKey(Interaction, verbose_name=_("last call"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+", editable=False)
    operator = models.ForeignKey(USER, verbose_name=_("operator"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="call_list_entries", editable=False)
    claimed_until = models.DateTimeField(_("taken until"), null=True, blank=True, editable=False)
    last_result_at = models.DateTimeField(_("last call"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("call list entry")
        verbose_name_plural = _("call list entries")
        ordering = ["call_list", "pk"]
        indexes = [models.Index(fields=["call_list", "state", "call_back_at"], name="callentry_queue")]
        constraints = [
            models.UniqueConstraint(fields=["call_list", "counterparty"], condition=Q(
                deleted_at__isnull=True, contact_person__isnull=True), name="callentry_one_client"),
            models.UniqueConstraint(fields=["call_list", "contact_person"], condition=Q(deleted_at__isnull=True),
                                    name="callentry_one_person"),
        ]

    def __str__(self):
        who = self.contact_person or self.counterparty
        return f"{self.call_list}: {who}"

    def get_absolute_url(self):
        return reverse("marketing:calllist", args=[self.call_list_id]) + f"#entry-{self.pk}"

    @classmethod
    def own_q(cls, user):
        return counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("counterparty", Counterparty), not_trashed("call_list", CallList))

    def clean(self):
        from clients import validators

        if self.contact_person_id and self.counterparty_id and \
                self.contact_person.counterparty_id != self.counterparty_id:
            raise ValidationError({"contact_person": _("The contact person works for another client.")})
        if self.phone:
            try:
                self.phone = validators.normalize_phone(self.phone)
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from None
