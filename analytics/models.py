"""Client analysis (SPEC §5): ABC, relationship stages, XYZ, early warning, sales plans.

A run (``AnalysisRun``) stores its parameters and one ``ClientAnalysis`` row per client; the
newest finished run is mirrored into ``Classification`` (one row per client) which the client
list, card and filters read. A head's ``ClassOverride`` wins over the computed value in every
run until it is removed. Definitions: docs/analytics.md.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import Counterparty, counterparty_scope
from core.models import BaseModel, RestrictedQuerySet, not_trashed

USER = settings.AUTH_USER_MODEL
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class ABC(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class XYZ(models.TextChoices):
    X = "X", "X"
    Y = "Y", "Y"
    Z = "Z", "Z"


class Stage(models.TextChoices):
    # A context: "Lost" of a deal is another word in Russian and Romanian.
    POTENTIAL = "potential", pgettext_lazy("client", "Potential")
    ONE_TIME = "one_time", pgettext_lazy("client", "One-time")
    REGULAR = "regular", pgettext_lazy("client", "Regular")
    LOST = "lost", pgettext_lazy("client", "Lost")


# Higher is better: what "a drop" and the arrows compare ("" = no class, below C).
ABC_RANK = {"A": 3, "B": 2, "C": 1, "": 0, None: 0}
STAGE_RANK = {"regular": 3, "one_time": 2, "potential": 1, "lost": 0}
XYZ_RANK = {"X": 3, "Y": 2, "Z": 1, "": 0, None: 0}


class Measure(models.TextChoices):
    REVENUE = "revenue", _("Revenue")
    PROFIT = "profit", _("Profit")
    MARGIN = "margin", _("Margin, %")


class RiskReason(models.TextChoices):
    NO_CONTACT = "no_contact", _("No contact")
    OVERDUE = "overdue", _("Purchase overdue")
    STAGE_DROP = "stage_drop", _("Stage dropped")
    CLASS_DROP = "class_drop", _("Class dropped")
    SALES_DROP = "sales_drop", _("Sales down on a year ago")


class Indicator(models.TextChoices):
    """Manager performance indicators (seed 000); weights live in AnalysisSettings.kpi_weights."""

    COMPLETENESS = "completeness", _("Contact information completeness")
    CONTACTS = "contacts", _("Contacts done")
    STAGE_UPS = "stage_ups", _("Client stage ups")
    STAGE_DOWNS = "stage_downs", _("Client stage downs")
    RETENTION = "retention", _("Retention coefficient (lost ÷ all)")
    ORDERS = "orders", _("Completed orders")
    REVENUE = "revenue", _("Revenue")
    PROFIT = "profit", _("Profit")
    PAYMENTS = "payments", _("Payments")


DEFAULT_KPI_WEIGHTS = {
    "completeness": 1, "contacts": 1, "stage_ups": 1, "stage_downs": -1, "retention": -1,
    "orders": 1, "revenue": 2, "profit": 1, "payments": 1,
}


def default_kpi_weights():
    return dict(DEFAULT_KPI_WEIGHTS)


def amount_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=2, default=Decimal("0"), **kwargs)


def threshold_field(verbose_name, default, **kwargs):
    return models.DecimalField(verbose_name, max_digits=6, decimal_places=2, default=Decimal(default),
                               validators=PERCENT, **kwargs)


class AnalysisSettings(BaseModel):
    """The company's analysis parameters: one row (``AnalysisSettings.load()``), kept in history."""

    settings_model = True

    currency = models.CharField(_("currency"), max_length=3, blank=True,
                                help_text=_("Empty: the company currency."))
    period_months = models.PositiveSmallIntegerField(
        _("ABC period, months"), default=12, validators=[MinValueValidator(1), MaxValueValidator(60)])
    measure = models.CharField(_("ABC measure"), max_length=10, choices=Measure.choices, default=Measure.REVENUE)
    a_threshold = threshold_field(_("class A up to, %"), "80")
    b_threshold = threshold_field(_("class B up to, %"), "95")
    lost_days = models.PositiveIntegerField(_("lost after, days without a purchase"), default=180,
                                            validators=[MinValueValidator(1), MaxValueValidator(3650)])
    x_threshold = threshold_field(_("X up to, % variation"), "10", )
    y_threshold = threshold_field(_("Y up to, % variation"), "25")
    # Early warning
    no_contact_days = models.PositiveIntegerField(
        _("A/B client without contact, days"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)])
    interval_factor = models.DecimalField(
        _("purchase overdue at usual interval ×"), max_digits=4, decimal_places=2, default=Decimal("1.5"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("10"))])
    sales_drop_pct = threshold_field(_("sales down on a year ago by, %"), "30")
    sales_drop_months = models.PositiveSmallIntegerField(
        _("sales compared over the last, months"), default=3,
        validators=[MinValueValidator(1), MaxValueValidator(12)])
    nightly = models.BooleanField(_("run every night"), default=True)
    keep_runs = models.PositiveSmallIntegerField(_("runs kept"), default=30,
                                                 validators=[MinValueValidator(2), MaxValueValidator(400)])
    kpi_weights = models.JSONField(_("indicator weights"), default=default_kpi_weights, blank=True)

    class Meta:
        verbose_name = _("analysis settings")
        verbose_name_plural = _("analysis settings")

    def __str__(self):
        return str(_("Analysis settings"))

    def get_absolute_url(self):
        return reverse("analytics:settings")

    def clean(self):
        if self.a_threshold is not None and self.b_threshold is not None and self.a_threshold >= self.b_threshold:
            raise ValidationError({"b_threshold": _("Must be above the class A threshold.")})
        if self.x_threshold is not None and self.y_threshold is not None and self.x_threshold >= self.y_threshold:
            raise ValidationError({"y_threshold": _("Must be above the X threshold.")})

    @classmethod
    def load(cls):
        obj = cls.objects.order_by("pk").first()
        return obj if obj is not None else cls.objects.create()

    @property
    def analysis_currency(self):
        return self.currency or settings.KLIENTURA_CURRENCY

    def weights(self):
        """{indicator: weight} of the indicators that count (weight ≠ 0)."""
        stored = self.kpi_weights or {}
        return {code: Decimal(str(stored.get(code, DEFAULT_KPI_WEIGHTS[code]))) for code in Indicator.values
                if Decimal(str(stored.get(code, DEFAULT_KPI_WEIGHTS[code]))) != 0}


