"""Marketing campaigns, their costs, and the campaign a deal came from (SPEC §6, seed 002)."""

import re
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients import validators
from clients.models import ContactPerson, Counterparty, counterparty_scope
from core.access import Role
from core.models import BaseModel, not_trashed
from sales.models import Deal, LeadSource

USER = settings.AUTH_USER_MODEL
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]
# Who plans campaigns and books their costs; everyone else reads them.
MARKETING_ROLES = frozenset({Role.ADMIN, Role.COMPANY_HEAD, Role.SALES_HEAD, Role.MARKETER})


def company_currency():
    return settings.KLIENTURA_CURRENCY


class Campaign(BaseModel):
    """A marketing action (мероприятие): an advertisement, a mailing, a call campaign, an exhibition…"""

    editor_roles = MARKETING_ROLES

    class Kind(models.TextChoices):
        ADVERTISING = "advertising", _("Advertising")
        MAILING = "mailing", _("Mailing")
        CALLS = "calls", _("Call campaign")
        EXHIBITION = "exhibition", _("Exhibition")
        SEMINAR = "seminar", _("Seminar")
        WEBINAR = "webinar", _("Webinar")
        PROMOTION = "promotion", _("Promotion")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        PHONE = "phone", _("Phone")
        WEBSITE = "website", _("Website")
        SEARCH = "search", _("Search ads")
        SOCIAL = "social", _("Social networks")
        PRINT = "print", _("Print")
        BROADCAST = "broadcast", _("Radio and TV")
        OUTDOOR = "outdoor", _("Outdoor")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ADVERTISING)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.OTHER)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PLANNED)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True, help_text=_("Empty: open-ended."))
    budget = models.DecimalField(_("budget"), max_digits=16, decimal_places=2, default=Decimal("0"),
                                 validators=NON_NEGATIVE)
    currency = models.CharField(_("currency"), max_length=3, default=company_currency,
                                help_text=_("Of the budget and of every cost line."))
    responsible = models.ForeignKey(USER, verbose_name=_("responsible"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="campaigns")
    target_segment = models.ForeignKey("Segment", verbose_name=_("target segment"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="campaigns")
    lead_source = models.ForeignKey(LeadSource, verbose_name=_("lead source"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="campaigns",
                                    help_text=_("Given to the inquiries and deals of the campaign."))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-start", "name", "pk"]
        indexes = [models.Index(fields=["-start", "name", "id"], name="campaign_start_name",
                                condition=Q(deleted_at__isnull=True))]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketing:campaign", args=[self.pk])

    def clean(self):
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The campaign ends before it starts.")})
        self.currency = (self.currency or "").upper()

    def cost(self):
        """Σ of the live cost lines (in the campaign's currency)."""
        return self.costs.filter(deleted_at__isnull=True).aggregate(s=Sum("amount"))["s"] or Decimal("0")


class CampaignCost(BaseModel):
    """A cost line of a campaign: an invoice for the ad, the stand at the exhibition…"""

    editor_roles = MARKETING_ROLES

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE,
                                 related_name="costs")
    date = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, validators=NON_NEGATIVE)

    class Meta:
        verbose_name = _("campaign cost")
        verbose_name_plural = _("campaign costs")
        ordering = ["campaign", "date", "pk"]

    def __str__(self):
        return f"{self.campaign}: {self.description}"

    def get_absolute_url(self):
        return self.campaign.get_absolute_url()

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("campaign", Campaign))


class DealCampaign(BaseModel):
    """The campaign a deal came from. Kept here, not on the deal: sales does not know marketing.

    One live row per deal; clearing the campaign moves the row to the trash (history keeps it)."""

    owner_scoped = True

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="campaign_links")
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT,
                                 related_name="deal_links")

    class Meta:
        verbose_name = _("deal campaign")
        verbose_name_plural = _("deal campaigns")
        ordering = ["deal", "pk"]
        constraints = [models.UniqueConstraint(fields=["deal"], condition=Q(deleted_at__isnull=True),
                                               name="dealcampaign_one_per_deal")]

    def __str__(self):
        return f"{self.deal}: {self.campaign}"

    def get_absolute_url(self):
        return self.deal.get_absolute_url()

    @classmethod
    def own_q(cls, user):
        return Q(deal__responsible=user) | counterparty_scope(user, "deal__counterparty")  # as DealLine

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("deal", Deal), not_trashed("deal__counterparty", Counterparty),
                         not_trashed("campaign", Campaign))

    def clean(self):
        if self.deal_id and type(self).objects.filter(deal_id=self.deal_id).exclude(pk=self.pk).exists():
            raise ValidationError({"deal": _("The deal already has a campaign.")})


