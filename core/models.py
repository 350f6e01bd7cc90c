"""Users and the shared base model every business record inherits (SPEC §2)."""

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import access
from .access import Role


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SALES_MANAGER)
    head = models.ForeignKey(
        "self", verbose_name=_("head"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="subordinates",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # The interface language the user last chose; notifications and emails to them use it
    # (empty: the site's default, settings.LANGUAGE_CODE).
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def preferred_language(self):
        """The language to write to this user in (their choice, else the site's default)."""
        return self.language or settings.LANGUAGE_CODE


class ConflictError(Exception):
    """A save was based on a stale version of the record (optimistic locking)."""

    def __init__(self, instance, current):
        self.instance = instance
        self.current = current
        super().__init__(f"{instance._meta.label} {instance.pk} was changed by someone else")


def restrict_as(model, queryset, user, action=access.VIEW, *, walk=False):
    """``queryset`` cut by ``model``'s access rules: the one place access is decided.

    ``queryset`` is of ``model`` itself, or of a table kept from its rows that reaches the
    owner by the same paths (``SaleDay`` has the ``order`` its shipments have). ``walk``: the
    same rows, in the form for a query that walks an index and stops after a page (``walking``)."""
    scope, _actions = access.rule_for(user)
    if not access.can(user, action, model):
        return queryset.none()
    qs = model.visible_filter(queryset)
    if scope == "all" or not model.owner_scoped:
        return qs
    with walking(walk):
        return qs.filter(model.own_q(user))


# Whether ``own_q`` builds the form for index walks: read by the scope's building blocks
# (clients.models.counterparty_scope), so that every model's ``own_q`` has both forms.
WALKING = contextvars.ContextVar("klientura_walking", default=False)


@contextmanager
def walking(walk=True):
    """``own_q`` built inside gives the same rows in the form for a query that walks an index
    and stops after a page: each walked row's owner checked by a join instead of collecting
    the ids of all a sales manager's clients (48 000 at a million clients) first."""
    token = WALKING.set(walk)
    try:
        yield
    finally:
        WALKING.reset(token)


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action=access.VIEW, *, walk=False):
        """Rows ``user`` may perform ``action`` on (``walk``: see ``restrict_as``)."""
        return restrict_as(self.model, self, user, action, walk=walk)

    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def trashed(self):
        return self.filter(deleted_at__isnull=False)


class AliveManager(models.Manager.from_queryset(RestrictedQuerySet)):
    # {(queryset class, model): a queryset of the live rows}, built once: get_queryset() runs for
    # every Model.objects use and for every related manager (a prefetch makes two per row), and
    # building the filter cost ~4 times a clone of the built one.
    _alive = {}

    def get_queryset(self):
        key = (self._queryset_class, self.model)
        alive = self._alive.get(key)
        if alive is None:
            alive = self._alive[key] = self._queryset_class(model=self.model).filter(deleted_at__isnull=True)
        qs = alive._chain()
        qs._db, qs._hints = self._db, self._hints or {}  # as Manager.get_queryset: never share an empty dict
        return qs


class AllManager(models.Manager.from_queryset(RestrictedQuerySet)):
    pass


def not_trashed(path, model):
    """Q: the row's foreign key ``path`` is not in ``model``'s trash.

    An anti-join on the few trashed rows (each trashable parent has a partial index on them),
    instead of a join to the parent for every row — what keeps aggregates over big tables fast.
    """
    return ~Q(**{f"{path}__in": model.all_objects.filter(deleted_at__isnull=False).values("pk")})


class AnyOf(models.Lookup):
    """``lhs IN (subquery)`` as a condition of its own, written ``lhs = ANY(ARRAY(subquery))`` on
    PostgreSQL: inside an OR the planner can then probe an index with the array (a bitmap OR of
    two indexes, or a walk of a sort index that stops after a page), where an IN subquery in an
    OR makes it check every row of the table (a sales manager's clients among 1 000 000: 0.6 s)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection, template="{lhs} IN {rhs}"):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return template.format(lhs=lhs, rhs=rhs), [*lhs_params, *rhs_params]

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, template="{lhs} = ANY(ARRAY{rhs})")


def trash_index(name):
    """The partial index ``not_trashed`` reads: only rows in the trash."""
    return models.Index(fields=["deleted_at"], name=name, condition=Q(deleted_at__isnull=False))


class EditUrlMixin:
    """Records edited in place (reference lists): the page of a row is its ``edit_url_name`` route."""

    edit_url_name = ""

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse(self.edit_url_name, args=[self.pk])


def rows_using(obj):
    """(plural name, count) of the live records pointing at ``obj``.

    Their forms offer only live rows: with ``obj`` in the trash, an unchanged save would blank
    the field. Logs and other records without a trash of their own (stage changes…) do not count.
    """
    used = []
    for rel in obj._meta.related_objects:
        model = rel.related_model
        if not hasattr(model, "all_objects"):
            continue
        count = model.objects.filter(**{rel.field.name: obj}).count()
        if count:
            used.append((model._meta.verbose_name_plural, count))
    return used


def in_use_message(obj, used):
    return _("“%(name)s” is still used by %(uses)s: change them first.") % {
        "name": obj, "uses": ", ".join(f"{plural} ({count})" for plural, count in used)}


class History(HistoricalRecords):
    """simple-history's records, which also keep the many-to-many sets a model lists in
    ``_history_m2m_fields`` (a snapshot per record, so core.history shows what was added and
    removed). A change made from the other side of the relation (``person.interactions.add(i)``)
    is recorded on each changed row, as simple-history itself records only the owning side; sets
    written on a just-created object (the same Python object) go into its creation record."""

    def post_save(self, instance, created, using=None, **kwargs):
        super().post_save(instance, created, using=using, **kwargs)
        instance._history_just_created = created

    def m2m_changed(self, instance, action, attr, pk_set, reverse, model=None, **kwargs):
        if not reverse:
            if getattr(instance, "_history_just_created", False) and action.startswith("post_") \
                    and not hasattr(instance, "skip_history_when_saving"):
                # Sets written right after the object was created (an email interaction and its
                # person) belong to its creation: stored with that record, not one more entry.
                from core.history import store_m2m_sets

                record = instance.history.order_by("-history_date", "-history_id").first()
                if record is not None:
                    store_m2m_sets(record, instance, [type(instance)._meta.get_field(attr)])
                    return None
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        if action == "pre_clear":  # from the other side: which rows lose it, while the links are there
            instance._history_cleared = set(self.rows_linked_to(instance, model, kwargs.get("sender")))
            return None
        if action == "post_clear":
            pk_set = instance.__dict__.pop("_history_cleared", set())
        elif action not in ("post_add", "post_remove"):
            return None
        if not pk_set or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return None
        for obj in getattr(model, "all_objects", model._default_manager).filter(pk__in=pk_set):
            self.create_historical_record(obj, "~")
        return None

    @staticmethod
    def rows_linked_to(instance, model, through):
        """Ids of ``model``'s rows linked to ``instance`` through ``through`` (a reverse clear)."""
        for field in model._meta.many_to_many:
            if field.remote_field.through is through:
                return field.remote_field.through.objects.filter(
                    **{field.m2m_reverse_field_name(): instance.pk}).values_list(field.m2m_field_name(), flat=True)
        return []


class BaseModel(models.Model):
    """History, soft delete, optimistic locking and access scoping for business data."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)

    history = History(inherit=True)
    # Many-to-many fields whose sets the history keeps (names): see History.
    _history_m2m_fields = ()

    objects = AliveManager()
    all_objects = AllManager()

    # Models whose rows belong to managers set this and implement own_q().
    owner_scoped = False
    # Settings (reference lists, property definitions): only administrators change them.
    settings_model = False

    class Meta:
        abstract = True

    def save(self, *args, check_version=True, **kwargs):
        if self._state.adding or not check_version or not self.pk:
            return super().save(*args, **kwargs)
        with transaction.atomic(using=kwargs.get("using")):
            expected = self.version
            bumped = type(self).all_objects.filter(pk=self.pk, version=expected).update(
                version=expected + 1
            )
            if not bumped:
                current = type(self).all_objects.filter(pk=self.pk).first()
                if current is not None:
                    raise ConflictError(self, current)
            self.version = expected + 1
            return super().save(*args, **kwargs)

    def delete(self, using=None, keep_parents=False):
        """Move to the trash; ``hard_delete`` removes for good."""
        self.deleted_at = timezone.now()
        self.save()

    def restore(self):
        self.deleted_at = None
        # A live row may have taken its unique name or code meanwhile: a ValidationError the
        # trash and the API show, not an IntegrityError.
        self.validate_constraints()
        self.save()

    def hard_delete(self):
        return super().delete()

    @classmethod
    def own_q(cls, user):
        return Q(pk__in=[])

    @classmethod
    def visible_filter(cls, qs):
        """Hook for hiding rows whose parent is in the trash."""
        return qs

    @property
    def is_deleted(self):
        return self.deleted_at is not None


class PropertyKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes / no")
    CHOICE = "choice", _("Choice from a list")
    MULTI = "multi", _("Several from a list")
    USER = "user", _("User")


class PropertyTarget(models.TextChoices):
    COUNTERPARTY = "clients.counterparty", _("Counterparties")
    CONTACT_PERSON = "clients.contactperson", _("Contact persons")


class CustomProperty(BaseModel):
    """An additional property an administrator defines (дополнительный реквизит)."""

    settings_model = True

    target = models.CharField(_("applies to"), max_length=64, choices=PropertyTarget.choices,
                              default=PropertyTarget.COUNTERPARTY)
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=50, help_text=_("Latin letters, digits, underscores."))
    kind = models.CharField(_("type"), max_length=10, choices=PropertyKind.choices, default=PropertyKind.TEXT)
    choices = models.JSONField(_("values"), default=list, blank=True,
                               help_text=_("For choice types: the list of allowed values."))
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)
    help_text = models.CharField(_("hint"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("custom property")
        verbose_name_plural = _("custom properties")
        ordering = ["target", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "code"], condition=Q(deleted_at__isnull=True),
                name="customproperty_unique_code",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("clients:property_edit", args=[self.pk])

    def clean(self):
        if self.kind in (PropertyKind.CHOICE, PropertyKind.MULTI):
            values = [str(v).strip() for v in (self.choices or []) if str(v).strip()]
            if not values:
                raise ValidationError({"choices": _("List at least one value.")})
            if len(set(values)) != len(values):
                raise ValidationError({"choices": _("Values must be unique.")})
            self.choices = values
        else:
            self.choices = []

    @classmethod
    def for_model(cls, model):
        return cls.objects.filter(target=model._meta.label_lower)


class SavedFilter(models.Model):
    """A named set of list filters (query string), private or shared with everyone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    target = models.CharField(max_length=64)
    name = models.CharField(_("name"), max_length=100)
    query = models.TextField(_("filter"), blank=True)
    shared = models.BooleanField(_("visible to everyone"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ReportPreference(models.Model):
    """A user's last filters of a report (its query string), used when the report opens bare."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_preferences")
    slug = models.CharField(max_length=64)
    query = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("report preference")
        verbose_name_plural = _("report preferences")
        constraints = [models.UniqueConstraint(fields=["user", "slug"], name="report_preference_unique")]

    def __str__(self):
        return f"{self.user} · {self.slug}"


# --- Attachments (core/attachments.py) -------------------------------------------------------------

def attachment_upload_to(instance, filename):
    """Under MEDIA_ROOT/attachments/<app>/<model>/<record id>/: a random name with the original's
    extension (the original name stays in ``Attachment.name``)."""
    import uuid

    from .attachments import safe_extension

    ct = instance.content_type
    return f"attachments/{ct.app_label}/{ct.model}/{instance.object_id}/{uuid.uuid4().hex}{safe_extension(filename)}"


def record_type_q(model):
    """Q: attachments of ``model``'s records, by a join on the content type (no look-up query, no
    cached ids that a test database flush would leave stale)."""
    return Q(content_type__app_label=model._meta.app_label, content_type__model=model._meta.model_name)


class AttachmentQuerySet(RestrictedQuerySet):
    def restrict(self, user, action=access.VIEW, *, walk=False):
        """Attachments of the records ``user`` may see (``view``), or change (any other action).

        Decided by the record's own ``restrict``, so a record in the trash (or one whose client is)
        hides its attachments, and they come back with it.
        """
        from . import registry

        parent_action = access.VIEW if action == access.VIEW else access.CHANGE
        q = Q(pk__in=[])
        for model in registry.attachments:
            parents = model.objects.restrict(user, parent_action)
            q |= record_type_q(model) & Q(object_id__in=parents.values("pk"))
        return self.filter(q)


class AttachmentAliveManager(AliveManager.from_queryset(AttachmentQuerySet)):
    pass


class AttachmentAllManager(AllManager.from_queryset(AttachmentQuerySet)):
    pass


class Attachment(BaseModel):
    """A file attached to a record of a model registered with ``core.attachments.register_attachments``.

    Access follows the record (``AttachmentQuerySet.restrict``); the bytes live under
    MEDIA_ROOT/attachments/ and go out only through views that check it.
    """

    # Listed in the access matrix: a sales manager's attachments are those of their records.
    owner_scoped = True

    content_type = models.ForeignKey("contenttypes.ContentType", verbose_name=_("record type"),
                                     on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField(_("record"))
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=300)
    name = models.CharField(_("name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    mime_type = models.CharField(_("content type"), max_length=100, default="application/octet-stream")
    description = models.CharField(_("description"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    objects = AttachmentAliveManager()
    all_objects = AttachmentAllManager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_record")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        record = self.record
        return record.get_absolute_url() if record is not None else ""

    @property
    def record(self):
        """The record the file is attached to (trashed or not)."""
        model = self.content_type.model_class()
        return getattr(model, "all_objects", model._default_manager).filter(pk=self.object_id).first()

    @property
    def model_label(self):
        return f"{self.content_type.app_label}.{self.content_type.model}"

