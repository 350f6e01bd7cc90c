"""Pipelines and stages, deals with lines and stage history, stage rules (SPEC §4)."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from activities.models import Task, counterparty_scope
from clients.models import Counterparty
from core.access import Role
from core.builtin_names import BuiltinNameField
from core.models import BaseModel, EditUrlMixin, not_trashed, trash_index
from core.rollups import KeptByDatabase, key_to

from .. import defaults
from .products import catalog_label

USER = settings.AUTH_USER_MODEL
PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
POSITIVE = [MinValueValidator(Decimal("0.001"))]
NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


def default_currency():
    return settings.KLIENTURA_CURRENCY


class Pipeline(BaseModel):
    """A sales process (воронка); administrators configure pipelines and their stages.

    Built-in rows (created by the data migrations, see sales.defaults) have a ``code`` and a name
    shown in the reader's language until an administrator renames them; a renamed row shows its
    custom name as typed in every language (core.builtin_names: str(), forms, board, reports,
    exports and the API all read ``name``; queries see the stored msgid)."""

    settings_model = True
    BUILTIN_NAMES = defaults.PIPELINES

    name = BuiltinNameField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=30, blank=True, editable=False)
    is_default = models.BooleanField(_("default"), default=False)
    order = models.PositiveIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("sales:board", args=[self.pk])

    @classmethod
    def default(cls):
        return cls.objects.order_by("-is_default", "order", "pk").first()

    @classmethod
    def ensure_default(cls):
        """The default pipeline (the migration creates it; a wiped database gets it back)."""
        defaults.create_defaults(cls, Stage, LostReason)
        return cls.default()

    def first_stage(self):
        return self.stages.filter(kind=Stage.Kind.OPEN).order_by("order", "pk").first()


class Stage(BaseModel):
    """A step of a pipeline.

    Built-in rows (created by the data migrations, see sales.defaults) have a ``code`` and a name
    shown in the reader's language until an administrator renames them; a renamed row shows its
    custom name as typed in every language (core.builtin_names: str(), forms, board, reports,
    exports and the API all read ``name``; queries see the stored msgid)."""

    class Kind(models.TextChoices):
        OPEN = "open", _("In progress")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    settings_model = True
    BUILTIN_NAMES = defaults.STAGE_NAMES

    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE,
                                 related_name="stages")
    name = BuiltinNameField(_("name"), max_length=150)
    code = models.SlugField(_("code"), max_length=30, blank=True, editable=False)
    order = models.PositiveIntegerField(_("order"), default=100)
    probability = models.PositiveSmallIntegerField(_("probability, %"), default=0, validators=PERCENT)
    kind = models.CharField(pgettext_lazy("stage", "kind"), max_length=5, choices=Kind.choices, default=Kind.OPEN)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "order", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("sales:stage_edit", args=[self.pk])

    @property
    def is_closed(self):
        return self.kind != self.Kind.OPEN

    def save(self, *args, **kwargs):
        before = None
        if self.pk and not self._state.adding:
            before = type(self).all_objects.filter(pk=self.pk).values("pipeline_id", "order", "kind").first()
        result = super().save(*args, **kwargs)
        if before and (before["pipeline_id"], before["order"], before["kind"]) != (
                self.pipeline_id, self.order, self.kind):
            from ..services.aggregates import refresh_furthest_before, refresh_furthest_stage

            # Another order or kind may change which stage is any deal's furthest (rare: settings).
            pipelines = {before["pipeline_id"], self.pipeline_id}
            refresh_furthest_stage(Deal.all_objects.filter(stage__pipeline__in=pipelines))
            refresh_furthest_before(StageChange.objects.filter(to_stage__pipeline__in=pipelines))
        return result


class Reason(EditUrlMixin, BaseModel):
    """A reference list of reasons the administrator keeps, in their own order.

    Built-in rows (created by the data migrations, see sales.defaults) have a ``code`` and a name
    shown in the reader's language until an administrator renames them; a renamed row shows its
    custom name as typed in every language (core.builtin_names: str(), forms, board, reports,
    exports and the API all read ``name``; queries see the stored msgid)."""

    settings_model = True
    BUILTIN_NAMES = {}

    name = BuiltinNameField(_("name"), max_length=150)
    code = models.SlugField(_("code"), max_length=30, blank=True, editable=False)
    order = models.PositiveIntegerField(_("order"), default=100)

    class Meta:
        abstract = True
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class LostReason(Reason):
    """Why deals are lost."""

    edit_url_name = "sales:lostreason_edit"
    BUILTIN_NAMES = defaults.LOST_REASON_NAMES

    class Meta(Reason.Meta):
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")


class LeadSource(Reason):
    """Where a deal came from (источник обращения)."""

    edit_url_name = "sales:leadsource_edit"
    BUILTIN_NAMES = defaults.LEAD_SOURCE_NAMES

    class Meta(Reason.Meta):
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")


class Deal(BaseModel):
    """A sale in progress (сделка): moves through the stages of a pipeline."""

    owner_scoped = True

    counterparty = models.ForeignKey(Counterparty, verbose_name=_("client"), on_delete=models.CASCADE,
                                     related_name="deals")
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2, default=Decimal("0"),
                                 validators=NON_NEGATIVE)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    # Empty means "the stage's probability" (filled in on save); editable per deal.
    probability = models.PositiveSmallIntegerField(_("probability, %"), null=True, blank=True,
                                                   validators=PERCENT)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    responsible = models.ForeignKey(USER, verbose_name=_("responsible"), on_delete=models.PROTECT,
                                    related_name="deals")
    lead_source = models.ForeignKey(LeadSource, verbose_name=_("lead source"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals")
    lost_reason = models.ForeignKey(LostReason, verbose_name=_("lost reason"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="deals")
    result_comment = models.TextField(_("won / lost comment"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    # The furthest non-lost stage of its pipeline the deal has been in (now or in its history),
    # kept by sales.services.aggregates: the funnel counts "reached stage N" from it instead of
    # walking the stage history. Empty when the deal has only been in lost stages.
    furthest_stage = models.ForeignKey(Stage, verbose_name=_("furthest stage reached"), null=True, blank=True,
                                       editable=False, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "deleted_at"], name="deal_stage"),
            models.Index(fields=["responsible", "stage"], name="deal_responsible_stage"),
            models.Index(fields=["stage", "-updated_at", "-id"], name="deal_stage_updated"),  # board cards
            trash_index("deal_trashed"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("sales:deal_edit", args=[self.pk])

    @classmethod
    def own_q(cls, user):
        return Q(responsible=user) | counterparty_scope(user)

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("counterparty", Counterparty))

    def clean(self):
        if self.stage_id and self.stage.kind != Stage.Kind.LOST and self.lost_reason_id:
            raise ValidationError({"lost_reason": _("A lost reason is only for lost deals.")})

    def save(self, *args, **kwargs):
        if self.stage_id:
            if self.probability is None:
                self.probability = self.stage.probability
            # However the stage was set (board, form, API), a closed deal knows when it closed.
            if not self.stage.is_closed:
                self.closed_at = None
            elif self.closed_at is None:
                self.closed_at = timezone.now()
        if self.pk:
            from ..services.deals import lines_total

            # With product lines the amount is their sum, whatever the form or the API sent.
            total = lines_total(self.pk)
            if total is not None:
                self.amount = total
        stage_set = self._state.adding or self.stage_id != getattr(self, "_stage_at_load", None)
        result = super().save(*args, **kwargs)
        if stage_set and self.stage_id:
            from ..services.aggregates import furthest_after_entering

            furthest_after_entering(self)  # the new stage may be the furthest reached
        self._stage_at_load = self.stage_id
        return result

    @classmethod
    def from_db(cls, db, field_names, values):
        deal = super().from_db(db, field_names, values)
        deal._stage_at_load = deal.__dict__.get("stage_id")  # save() refreshes the aggregates on a move
        return deal

    @property
    def has_lines(self):
        return bool(self.pk) and self.lines.exists()


NO_DATE = datetime.date(1, 1, 1)  # DealTotal's month of deals without an expected close date


class OwnedTotals(KeptByDatabase):
    """The columns of the sales rollups that a sales manager's figures come from too: the
    responsible and the client's main manager (0: none; kept when the client changes hands), and
    the number of rows summed."""

    responsible = key_to(USER)
    client_manager = models.IntegerField()
    count = models.IntegerField()

    class Meta:
        abstract = True


class DealTotal(OwnedTotals):
    """Deals per stage, currency, month of the expected close, responsible and client's main
    manager, kept by database triggers (``core.rollups``, declared in ``sales.rollups``): the
    board's column totals, the dashboard's open deals by stage and its expected sales read a few
    hundred rows instead of every deal, for a head and for a sales manager alike. Deals in the
    trash are left out; those of a client in the trash are not (readers take them off).
    ``weighted`` sums amount × the deal's own probability; ``unweighted`` sums the amounts of deals
    that take their stage's probability, so a stage's new probability needs no rewrite."""

    pk = models.CompositePrimaryKey("stage", "currency", "close_month", "responsible", "client_manager")
    stage = key_to(Stage)
    currency = models.CharField(max_length=3)
    close_month = models.DateField()  # NO_DATE: no expected close date
    amount = models.DecimalField(max_digits=24, decimal_places=2)
    weighted = models.DecimalField(max_digits=26, decimal_places=2)
    unweighted = models.DecimalField(max_digits=24, decimal_places=2)

    class Meta:
        verbose_name = _("deal totals")
        verbose_name_plural = _("deal totals")

    def __str__(self):
        return f"{self.stage_id} {self.currency} {self.close_month}: {self.count}"


class DealDay(OwnedTotals):
    """Deals created on a local day (``settings.TIME_ZONE``) per stage, responsible and client's
    main manager (0: none), kept by database triggers (``core.rollups``, declared in
    ``sales.rollups``): the interests report's new interests read a year as a few hundred rows.
    Deals in the trash are left out; those of a client in the trash are not (readers take them off)."""

    pk = models.CompositePrimaryKey("date", "stage", "responsible", "client_manager")
    date = models.DateField()
    stage = key_to(Stage)

    class Meta:
        verbose_name = _("deals created on a day")
        verbose_name_plural = _("deals created by day")

    def __str__(self):
        return f"{self.date} {self.stage_id}: {self.count}"


class MoveDay(OwnedTotals):
    """Stage moves on a local day per stage moved to, the furthest stage the deal had been in
    before (0: none), the deal's current stage, responsible, currency and client's main manager,
    with the deals' amounts, kept like ``DealDay``: "the deals that first reached the proposal
    stage" (any stage the user picks) is a filter on the two stages' orders over these rows."""

    pk = models.CompositePrimaryKey("date", "to_stage", "furthest_before", "stage", "responsible", "currency",
                                    "client_manager")
    date = models.DateField()
    to_stage = key_to(Stage)
    furthest_before = models.BigIntegerField()
    stage = key_to(Stage)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=24, decimal_places=2)

    class Meta:
        verbose_name = _("stage moves of a day")
        verbose_name_plural = _("stage moves by day")

    def __str__(self):
        return f"{self.date} → {self.to_stage_id}: {self.count}"