class Inquiry(BaseModel):
    """An inquiry (обращение) of a potential client: a call, a letter, a web form, a visit…

    Converting it makes a client (or finds one), a contact person and a deal; the links stay here,
    so the path inquiry → client → deal → won can be followed and counted."""

    owner_scoped = True

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone call")
        EMAIL = "email", _("Email")
        WEB_FORM = "web_form", _("Web form")
        MESSENGER = "messenger", _("Messenger")
        SOCIAL = "social", _("Social networks")
        VISIT = "visit", _("Visit")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        NEW = "new", _("New")
        IN_WORK = "in_work", _("In work")
        CONVERTED = "converted", _("Converted")
        REJECTED = "rejected", _("Rejected")

    received_at = models.DateTimeField(_("received"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="inquiries")
    lead_source = models.ForeignKey(LeadSource, verbose_name=_("lead source"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="inquiries")
    company = models.CharField(_("company"), max_length=200, blank=True)
    person_name = models.CharField(_("person"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    message = models.TextField(_("message"), blank=True)
    utm_source = models.CharField(_("UTM source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=100, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NEW)
    reject_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    responsible = models.ForeignKey(USER, verbose_name=_("responsible"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="inquiries")
    # Set by the conversion (or when the inquiry is linked to a client by hand).
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="inquiries")
    deal = models.ForeignKey(Deal, verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="inquiries", editable=False)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["-received_at", "-id"], name="inquiry_received")]

    def __str__(self):
        who = self.company or self.person_name or self.email or self.phone
        return _("Inquiry from %(who)s") % {"who": who} if who else str(_("Inquiry"))

    def get_absolute_url(self):
        return reverse("marketing:inquiry", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        # Assigned to the manager, or about one of their clients.
        return Q(responsible=user) | counterparty_scope(user)

    def source(self):
        """The inquiry's lead source, else its campaign's."""
        if self.lead_source_id:
            return self.lead_source
        return self.campaign.lead_source if self.campaign_id else None

    def clean(self):
        errors = {}
        if not (self.company or self.person_name or self.phone or self.email):
            errors["person_name"] = _("Give at least a name, a company, a phone or an email.")
        if self.phone:
            try:
                self.phone = validators.normalize_phone(self.phone)
            except ValidationError as exc:
                errors["phone"] = exc.messages
        if self.email:
            self.email = validators.normalize_email(self.email)
        if self.converted_at and self.state != self.State.CONVERTED:
            errors["state"] = _("A converted inquiry stays converted: its client and deal exist.")
        if self.state == self.State.REJECTED and not self.reject_reason.strip():
            errors["reject_reason"] = _("Say why the inquiry is rejected.")
        if errors:
            raise ValidationError(errors)


def new_token():
    return secrets.token_urlsafe(24)


class FieldMode(models.TextChoices):
    HIDDEN = "hidden", _("Not asked")
    OPTIONAL = "optional", _("Optional")
    REQUIRED = "required", _("Required")


class WebForm(BaseModel):
    """A lead form for the company's site: its submissions become inquiries (channel "web form").

    The site posts to ``/f/<token>/`` (marketing/public.py); only this token is accepted there."""

    editor_roles = MARKETING_ROLES
    # The inquiry fields a form may ask, in the order the snippet shows them.
    ASKED = ("person_name", "company", "phone", "email", "message")

    name = models.CharField(_("name"), max_length=200)
    token = models.CharField(_("token"), max_length=40, unique=True, default=new_token, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="web_forms")
    lead_source = models.ForeignKey(LeadSource, verbose_name=_("lead source"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="web_forms")
    responsible = models.ForeignKey(USER, verbose_name=_("responsible"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="web_forms",
                                    help_text=_("Gets the inquiries of the form."))
    person_name_field = models.CharField(_("name field"), max_length=8, choices=FieldMode.choices,
                                         default=FieldMode.REQUIRED)
    company_field = models.CharField(_("company field"), max_length=8, choices=FieldMode.choices,
                                     default=FieldMode.OPTIONAL)
    phone_field = models.CharField(_("phone field"), max_length=8, choices=FieldMode.choices,
                                   default=FieldMode.REQUIRED)
    email_field = models.CharField(_("email field"), max_length=8, choices=FieldMode.choices,
                                   default=FieldMode.OPTIONAL)
    message_field = models.CharField(_("message field"), max_length=8, choices=FieldMode.choices,
                                     default=FieldMode.OPTIONAL)
    allowed_origins = models.TextField(
        _("sites allowed to post"), blank=True,
        help_text=_("One origin per line, e.g. https://www.example.ru. Empty: any site."))
    success_message = models.CharField(_("message after sending"), max_length=300,
                                       default=_("Thank you! We will contact you shortly."))

    class Meta:
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketing:webform", args=[self.pk])

    def mode(self, field):
        return getattr(self, f"{field}_field")

    def asked(self):
        return [(field, self.mode(field)) for field in self.ASKED if self.mode(field) != FieldMode.HIDDEN]

    def origins(self):
        return [line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()]

    def clean(self):
        errors = {}
        if self.phone_field == FieldMode.HIDDEN and self.email_field == FieldMode.HIDDEN:
            errors["phone_field"] = _("Ask for a phone or an email: the inquiry must be answerable.")
        bad = [o for o in self.origins() if not re.fullmatch(r"https?://[^/\s]+", o)]
        if bad:
            errors["allowed_origins"] = _("Not an origin (scheme and host only): %(value)s") % {"value": ", ".join(bad)}
        if errors:
            raise ValidationError(errors)


class WebFormHit(models.Model):
    """A post to a web form from an address: the rate limit counts them (pruned as they age)."""

    web_form = models.ForeignKey(WebForm, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["web_form", "address", "at"], name="webformhit_window")]

    def __str__(self):
        return f"{self.address} {self.at:%Y-%m-%d %H:%M:%S}"


class UsedChallenge(models.Model):
    """A solved proof-of-work challenge already spent: the same solution cannot post twice."""

    signature = models.CharField(max_length=128, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.signature


class Segment(BaseModel):
    """A named, dynamic selection of clients: the client list's filter query (marketing.segments)."""

    editor_roles = MARKETING_ROLES

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    query = models.TextField(_("conditions"), blank=True, help_text=_("The client list's filters, as in its URL."))

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketing:segment", args=[self.pk])

    def clean(self):
        from ..segments import query_errors

        errors = query_errors(self.query)
        if errors:
            raise ValidationError({"query": errors})


class MailingGroup(BaseModel):
    """A static list of clients and contact persons to notify (a mailing's recipients)."""

    editor_roles = MARKETING_ROLES

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("mailing group")
        verbose_name_plural = _("mailing groups")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketing:group", args=[self.pk])


class GroupMember(BaseModel):
    """A client (or one of its contact persons) in a mailing group; a manager sees their clients'."""

    owner_scoped = True

    group = models.ForeignKey(MailingGroup, verbose_name=_("mailing group"), on_delete=models.CASCADE,
                              related_name="members")
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="mailing_memberships")
    contact_person = models.ForeignKey(ContactPerson, verbose_name=_("contact person"), null=True, blank=True,
                                       on_delete=models.CASCADE, related_name="mailing_memberships")

    class Meta:
        verbose_name = _("mailing group member")
        verbose_name_plural = _("mailing group members")
        ordering = ["group", "counterparty", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "counterparty"], condition=Q(deleted_at__isnull=True,
                                    contact_person__isnull=True), name="groupmember_one_client"),
            models.UniqueConstraint(fields=["group", "contact_person"], condition=Q(deleted_at__isnull=True),
                                    name="groupmember_one_person"),
        ]

    def __str__(self):
        who = self.contact_person or self.counterparty
        return f"{self.group}: {who}"

    def get_absolute_url(self):
        return reverse("clients:counterparty", args=[self.counterparty_id]) + "?tab=groups"

    @classmethod
    def own_q(cls, user):
        return counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("counterparty", Counterparty), not_trashed("group", MailingGroup))

    def clean(self):
        if self.contact_person_id and self.counterparty_id and \
                self.contact_person.counterparty_id != self.counterparty_id:
            raise ValidationError({"contact_person": _("The contact person works for another client.")})