class CounterpartyRows(RestrictedQuerySet):
    pass


class ScopedByCounterparty(models.Model):
    """Derived rows about a client: a manager sees those of their clients (never edited).

    Written 100 000 at a time by the engine, so their foreign keys have no database constraint
    (PostgreSQL would check each row at commit); deleting a client, run or user still cascades
    or nulls them through Django.
    """

    owner_scoped = True
    settings_model = False
    derived = True  # recomputed by each run: no trash, no version, no history

    objects = CounterpartyRows.as_manager()
    all_objects = CounterpartyRows.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def own_q(cls, user):
        return counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("counterparty", Counterparty))


class AnalysisRun(models.Model):
    """One computation of ABC, stages, XYZ and early warning at ``analysis_date``."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    owner_scoped = False
    settings_model = False

    analysis_date = models.DateField(_("analysis date"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    measure = models.CharField(_("ABC measure"), max_length=10, choices=Measure.choices, default=Measure.REVENUE)
    currency = models.CharField(_("currency"), max_length=3)
    # Thresholds and early-warning settings used (AnalysisSettings' fields at the start).
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    progress = models.PositiveSmallIntegerField(_("progress, %"), default=0)
    step = models.CharField(_("step"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    nightly = models.BooleanField(_("nightly"), default=False)
    started_by = models.ForeignKey(USER, verbose_name=_("started by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, db_index=True)
    previous = models.ForeignKey("self", verbose_name=_("previous run"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    # Totals and the note on what was left out.
    clients = models.PositiveIntegerField(_("clients"), default=0)
    total = amount_field(_("total of the measure"))
    skipped = models.JSONField(_("left out (other currencies)"), default=dict, blank=True)
    # {"abc": {"A": n, …}, "stage": {…}, "xyz": {…}}: clients per effective class when published.
    counts = models.JSONField(_("clients per class"), default=dict, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")
        ordering = ["-id"]

    def __str__(self):
        return _("Analysis of %(date)s") % {"date": self.analysis_date}

    def get_absolute_url(self):
        return reverse("analytics:run", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return Q()

    @classmethod
    def visible_filter(cls, qs):
        return qs

    @classmethod
    def current(cls):
        """The newest finished run (what the client list and reports show), or None."""
        return cls.objects.filter(status=cls.Status.DONE).order_by("-finished_at", "-id").first()


class ClientAnalysis(ScopedByCounterparty):
    """A client's figures and classes in one run; ``*_prev`` are the previous run's (effective)."""

    # The composite indexes below lead with the run and with the client: no single-column ones.
    run = models.ForeignKey(AnalysisRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="rows",
                            db_index=False, db_constraint=False)
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="analysis_rows", db_index=False, db_constraint=False)
    main_manager = models.ForeignKey(USER, verbose_name=_("main manager"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+", db_index=False, db_constraint=False)
    revenue = amount_field(_("revenue"))
    cost = amount_field(_("cost"))
    profit = amount_field(_("profit"))
    measure = models.DecimalField(_("measure"), max_digits=20, decimal_places=4, default=Decimal("0"))
    share = models.DecimalField(_("share, %"), max_digits=9, decimal_places=4, null=True, blank=True)
    share_before = models.DecimalField(_("running share before, %"), max_digits=9, decimal_places=4,
                                       null=True, blank=True)
    rank = models.PositiveIntegerField(_("place"), null=True, blank=True)
    abc = models.CharField(_("ABC class (computed)"), max_length=1, choices=ABC.choices, blank=True)
    stage = models.CharField(_("relationship stage (computed)"), max_length=10, choices=Stage.choices)
    xyz = models.CharField(_("XYZ class (computed)"), max_length=1, choices=XYZ.choices, blank=True)
    cv = models.DecimalField(_("variation, %"), max_digits=12, decimal_places=2, null=True, blank=True)
    purchases = models.PositiveIntegerField(_("purchases"), default=0)
    first_purchase = models.DateField(_("first purchase"), null=True, blank=True)
    last_purchase = models.DateField(_("last purchase"), null=True, blank=True)
    median_interval = models.PositiveIntegerField(_("usual interval, days"), null=True, blank=True)
    last_contact = models.DateField(_("last contact"), null=True, blank=True)
    recent_sales = amount_field(_("sales, recent months"))
    year_ago_sales = amount_field(_("sales, same months a year ago"))
    # Effective values: the override if any, else the computed ones.
    abc_effective = models.CharField(_("ABC class"), max_length=1, choices=ABC.choices, blank=True)
    stage_effective = models.CharField(_("relationship stage"), max_length=10, choices=Stage.choices)
    xyz_effective = models.CharField(_("XYZ class"), max_length=1, choices=XYZ.choices, blank=True)
    # The previous run's effective values; NULL: the client was not in that run ("new").
    abc_prev = models.CharField(_("previous ABC class"), max_length=1, null=True, blank=True)
    stage_prev = models.CharField(_("previous stage"), max_length=10, null=True, blank=True)
    xyz_prev = models.CharField(_("previous XYZ class"), max_length=1, null=True, blank=True)

    class Meta:
        verbose_name = _("client analysis")
        verbose_name_plural = _("client analysis")
        ordering = ["run", "rank", "counterparty"]
        # Few indexes: a run writes 100 000 rows at once. All lead with the run, so a run's rows
        # land in fresh index pages (a client-first key scattered them over every run's pages).
        constraints = [models.UniqueConstraint(fields=["run", "counterparty"], name="clientanalysis_unique")]
        indexes = [
            # Covers the class × stage × XYZ matrices and the ABC totals, also within a manager's
            # clients: index-only GROUP BYs over a run (SQLite read the rows: ABC page 200 → 85 ms).
            # The client before the sums: a unique key ends the comparisons of equal classes there
            # (a run's build of it on PostgreSQL: 0.43 → 0.3 s at 100 000 clients).
            models.Index(fields=["run", "abc_effective", "stage_effective", "xyz_effective", "stage_prev", "abc_prev",
                                 "xyz_prev", "counterparty", "revenue", "measure", "profit", "rank"],
                         name="clientanalysis_run_classes"),
            # In place order, with what the list of changed classes filters on (read in the index
            # until a page is found, instead of fetching every row of the run).
            models.Index(fields=["run", "rank", "counterparty", "abc_effective", "abc_prev", "stage_effective",
                                 "stage_prev", "xyz_effective", "xyz_prev"], name="clientanalysis_run_rank"),
        ]

    def __str__(self):
        return f"{self.counterparty} · {self.run}"


class Classification(ScopedByCounterparty):
    """A client's current classes (the newest finished run with overrides applied).

    No index on the classes: a few values over the whole base, and the client list reads them
    in name order (probing this table by its key beats sorting thousands of "A" clients).
    No run either: a run publishes only the rows that changed, most of them stay as they were.
    """

    counterparty = models.OneToOneField(Counterparty, verbose_name=_("client"), primary_key=True,
                                        on_delete=models.CASCADE, related_name="classification", db_constraint=False)
    abc = models.CharField(_("ABC class"), max_length=1, choices=ABC.choices, blank=True)
    stage = models.CharField(_("relationship stage"), max_length=10, choices=Stage.choices)
    xyz = models.CharField(_("XYZ class"), max_length=1, choices=XYZ.choices, blank=True)
    abc_prev = models.CharField(_("previous ABC class"), max_length=1, null=True, blank=True)
    stage_prev = models.CharField(_("previous stage"), max_length=10, null=True, blank=True)
    xyz_prev = models.CharField(_("previous XYZ class"), max_length=1, null=True, blank=True)
    overridden = models.BooleanField(_("overridden"), default=False)

    class Meta:
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")

    def __str__(self):
        return f"{self.counterparty}: {self.abc or '—'} / {self.get_stage_display()} / {self.xyz or '—'}"


class ClassOverride(BaseModel):
    """A head's decision on a client's class or stage, kept across runs (with history)."""

    owner_scoped = True
    head_managed = True  # managers see their clients' overrides; only heads write them (core.access.can)

    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="class_overrides")
    abc = models.CharField(_("ABC class"), max_length=1, choices=ABC.choices, blank=True)
    stage = models.CharField(_("relationship stage"), max_length=10, choices=Stage.choices, blank=True)
    xyz = models.CharField(_("XYZ class"), max_length=1, choices=XYZ.choices, blank=True)
    reason = models.TextField(_("reason"))
    set_by = models.ForeignKey(USER, verbose_name=_("set by"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", editable=False)

    class Meta:
        verbose_name = _("class override")
        verbose_name_plural = _("class overrides")
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["counterparty"], condition=Q(deleted_at__isnull=True),
                                               name="classoverride_one_live")]

    def __str__(self):
        return _("Override for %(client)s") % {"client": self.counterparty}

    def get_absolute_url(self):
        return reverse("clients:counterparty", args=[self.counterparty_id])

    @classmethod
    def own_q(cls, user):
        return counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("counterparty", Counterparty))

    def clean(self):
        if not (self.abc or self.stage or self.xyz):
            raise ValidationError({"abc": _("Choose a class or a stage to set.")})
        if not (self.reason or "").strip():
            raise ValidationError({"reason": _("Say why.")})


class RiskFlag(ScopedByCounterparty):
    """A reason a client is at risk, found by a run (early warning, seed 000)."""

    run = models.ForeignKey(AnalysisRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="risks",
                            db_index=False, db_constraint=False)  # the unique constraint leads with it
    # No single-column indexes: every read names the run, and the two below lead with it.
    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="risk_flags", db_index=False, db_constraint=False)
    main_manager = models.ForeignKey(USER, verbose_name=_("main manager"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+", db_index=False,
                                     db_constraint=False)
    reason = models.CharField(_("reason"), max_length=12, choices=RiskReason.choices)
    # Figures behind the reason: days, the usual interval, the drop in %, from / to classes.
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["run", "counterparty", "reason"]
        constraints = [models.UniqueConstraint(fields=["run", "counterparty", "reason"], name="riskflag_unique")]
        indexes = [models.Index(fields=["run", "main_manager"], name="riskflag_run_manager")]

    def __str__(self):
        return f"{self.counterparty}: {self.get_reason_display()}"


class SalesPlan(BaseModel):
    """A manager's monthly targets (seeds 002, 004): revenue, new clients, contacts."""

    owner_scoped = True
    head_managed = True  # heads set the plans; a manager only reads their own (core.access.can)

    manager = models.ForeignKey(USER, verbose_name=_("manager"), on_delete=models.PROTECT, related_name="sales_plans")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    revenue = amount_field(_("revenue"), validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(_("currency"), max_length=3, default="")
    new_clients = models.PositiveIntegerField(_("new clients"), default=0)
    contacts = models.PositiveIntegerField(_("contacts"), default=0)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("sales plan")
        verbose_name_plural = _("sales plans")
        ordering = ["-month", "manager"]
        constraints = [models.UniqueConstraint(fields=["manager", "month"], condition=Q(deleted_at__isnull=True),
                                               name="salesplan_unique_month")]

    def __str__(self):
        return _("Plan of %(manager)s for %(month)s") % {"manager": self.manager, "month": self.month.strftime("%m.%Y")}

    def get_absolute_url(self):
        return reverse("analytics:plan_edit", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return Q(manager=user)

    def clean(self):
        if self.month and self.month.day != 1:
            self.month = self.month.replace(day=1)
        if not self.currency:
            self.currency = settings.KLIENTURA_CURRENCY
