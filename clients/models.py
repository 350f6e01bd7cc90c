"""The single client base (SPEC §1): counterparties, contact persons, contact information."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from core.builtin_names import Builtin, BuiltinNameField
from core.models import WALKING, AnyOf, BaseModel, EditUrlMixin, trash_index

from . import validators


class ReferenceModel(EditUrlMixin, BaseModel):
    """A short named list an administrator keeps (regions, industries, …)."""

    settings_model = True

    name = models.CharField(_("name"), max_length=150)
    description = models.CharField(_("description"), max_length=255, blank=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class CounterpartyGroup(ReferenceModel):
    edit_url_name = "clients:group_edit"

    parent = models.ForeignKey("self", verbose_name=_("parent group"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")

    class Meta(ReferenceModel.Meta):
        verbose_name = _("counterparty group")
        verbose_name_plural = _("counterparty groups")

    def clean(self):
        node, seen = self.parent, set()
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": _("A group cannot be inside itself.")})
            seen.add(node.pk)
            node = node.parent

    def ancestors(self):
        chain, node = [], self.parent
        while node is not None and len(chain) < 50:
            chain.insert(0, node)
            node = node.parent
        return chain

    def descendant_ids(self):
        """This group and all groups below it (the tree is small: one query per level)."""
        ids, frontier = {self.pk}, [self.pk]
        while frontier:
            frontier = list(
                CounterpartyGroup.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            frontier = [pk for pk in frontier if pk not in ids]
            ids.update(frontier)
        return ids

    def __str__(self):
        return " / ".join([a.name for a in self.ancestors()] + [self.name])


class RelationshipType(ReferenceModel):
    """How the company relates to a client (VIP, regular, …).

    The four built-in rows (created by migration 0005 on every install) have a ``code`` and a
    name shown in the reader's language until an administrator renames them (core.builtin_names)."""

    edit_url_name = "clients:reltype_edit"
    BUILTIN_NAMES = {
        "vip": Builtin(gettext_noop("VIP"), "VIP"),
        "regular": Builtin(gettext_noop("Regular"), "Постоянный"),
        "potential": Builtin(gettext_noop("Potential"), "Потенциальный"),
        "one_off": Builtin(gettext_noop("One-off"), "Разовый"),
    }

    name = BuiltinNameField(_("name"), max_length=150)
    code = models.SlugField(_("code"), max_length=30, blank=True, editable=False)

    class Meta(ReferenceModel.Meta):
        verbose_name = _("relationship type")
        verbose_name_plural = _("relationship types")

    @classmethod
    def ensure_builtin(cls):
        """The built-in rows by code (a wiped table, e.g. in tests, gets them back; trashed ones stay)."""
        return {code: cls.all_objects.get_or_create(code=code, defaults={"name": entry.msgid})[0]
                for code, entry in cls.BUILTIN_NAMES.items()}


