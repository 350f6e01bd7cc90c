"""Documents generated from templates: commercial proposals, contracts, invoices (SPEC §4)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from activities.models import counterparty_scope
from clients.models import Counterparty
from core.models import BaseModel, not_trashed

from .deals import Deal
from .orders import ORDER, Order

USER = settings.AUTH_USER_MODEL


class DocumentKind(models.TextChoices):
    PROPOSAL = "proposal", _("Commercial proposal")
    CONTRACT = "contract", _("Contract")
    INVOICE = "invoice", _("Invoice")


class DocumentTemplate(BaseModel):
    """A DOCX template (docxtpl / Jinja tags) an administrator uploads and edits in a word processor.

    Without an uploaded file the built-in template of the kind is used.
    """

    settings_model = True

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(pgettext_lazy("document", "kind"), max_length=10, choices=DocumentKind.choices)
    file = models.FileField(_("DOCX file"), upload_to="document-templates/", blank=True,
                            validators=[FileExtensionValidator(["docx"])])
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("sales:template_edit", args=[self.pk])


class Document(BaseModel):
    """A generated file, kept on its deal or order and on the client's documents tab."""

    class Format(models.TextChoices):
        DOCX = "docx", "DOCX"
        PDF = "pdf", "PDF"

    owner_scoped = True

    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="documents")
    deal = models.ForeignKey(Deal, verbose_name=_("deal"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="documents")
    order = models.ForeignKey(Order, verbose_name=ORDER, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="documents")
    template = models.ForeignKey(DocumentTemplate, verbose_name=_("template"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="documents")
    kind = models.CharField(pgettext_lazy("document", "kind"), max_length=10, choices=DocumentKind.choices)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    title = models.CharField(_("title"), max_length=255)
    file = models.FileField(_("file"), upload_to="documents/%Y/%m/")
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("sales:document_download", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return Q(created_by=user) | counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        # Hidden while its client, deal or order is in the trash.
        return qs.filter(not_trashed("deal", Deal), not_trashed("order", Order),
                         not_trashed("counterparty", Counterparty))

    def clean(self):
        if not self.deal_id and not self.order_id:
            raise ValidationError(_("A document belongs to a deal or an order."))