class DealLine(BaseModel):
    """A product in a deal (free-text name until the product catalogue exists)."""

    owner_scoped = True

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="lines")
    product = models.CharField(_("product"), max_length=200)
    # Picked from the catalogue (price and cost copied, still editable); free-text lines have none.
    catalog_product = models.ForeignKey("sales.Product", verbose_name=_("catalogue product"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=Decimal("1"),
                                   validators=POSITIVE)
    price = models.DecimalField(_("price"), max_digits=16, decimal_places=2, default=Decimal("0"),
                                validators=NON_NEGATIVE)

    class Meta:
        verbose_name = _("deal line")
        verbose_name_plural = _("deal lines")
        ordering = ["deal", "pk"]

    def __str__(self):
        return self.product

    @property
    def product_label(self):
        """The name, with the catalogue product's article when the line has one (documents, reports)."""
        return catalog_label(self)

    @property
    def total(self):
        return (self.quantity * self.price).quantize(Decimal("0.01"))

    def save(self, *args, **kwargs):
        from ..services.deals import recalc_amount

        # Every write (form, API, delete to the trash, restore) keeps the deal's amount the lines' sum.
        result = super().save(*args, **kwargs)
        recalc_amount(self.deal)
        return result

    def hard_delete(self):
        from ..services.deals import recalc_amount

        result = super().hard_delete()
        recalc_amount(self.deal)
        return result

    @classmethod
    def own_q(cls, user):
        return Q(deal__responsible=user) | counterparty_scope(user, "deal__counterparty")

    @classmethod
    def visible_filter(cls, qs):
        return qs.filter(not_trashed("deal", Deal), not_trashed("deal__counterparty", Counterparty))


class StageChange(models.Model):
    """One move of a deal between stages: an append-only log (no versions or trash needed)."""

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE,
                             related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, verbose_name=_("from stage"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, verbose_name=_("to stage"), on_delete=models.PROTECT, related_name="+")
    moved_by = models.ForeignKey(USER, verbose_name=_("moved by"), null=True, on_delete=models.PROTECT,
                                 related_name="+")
    moved_at = models.DateTimeField(_("moved at"), db_index=True)
    # Set by the deal's next move: the stay in ``to_stage`` is left_at − moved_at (funnel report).
    left_at = models.DateTimeField(_("left at"), null=True, blank=True, editable=False)
    # The furthest non-lost stage of ``to_stage``'s pipeline the deal had entered before this move
    # (its earlier moves by time), kept by sales.services.aggregates: "the first move to stage N or
    # further" (interests report) is a plain filter on it instead of a search of the earlier moves.
    furthest_before = models.ForeignKey(Stage, verbose_name=_("furthest stage before"), null=True, blank=True,
                                        editable=False, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["deal", "moved_at", "pk"]
        # A deal's moves in order: the funnel finds each stay's next move with it.
        indexes = [models.Index(fields=["deal", "moved_at"], name="stagechange_deal_moved")]

    def __str__(self):
        return f"{self.deal}: {self.from_stage} → {self.to_stage}"

    def save(self, *args, **kwargs):
        from ..services.aggregates import furthest_after_entering, refresh_furthest_before

        result = super().save(*args, **kwargs)
        refresh_furthest_before(StageChange.objects.filter(deal_id=self.deal_id))  # a past move shifts later ones
        self.__dict__.pop("furthest_before_id", None)  # read again when needed
        # Deal.save() has counted the deal's current stage; an entry into another one (history
        # written afterwards, e.g. an import of past moves) may still raise its furthest stage.
        if self.to_stage_id != self.deal.stage_id:
            furthest_after_entering(self.deal)
        return result

    def delete(self, *args, **kwargs):
        from ..services.aggregates import furthest_after_entering, refresh_furthest_before

        result = super().delete(*args, **kwargs)
        refresh_furthest_before(StageChange.objects.filter(deal_id=self.deal_id))
        furthest_after_entering(self.deal)
        return result


class StageRule(BaseModel):
    """Entering ``stage`` creates a task with a deadline in working time ("call within 15 minutes")."""

    class AssigneeKind(models.TextChoices):
        RESPONSIBLE = "responsible", _("The deal's responsible")
        USER = "user", _("A user")
        ROLE = "role", _("Someone with a role")

    class Unit(models.TextChoices):
        MINUTES = "minutes", _("working minutes")
        HOURS = "hours", _("working hours")
        DAYS = "days", _("working days")

    settings_model = True

    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="rules")
    title = models.CharField(_("task"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    assignee_kind = models.CharField(_("assignee"), max_length=12, choices=AssigneeKind.choices,
                                     default=AssigneeKind.RESPONSIBLE)
    user = models.ForeignKey(USER, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    deadline_amount = models.PositiveIntegerField(_("deadline in"), default=1)
    deadline_unit = models.CharField(_("unit"), max_length=7, choices=Unit.choices, default=Unit.HOURS)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("stage rule")
        verbose_name_plural = _("stage rules")
        ordering = ["stage", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("sales:rule_edit", args=[self.pk])

    def clean(self):
        if self.assignee_kind == self.AssigneeKind.USER and not self.user_id:
            raise ValidationError({"user": _("Choose the user.")})
        if self.assignee_kind == self.AssigneeKind.ROLE and not self.role:
            raise ValidationError({"role": _("Choose the role.")})


class DealRuleRun(models.Model):
    """The task a rule last created for a deal: one row per (deal, rule) keeps the rules idempotent.

    Re-entering a stage makes a new task only when the previous one is no longer open.
    """

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="rule_runs")
    rule = models.ForeignKey(StageRule, on_delete=models.CASCADE, related_name="runs")
    task = models.ForeignKey(Task, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "rule"], name="dealrulerun_unique")]

    def __str__(self):
        return f"{self.deal_id}/{self.rule_id}"