class Region(ReferenceModel):
    edit_url_name = "clients:region_edit"

    class Meta(ReferenceModel.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class Industry(ReferenceModel):
    edit_url_name = "clients:industry_edit"

    class Meta(ReferenceModel.Meta):
        verbose_name = _("industry")
        verbose_name_plural = _("industries")


class CounterpartyKind(models.TextChoices):
    LEGAL = "legal", _("Legal entity")
    INDIVIDUAL = "individual", _("Individual")


class Country(models.TextChoices):
    RU = "RU", _("Russia")
    RO = "RO", _("Romania")
    MD = "MD", _("Moldova")
    OTHER = "XX", _("Other")


def counterparty_scope(user, path="counterparty"):
    """Rows about counterparties ``user`` manages or that are shared with them.

    ``path`` leads from the queried model to its counterparty ("" for Counterparty itself):
    the one definition of a sales manager's scope, used by every app.
    """
    if path and WALKING.get():
        # A query that stops after a few rows checks each walked row's counterparty by its key;
        # collecting the manager's ids (48 000 at a million clients) would cost more than the walk.
        shared = CounterpartyShare.objects.filter(user=user).values("counterparty_id")
        return Q(**{f"{path}__main_manager": user}) | Q(**{f"{path}__in": shared})
    if path:
        # Uncorrelated subqueries: the database builds the manager's few ids once and checks
        # each row against them, instead of joining every row to its counterparty.
        managed = Counterparty.all_objects.filter(main_manager=user).values("pk")
        shared = CounterpartyShare.objects.filter(user=user).values("counterparty_id")
        return Q(**{f"{path}__in": managed}) | Q(**{f"{path}__in": shared})
    # The manager's own by their index, the shared ones as an id array: a list in name order walks
    # the name index and stops after a page, a count reads only these rows (a bitmap OR).
    shared = CounterpartyShare.objects.filter(user=user).order_by().values("counterparty_id")
    return Q(main_manager=user) | AnyOf(F("pk"), shared)


class OwnedByCounterparty(BaseModel):
    """Rows a sales manager may see because they manage (or share) the counterparty."""

    owner_scoped = True
    counterparty_path = "counterparty__"

    class Meta:
        abstract = True

    @classmethod
    def own_q(cls, user):
        return counterparty_scope(user, cls.counterparty_path.removesuffix("__"))

    @classmethod
    def visible_filter(cls, qs):
        if cls.counterparty_path:
            return qs.filter(**{f"{cls.counterparty_path}deleted_at__isnull": True})
        return qs


class CounterpartyShare(models.Model):
    """A counterparty opened to a user other than its main manager.

    Declared before Counterparty: its history keeps the shares (``shared_with``), which needs
    the through model resolved when Counterparty is prepared.
    """

    counterparty = models.ForeignKey("Counterparty", on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="counterparty_shares")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["counterparty", "user"], name="counterparty_share_unique")
        ]
        indexes = [models.Index(fields=["user", "counterparty"], name="share_user_cp")]

    def __str__(self):
        return f"{self.counterparty} → {self.user}"


