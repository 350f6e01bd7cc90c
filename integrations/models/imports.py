"""Imports (issue 13, item 1): a file uploaded, its columns mapped, validated, then imported.

An ``ImportJob`` belongs to the user who uploaded it (sales managers see their own jobs; heads,
administrators and the other roles that see every client see every job). The imported rows are
ordinary business records with their history; the job itself keeps no history: it is a log
written by the importer, never edited by hand (no trash, no version).
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import RestrictedQuerySet


class ImportKind(models.TextChoices):
    CLIENTS = "clients", _("Clients with contact persons and contact information")
    PRODUCTS = "products", _("Products and services of the catalogue")
    INTERACTIONS = "interactions", _("Interaction history (calls, meetings, letters…)")


class ImportPolicy(models.TextChoices):
    UPDATE_BY_TAX_ID = "update_tax_id", _("Update when the tax id matches, otherwise create")
    UPDATE_MATCHES = "update_matches", _("Update the matching client (tax id, phone, email or name), "
                                         "otherwise create")
    SKIP_MATCHES = "skip_matches", _("Skip rows matching an existing client, create the rest")


class RowAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    SKIP = "skip", _("Skip")


def import_upload_to(job, filename):
    return f"imports/{job.created_by_id or 0}/{filename}"


class ImportJob(models.Model):
    """One import: the file, its mapping, the validation report and the outcome."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        MAPPED = "mapped", _("Columns mapped")
        VALIDATING = "validating", _("Validating")
        VALIDATED = "validated", _("Validated")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    owner_scoped = True
    settings_model = False
    derived = True  # a log the importer writes, never edited: no trash, no version, no history

    kind = models.CharField(_("what is imported"), max_length=20, choices=ImportKind.choices,
                            default=ImportKind.CLIENTS)
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=300)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)  # csv, xlsx, vcard
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("separator"), max_length=1, blank=True)
    headers = models.JSONField(_("columns"), default=list, blank=True)
    # One target field per column (same order as ``headers``), "" for a column left out.
    mapping = models.JSONField(_("column mapping"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.UPLOADED,
                             db_index=True)
    policy = models.CharField(_("when a row matches a client"), max_length=20, choices=ImportPolicy.choices,
                              default=ImportPolicy.UPDATE_BY_TAX_ID)
    # {"<row number>": "create" | "update" | "skip"}: the user's decisions on flagged rows.
    overrides = models.JSONField(_("decisions per row"), default=dict, blank=True)
    skip_errors = models.BooleanField(_("skip the rows with errors"), default=False)
    progress = models.PositiveSmallIntegerField(_("progress, %"), default=0)
    step = models.CharField(_("step"), max_length=100, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    # The validation report: planned actions per kind, the first errors, the first rows as they
    # would be imported, and the rows that need a decision (matches other than a sure one).
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    flagged = models.JSONField(_("rows to decide"), default=list, blank=True)
    error = models.TextField(_("failure"), blank=True)
    # Bumped each time the rows are queued for validation: a worker saves its report only if the
    # round it was given is still the job's (not cancelled, not superseded by a newer mapping).
    validation_round = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"),
                                   on_delete=models.CASCADE, related_name="import_jobs")
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    all_objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-id"]
        indexes = [models.Index(fields=["created_by", "-id"], name="import_owner_id")]

    def __str__(self):
        return _("Import #%(id)s: %(file)s") % {"id": self.pk, "file": self.file_name}

    def get_absolute_url(self):
        return reverse("integrations:import", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return Q(created_by=user)

    @classmethod
    def visible_filter(cls, qs):
        return qs

    @property
    def finished(self):
        return self.state in (self.State.DONE, self.State.FAILED, self.State.CANCELLED)

    @property
    def history_reason(self):
        """The change reason on every history record the import writes."""
        return f"import #{self.pk} ({self.file_name})"[:100]


def header_key(kind, headers):
    """What identifies a file layout: the kind and the normalised column names, in order."""
    text = "\x1f".join([kind, *[" ".join(str(h or "").lower().split()) for h in headers]])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


class ImportMapping(models.Model):
    """A column mapping saved for the next file with the same columns (a user's own or shared)."""

    kind = models.CharField(_("what is imported"), max_length=20, choices=ImportKind.choices)
    header_key = models.CharField(max_length=40)
    headers = models.JSONField(_("columns"), default=list)
    mapping = models.JSONField(_("column mapping"), default=list)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="import_mappings",
                             help_text=_("Empty: shared with everyone."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("saved import mapping")
        verbose_name_plural = _("saved import mappings")
        constraints = [
            models.UniqueConstraint(fields=["kind", "header_key", "user"], name="import_mapping_per_user"),
            models.UniqueConstraint(fields=["kind", "header_key"], condition=Q(user__isnull=True),
                                    name="import_mapping_shared"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {', '.join(map(str, self.headers))[:80]}"
