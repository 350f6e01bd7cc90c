"""Mail intake: mailboxes polled over IMAP and the letters taken from them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from activities.models import Interaction, OutgoingEmail
from clients.models import ContactPerson, Counterparty, counterparty_scope
from core.models import BaseModel


class Mailbox(BaseModel):
    """An IMAP folder the worker reads: personal (one user's letters) or shared (e.g. sales@)."""

    class Security(models.TextChoices):
        SSL = "ssl", _("SSL/TLS (port 993)")
        STARTTLS = "starttls", _("STARTTLS (port 143)")
        NONE = "none", _("None (a server on this machine only)")

    settings_model = True

    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("IMAP server"), max_length=200)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=10, choices=Security.choices, default=Security.SSL)
    username = models.CharField(_("user name"), max_length=200)
    password = models.CharField(_("password"), max_length=200)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="mailboxes",
                              help_text=_("Empty for a shared mailbox."))
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Shared mailbox: handles letters of unknown senders and of clients "
                                      "without a manager."))
    active = models.BooleanField(_("active"), default=True)
    # Where reading stopped: the folder's UIDVALIDITY and the highest UID taken under it.
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(_("last UID taken"), default=0, editable=False)
    polled_at = models.DateTimeField(_("last checked"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    # A worker reading the mailbox holds it until then (two workers never read one mailbox at once).
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("integrations:mailbox_edit", args=[self.pk])

    def clean(self):
        if not self.owner_id and not self.responsible_id:
            raise ValidationError({"responsible": _("A shared mailbox needs a responsible user.")})

    @property
    def handler(self):
        """Who gets the letters nobody else is found for."""
        return self.owner or self.responsible


class IncomingLetter(BaseModel):
    """One letter taken from a mailbox, exactly once (mailbox, UIDVALIDITY, UID)."""

    class State(models.TextChoices):
        ATTACHED = "attached", _("Attached to a client")
        REVIEW = "review", _("To review")
        IGNORED = "ignored", _("Ignored")

    owner_scoped = True

    mailbox = models.ForeignKey(Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT, related_name="letters")
    uidvalidity = models.BigIntegerField(editable=False)
    uid = models.BigIntegerField(editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=250, blank=True, db_index=True)
    in_reply_to = models.CharField(_("in reply to"), max_length=250, blank=True)
    references = models.TextField(_("references"), blank=True)
    sender = models.CharField(_("from"), max_length=250, db_index=True)
    sender_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    recipients = models.TextField(pgettext_lazy("email", "to"), blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    text = models.TextField(_("text"), blank=True)
    html = models.TextField(_("HTML"), blank=True, help_text=_("Sanitised when stored."))
    size = models.PositiveIntegerField(_("size, bytes"), default=0)
    notes = models.TextField(_("notes"), blank=True, help_text=_("What the intake could not keep."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.REVIEW)
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="incoming_letters")
    contact_person = models.ForeignKey(ContactPerson, verbose_name=_("contact person"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="incoming_letters")
    interaction = models.OneToOneField(Interaction, verbose_name=_("interaction"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="incoming_letter")
    reply_to_email = models.ForeignKey(OutgoingEmail, verbose_name=_("reply to"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="replies")

    class Meta:
        verbose_name = _("incoming letter")
        verbose_name_plural = _("incoming letters")
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["mailbox", "uidvalidity", "uid"], name="letter_once")]
        indexes = [models.Index(fields=["state", "-received_at"], name="letter_state_received")]

    def __str__(self):
        return self.subject or _("(no subject)")

    def get_absolute_url(self):
        return reverse("integrations:letter", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        # Letters of the user's clients, and everything in the mailboxes they own or handle.
        mine = Q(mailbox__owner=user) | Q(mailbox__owner__isnull=True, mailbox__responsible=user)
        return mine | (Q(counterparty__isnull=False) & counterparty_scope(user))