class Counterparty(OwnedByCounterparty):
    counterparty_path = ""

    kind = models.CharField(_("kind"), max_length=10, choices=CounterpartyKind.choices,
                            default=CounterpartyKind.LEGAL)
    name = models.CharField(_("name"), max_length=200)
    full_name = models.CharField(_("full name"), max_length=500, blank=True)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices, default=Country.RU)
    tax_id = models.CharField(_("tax id (INN / CUI / IDNO)"), max_length=20, blank=True, db_index=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True)
    okpo = models.CharField(_("OKPO"), max_length=10, blank=True)
    group = models.ForeignKey(CounterpartyGroup, verbose_name=_("group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="counterparties")
    relationship_type = models.ForeignKey(
        RelationshipType, verbose_name=_("relationship type"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="counterparties",
    )
    main_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("main manager"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="managed_counterparties",
    )
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through=CounterpartyShare, blank=True,
        related_name="shared_counterparties", verbose_name=_("shared with"),
    )
    _history_m2m_fields = ("shared_with",)  # sharing shows in the card's history
    region = models.ForeignKey(Region, verbose_name=_("region"), null=True, blank=True,
                               on_delete=models.PROTECT)
    city = models.CharField(_("city"), max_length=100, blank=True)
    industry = models.ForeignKey(Industry, verbose_name=_("industry"), null=True, blank=True,
                                 on_delete=models.PROTECT)
    industry_segment = models.CharField(_("industry segment"), max_length=100, blank=True)
    registered_on = models.DateField(_("registration date"), null=True, blank=True)
    is_client = models.BooleanField(_("client"), default=True)
    is_supplier = models.BooleanField(_("supplier"), default=False)
    is_partner = models.BooleanField(_("partner"), default=False)
    is_competitor = models.BooleanField(_("competitor"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    # Supplier terms (SPEC §1 "Suppliers").
    delivery_terms = models.TextField(_("delivery terms"), blank=True)
    reliability = models.PositiveSmallIntegerField(
        _("reliability (1–5)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    lead_time_days = models.PositiveIntegerField(_("typical lead time, days"), null=True, blank=True)
    properties = models.JSONField(_("additional properties"), default=dict, blank=True)
    # Lower-cased names, tax id, phone digits, emails and contact names: one column to scan.
    search_text = models.TextField(default="", blank=True, editable=False)
    # Set when this record was merged into another one (it is then in the trash): clients.merge.
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True,
                                    editable=False, on_delete=models.SET_NULL, related_name="merged_from")

    class Meta:
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="cp_name_id"),
            # The few competitors (filters and links of the knowledge base, the competitor reports).
            models.Index(fields=["name", "id"], name="cp_competitor_name_id", condition=Q(is_competitor=True)),
            models.Index(fields=["main_manager", "name", "id"], name="cp_manager_name_id"),
            models.Index(fields=["-created_at", "-id"], name="cp_created_id"),
            models.Index(fields=["city", "id"], name="cp_city_id"),
            trash_index("cp_trashed"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clients:counterparty", args=[self.pk])

    @property
    def trash_link(self):
        """(text, url) the trash shows beside a merged record: the record it was merged into."""
        if self.merged_into_id is None:
            return None
        return (_("merged into “%(name)s”") % {"name": self.merged_into},
                reverse("clients:counterparty", args=[self.merged_into_id]))

    def restore(self):
        # Restored, it is a client of its own again: what was moved to the survivor stays there.
        self.merged_into = None
        super().restore()

    def clean(self):
        errors = {}
        checks = {
            "tax_id": lambda: validators.clean_tax_id(self.tax_id, self.country, self.kind),
            "kpp": lambda: validators.clean_kpp(self.kpp),
            "ogrn": lambda: validators.clean_ogrn(self.ogrn, self.kind),
            "okpo": lambda: validators.clean_okpo(self.okpo),
        }
        for field, check in checks.items():
            try:
                setattr(self, field, check())
            except ValidationError as exc:
                errors[field] = exc.messages
        if self.kpp and self.kind != CounterpartyKind.LEGAL:
            errors.setdefault("kpp", []).append(_("Only legal entities have a KPP."))
        if self.country != Country.RU and (self.kpp or self.ogrn or self.okpo):
            errors.setdefault("kpp", []).append(_("KPP, OGRN and OKPO are Russian codes."))
        if errors:
            raise ValidationError(errors)


class ReachBy(models.TextChoices):
    ANY = "", _("Any way")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    MESSENGER = "messenger", _("Messenger")
    MEETING = "meeting", _("In person")


class ContactPerson(OwnedByCounterparty):
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("counterparty"),
                                     on_delete=models.CASCADE, related_name="contact_persons")
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="responsible_contacts",
    )
    linked_from = models.DateField(_("link started"), null=True, blank=True)
    linked_to = models.DateField(_("link ended"), null=True, blank=True)
    reach_by = models.CharField(_("how to reach"), max_length=10, choices=ReachBy.choices,
                                blank=True, default="")
    notes = models.TextField(_("notes"), blank=True)
    properties = models.JSONField(_("additional properties"), default=dict, blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["counterparty", "last_name"], name="person_cp_name"),
            # The contact-persons list in its order (name, id): its first page (and the next, keyset) reads
            # 50 entries of this index instead of sorting every person.
            models.Index(fields=["last_name", "id"], condition=Q(deleted_at__isnull=True),
                         name="person_name_alive"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    def get_absolute_url(self):
        return reverse("clients:counterparty", args=[self.counterparty_id]) + "?tab=persons"

    def clean(self):
        if self.linked_from and self.linked_to and self.linked_to < self.linked_from:
            raise ValidationError({"linked_to": _("The link cannot end before it started.")})


class ContactKind(models.TextChoices):
    LEGAL_ADDRESS = "legal_address", _("Legal address")
    ACTUAL_ADDRESS = "actual_address", _("Actual address")
    PHONE = "phone", _("Phone")
    MOBILE = "mobile", _("Mobile phone")
    FAX = "fax", _("Fax")
    EMAIL = "email", _("Email")
    WEBSITE = "website", _("Website")
    MESSENGER = "messenger", _("Messenger")
    SOCIAL = "social", _("Social network")
    OTHER = "other", _("Other")


PHONE_KINDS = {ContactKind.PHONE, ContactKind.MOBILE, ContactKind.FAX}


class ContactInfo(OwnedByCounterparty):
    """One typed piece of contact information of a counterparty or of its contact person."""

    counterparty = models.ForeignKey(Counterparty, verbose_name=_("counterparty"),
                                     on_delete=models.CASCADE, related_name="contact_info")
    contact_person = models.ForeignKey(ContactPerson, verbose_name=_("contact person"), null=True,
                                       blank=True, on_delete=models.CASCADE, related_name="contact_info")
    kind = models.CharField(_("type"), max_length=20, choices=ContactKind.choices)
    value = models.CharField(_("value"), max_length=500)
    comment = models.CharField(_("comment"), max_length=200, blank=True)
    # Consent to mailings on this address or phone (SPEC §6): given on a date, from a source;
    # an unsubscribe link sets opted_out_at on every row with the same address.
    consent_date = models.DateField(_("consent to mailings"), null=True, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=200, blank=True)
    opted_out_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("contact information")
        verbose_name_plural = _("contact information")
        ordering = ["kind", "id"]
        indexes = [models.Index(fields=["value"], name="contactinfo_value")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.display_value}"

    @property
    def display_value(self):
        return validators.format_phone(self.value) if self.kind in PHONE_KINDS else self.value

    def clean(self):
        self.value = (self.value or "").strip()
        if not self.value:
            raise ValidationError({"value": _("Enter a value.")})
        try:
            if self.kind in PHONE_KINDS:
                self.value = validators.normalize_phone(self.value)
            elif self.kind == ContactKind.EMAIL:
                self.value = validators.normalize_email(self.value)
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None
        if self.contact_person_id and self.counterparty_id and (
            self.contact_person.counterparty_id != self.counterparty_id
        ):
            raise ValidationError({"contact_person": _("This person works for another counterparty.")})
        self.clean_consent()

    CONSENT_KINDS = frozenset({ContactKind.EMAIL, ContactKind.MOBILE, ContactKind.PHONE})

    def clean_consent(self):
        if self.consent_date is None:
            if self.consent_source:
                raise ValidationError({"consent_date": _("Enter the date the consent was given.")})
            return
        if self.kind not in self.CONSENT_KINDS:
            raise ValidationError({"consent_date": _("Consent to mailings is kept for email addresses and phones.")})
        if self.consent_date > timezone.localdate():
            raise ValidationError({"consent_date": _("The consent date cannot be in the future.")})
        if not self.consent_source.strip():
            raise ValidationError({"consent_source": _("Say where the consent comes from (a signed form, "
                                                       "the web site, a call…).")})
        if self.opted_out_at and self.consent_date > timezone.localtime(self.opted_out_at).date():
            self.opted_out_at = None  # consent given again, on a later day than the unsubscribe

    @property
    def may_mail(self):
        return self.consent_date is not None and self.opted_out_at is None


class SuppliedItem(OwnedByCounterparty):
    """An item a supplier delivers, with its price."""

    counterparty = models.ForeignKey(Counterparty, verbose_name=_("supplier"),
                                     on_delete=models.CASCADE, related_name="supplied_items")
    name = models.CharField(_("item"), max_length=200)
    sku = models.CharField(_("article"), max_length=50, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True, default="шт")
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    lead_time_days = models.PositiveIntegerField(_("lead time, days"), null=True, blank=True)

    class Meta:
        verbose_name = _("supplied item")
        verbose_name_plural = _("supplied items")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class DuplicatePair(models.Model):
    """Two counterparties that look like one, found by the scan of the whole base (clients.duplicates).

    Derived data, rebuilt by every scan; ``dismissed_at`` ("not duplicates") survives the scans
    and hides the pair for good. ``first`` is always the lower id.
    """

    first = models.ForeignKey(Counterparty, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Counterparty, on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(_("reasons"), default=list)
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    found_at = models.DateTimeField(_("found"), default=timezone.now)
    dismissed_at = models.DateTimeField(_("marked “not duplicates”"), null=True, blank=True)
    dismissed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicatepair_unique"),
            models.CheckConstraint(condition=Q(first__lt=models.F("second")), name="duplicatepair_ordered"),
        ]
        indexes = [
            # The page: open pairs, best first (keyset on score, id).
            models.Index(fields=["-score", "id"], name="duplicatepair_open",
                         condition=Q(dismissed_at__isnull=True)),
            models.Index(fields=["second"], name="duplicatepair_second"),
        ]

    def __str__(self):
        return f"{self.first_id} ~ {self.second_id}"


class DuplicateScan(models.Model):
    """One run of the duplicate scan: when, by whom, how long, how many pairs."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    clients = models.PositiveIntegerField(_("clients"), default=0)
    pairs = models.PositiveIntegerField(_("pairs"), default=0)
    seconds = models.FloatField(_("duration, s"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.status}"
