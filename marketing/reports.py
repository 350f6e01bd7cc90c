"""Marketing effectiveness reports (SPEC §6, §3), declared on the core report framework: campaign
effectiveness, lead source effectiveness, and the analysis of contacts and information sources.

Every figure is a grouped aggregate over a queryset narrowed with ``restrict(user)`` (a sales
manager counts their own inquiries, deals, clients and sales); campaigns and their costs are
company-wide. Money is in one currency (the company's by default): campaigns, costs and sales in
others are left out and counted in a note. Definitions: docs/marketing.md, "Reports".
"""

import datetime
from decimal import Decimal

from django import forms
from django.conf import settings
from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from activities.models import Interaction, InteractionType
from clients.models import Counterparty
from core.reports import (
    Chart,
    Column,
    ModelMultipleChoiceField,
    Note,
    Period,
    PeriodForm,
    Report,
    Table,
)
from core.reports import register as register_report
from sales.models import Deal, LeadSource, Shipment, Stage
from sales.services.sold import COST, SALE, sale_shipments

from .models import Campaign, CampaignCost, DealCampaign, Inquiry
from .segments import segment_queryset

GROUP = gettext_lazy("Marketing")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
NO_SOURCE = "none"  # the row key of "no lead source"
SEGMENT_CHUNK = 20  # campaigns whose segment sales one aggregate query sums (two sums each)


def money(value):
    return Decimal(value or 0).quantize(CENT)


def ratio(part, whole, scale=1):
    """part / whole (× scale), to the cent; None when the whole is zero (no meaningful value)."""
    if not whole:
        return None
    return (Decimal(part) * scale / Decimal(whole)).quantize(CENT)


def change(now, before):
    """Growth in %, None without a base to compare with."""
    return ratio(now - before, before, HUNDRED)


def grouped(qs, key, **aggregates):
    """{key value: {aggregate: value}} of one GROUP BY query."""
    return {row.pop(key): row for row in qs.values(key).order_by().annotate(**aggregates)}


def pairs_by_key(*querysets):
    """{key: number of distinct second values} over (key, value) pairs of several querysets."""
    seen = {}
    for qs in querysets:
        for key, value in qs.order_by().distinct():
            seen.setdefault(key, set()).add(value)
    return {key: len(values) for key, values in seen.items()}


def visible_clients(user):
    return Counterparty.objects.restrict(user).values("pk")


def sales(user, currency):
    """Sales (analytics' definition) the user may see, in ``currency``."""
    return sale_shipments(Shipment.objects.restrict(user)).filter(order__currency=currency)


def foreign_sales(user, currency):
    return sale_shipments(Shipment.objects.restrict(user)).exclude(order__currency=currency)


def first_deals(user):
    """Deals that are their client's first live deal (by creation time, then id)."""
    earlier = Deal.objects.filter(counterparty=OuterRef("counterparty")).filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")))
    return Deal.objects.restrict(user).filter(~Exists(earlier), counterparty__in=visible_clients(user))


def new_client_inquiries(user):
    """Converted inquiries whose client was registered in the CRM no earlier than the inquiry came (the
    conversion made it, not found an existing one)."""
    return Inquiry.objects.restrict(user).filter(state=Inquiry.State.CONVERTED,
                                                 counterparty__in=visible_clients(user),
                                                 counterparty__created_at__gte=F("received_at"))


INQUIRY_SOURCE = Coalesce("lead_source", "campaign__lead_source", output_field=BigIntegerField())


class CurrencyField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(label=gettext_lazy("Currency"), max_length=3, min_length=3, **kwargs)

    def clean(self, value):
        return super().clean(value).upper()


class CurrencyMixin(PeriodForm):
    currency = CurrencyField()

    def get_defaults(self):
        return {**super().get_defaults(), "currency": settings.KLIENTURA_CURRENCY}


class MarketingReport(Report):
    group, group_order = GROUP, 300

    @property
    def currency(self):
        return self.filters["currency"]

    def currency_notes(self):
        notes = []
        if self.result.get("foreign_campaigns"):
            notes.append(Note(_("%(count)s campaigns in other currencies than %(currency)s are left out.")
                              % {"count": self.result["foreign_campaigns"], "currency": self.currency},
                              testid="campaign-currency-note"))
        if self.result.get("foreign_sales"):
            notes.append(Note(_("%(count)s shipments in other currencies than %(currency)s are left out.")
                              % {"count": self.result["foreign_sales"], "currency": self.currency},
                              testid="currency-note"))
        return notes

    def notes(self, filters):
        return [Note(str(self.definition), testid="definition"), *self.currency_notes()]


def effect_columns(first):
    """The measures shared by the campaign and the lead source reports, after their first columns."""
    return [
        *first,
        Column("inquiries", gettext_lazy("Inquiries"), "int", total=True),
        Column("new_clients", gettext_lazy("New clients"), "int", total=True),
        Column("deals", gettext_lazy("Deals"), "int", total=True),
        Column("won", gettext_lazy("Won deals"), "int", total=True),
        Column("revenue", gettext_lazy("Revenue"), "money", currency_key="currency", total=True),
        Column("profit", gettext_lazy("Profit"), "money", currency_key="currency", total=True),
        Column("cost", pgettext_lazy("marketing", "Cost"), "money", currency_key="currency", total=True),
        Column("cost_per_lead", gettext_lazy("Cost per lead"), "money", currency_key="currency"),
        Column("roi", gettext_lazy("ROI, %"), "percent"),
    ]


def finish(row):
    """Cost per lead and ROI of a row (or of the totals) from its sums."""
    row["cost_per_lead"] = ratio(row["cost"], row["inquiries"])
    row["roi"] = ratio(row["profit"] - row["cost"], row["cost"], HUNDRED)
    return row


def totals_of(rows, first_key, currency, keys):
    if not rows:
        return []
    total = {"_level": "total", first_key: str(_("Total")), "currency": currency}
    for key in keys:
        total[key] = sum((r[key] for r in rows), Decimal(0) if isinstance(rows[0][key], Decimal) else 0)
    return [finish(total)]


EFFECT_SUMS = ("inquiries", "new_clients", "deals", "won", "revenue", "profit", "cost")


# --- 1. Campaign effectiveness -----------------------------------------------------------------

class CampaignForm(CurrencyMixin):
    kind = forms.MultipleChoiceField(label=gettext_lazy("Kind"), choices=Campaign.Kind.choices, required=False)
    channel = forms.MultipleChoiceField(label=gettext_lazy("Channel"), choices=Campaign.Channel.choices,
                                        required=False)
    state = forms.MultipleChoiceField(label=gettext_lazy("State"), choices=Campaign.State.choices, required=False)


def campaign_window(campaign, today):
    """(the campaign's window, the window of the same length just before it)."""
    end = campaign.end or max(today, campaign.start)
    during = Period(campaign.start, end)
    before_end = campaign.start - datetime.timedelta(days=1)
    return during, Period(before_end - (end - campaign.start), before_end)


class CampaignEffectivenessReport(MarketingReport):
    slug = "campaign-effectiveness"
    group_order = 300
    title = gettext_lazy("Campaign effectiveness")
    description = gettext_lazy("Per campaign: inquiries, new clients, deals, revenue and profit attributed, cost, "
                               "cost per lead, ROI, and the target segment's sales before and during it.")
    definition = gettext_lazy(
        "Campaigns whose period overlaps the chosen one; each campaign's figures are its whole, not cut by the "
        "period. Inquiries: of the campaign. New clients: clients of converted inquiries of the campaign "
        "registered no earlier than the inquiry came, and clients whose first deal is the campaign's. Deals: "
        "linked to the campaign; won: in a won stage. Revenue and profit: sales (actual shipments of live orders "
        "that are neither drafts nor fell through, quantity × line price; profit less quantity × unit cost) of "
        "the orders of the campaign's deals. Cost: the cost lines; a campaign without any counts its budget. "
        "Cost per lead: cost / inquiries; ROI: (profit − cost) / cost. Segment sales: sales to the clients of "
        "the target segment (as it is now) during the campaign (an open one: until today) and in as many days "
        "just before it. The last row, for comparison and not in the totals, counts what came without a campaign: "
        "inquiries received and deals created in the period without one, their new clients and sales. Campaigns "
        "and costs are the company's; the rest counts what you may see.")
    form_class = CampaignForm
    columns = effect_columns([
        Column("campaign", gettext_lazy("Campaign"), link=True),
        Column("start", gettext_lazy("Start"), "date"),
        Column("end", gettext_lazy("End"), "date"),
        Column("budget", gettext_lazy("Budget"), "money", currency_key="currency", total=True),
    ]) + [
        Column("cost_basis", gettext_lazy("Cost from")),
        Column("segment", gettext_lazy("Target segment")),
        Column("segment_before", gettext_lazy("Segment sales before"), "money", currency_key="currency",
               total=True),
        Column("segment_during", gettext_lazy("Segment sales during"), "money", currency_key="currency",
               total=True),
        Column("segment_change", gettext_lazy("Segment sales change, %"), "percent"),
    ]
    tables = [Table("report", gettext_lazy("Campaign effectiveness"), columns, totals="totals")]
    charts = [Chart(gettext_lazy("Cost and revenue per campaign"), label="campaign", values=["cost", "revenue"],
                    where=lambda row: not row.get("baseline"))]

    def campaigns(self, filters, user):
        period = self.form.period
        qs = Campaign.objects.restrict(user).filter(Q(end__isnull=True) | Q(end__gte=period.date_from),
                                                    start__lte=period.date_to)
        for name in ("kind", "channel", "state"):
            if filters.get(name):
                qs = qs.filter(**{f"{name}__in": filters[name]})
        return qs

    def compute(self, filters, user):
        currency = filters["currency"]
        selected = self.campaigns(filters, user)
        foreign = selected.exclude(currency=currency).count()
        selected = selected.filter(currency=currency)
        live_costs = Q(costs__deleted_at__isnull=True)
        campaigns = list(selected.select_related("target_segment").annotate(
            spent=Sum("costs__amount", filter=live_costs), lines=Count("costs", filter=live_costs))
            .order_by("start", "name", "pk"))
        ids = selected.values("pk")
        inquiries = grouped(Inquiry.objects.restrict(user).filter(campaign__in=ids), "campaign", n=Count("pk"))
        new_clients = pairs_by_key(
            new_client_inquiries(user).filter(campaign__in=ids).values_list("campaign", "counterparty"),
            DealCampaign.objects.restrict(user).filter(campaign__in=ids, deal__in=first_deals(user).values("pk"))
            .values_list("campaign", "deal__counterparty"))
        deals = grouped(DealCampaign.objects.restrict(user).filter(campaign__in=ids), "campaign",
                        deals=Count("deal", distinct=True),
                        won=Count("deal", distinct=True, filter=Q(deal__stage__kind=Stage.Kind.WON)))
        attributed = Q(order__deal__campaign_links__campaign__in=ids,
                       order__deal__campaign_links__deleted_at__isnull=True, order__deal__deleted_at__isnull=True)
        revenue = grouped(sales(user, currency).filter(attributed), "order__deal__campaign_links__campaign",
                          revenue=Sum(SALE), cost=Sum(COST))
        segments = self.segment_sales(campaigns, user, currency)
        rows = []
        for c in campaigns:
            sold = revenue.get(c.pk, {})
            cost = c.spent if c.lines else c.budget
            row = {"campaign": c.name, "campaign_url": c.get_absolute_url(), "start": c.start, "end": c.end,
                   "budget": money(c.budget), "currency": currency,
                   "inquiries": inquiries.get(c.pk, {}).get("n", 0), "new_clients": new_clients.get(c.pk, 0),
                   "deals": deals.get(c.pk, {}).get("deals", 0), "won": deals.get(c.pk, {}).get("won", 0),
                   "revenue": money(sold.get("revenue")),
                   "profit": money(sold.get("revenue")) - money(sold.get("cost")), "cost": money(cost),
                   "cost_basis": _("cost lines") if c.lines else _("budget"),
                   "segment": str(c.target_segment) if c.target_segment_id else ""}
            if c.pk in segments:
                before, during = segments[c.pk]
                row.update(segment_before=before, segment_during=during, segment_change=change(during, before))
            rows.append(finish(row))
        baseline = self.baseline(user, currency)
        if any(baseline[k] for k in ("inquiries", "new_clients", "deals", "revenue")):
            rows.append(baseline)
        others = sale_shipments(Shipment.objects.restrict(user)).filter(attributed).exclude(order__currency=currency)
        return {"rows": rows, "foreign_campaigns": foreign, "foreign_sales": others.count()}

    def baseline(self, user, currency):
        """What came without a campaign in the period, to compare with (not in the totals): inquiries
        received without a campaign, deals created without a live campaign link, and their clients."""
        period = self.form.period
        unlinked = ~Exists(DealCampaign.objects.filter(deal=OuterRef("pk")))
        inquiries = Inquiry.objects.restrict(user).filter(period.q("received_at"), campaign__isnull=True)
        deals = Deal.objects.restrict(user).filter(period.q("created_at")).filter(unlinked)
        new = set(new_client_inquiries(user).filter(period.q("received_at"), campaign__isnull=True)
                  .values_list("counterparty", flat=True))
        new |= set(first_deals(user).filter(period.q("created_at")).filter(unlinked)
                   .values_list("counterparty", flat=True))
        counts = deals.aggregate(deals=Count("pk"), won=Count("pk", filter=Q(stage__kind=Stage.Kind.WON)))
        sold = sales(user, currency).filter(order__deal__in=deals.values("pk")).aggregate(
            revenue=Sum(SALE), cost=Sum(COST))
        revenue = money(sold["revenue"])
        return {"campaign": str(_("Without a campaign (in the period)")), "baseline": True, "currency": currency,
                "inquiries": inquiries.count(), "new_clients": len(new), **counts, "revenue": revenue,
                "profit": revenue - money(sold["cost"]), "cost": Decimal(0), "cost_per_lead": None, "roi": None}

    def segment_sales(self, campaigns, user, currency):
        """{campaign id: (sales before, sales during)} of the campaigns with a target segment: a filtered
        sum per window in one query per SEGMENT_CHUNK campaigns; each segment is evaluated once."""
        targeted = [c for c in campaigns if c.target_segment_id]
        if not targeted:
            return {}
        today, clients, result = timezone.localdate(), {}, {}
        for c in targeted:
            if c.target_segment_id not in clients:
                clients[c.target_segment_id] = segment_queryset(c.target_segment.query, user)[0].values("pk")
        for index in range(0, len(targeted), SEGMENT_CHUNK):
            chunk, sums, first, last = targeted[index:index + SEGMENT_CHUNK], {}, None, None
            for c in chunk:
                during, before = campaign_window(c, today)
                members = Q(order__counterparty__in=clients[c.target_segment_id])
                for key, window in (("b", before), ("d", during)):
                    sums[f"{key}{c.pk}"] = Sum(SALE, filter=members & Q(date__gte=window.date_from,
                                                                        date__lte=window.date_to))
                first = min(filter(None, (first, before.date_from)))
                last = max(filter(None, (last, during.date_to)))
            got = sales(user, currency).filter(date__gte=first, date__lte=last).aggregate(**sums)
            for c in chunk:
                result[c.pk] = (money(got[f"b{c.pk}"]), money(got[f"d{c.pk}"]))
        return result

    def rows(self, filters, user):
        return self.result["rows"]

    def totals(self, filters, user):
        rows = [r for r in self.result["rows"] if not r.get("baseline")]
        totals = totals_of(rows, "campaign", self.currency, (*EFFECT_SUMS, "budget"))
        if totals:
            with_segment = [r for r in rows if "segment_during" in r]
            if with_segment:
                before = sum((r["segment_before"] for r in with_segment), Decimal(0))
                during = sum((r["segment_during"] for r in with_segment), Decimal(0))
                totals[0].update(segment_before=before, segment_during=during, segment_change=change(during, before))
        return totals


# --- 2. Lead source effectiveness --------------------------------------------------------------

def source_names(keys):
    """{source id: name} of the live lead sources and of any (trashed) one that has figures."""
    found = LeadSource.all_objects.filter(Q(deleted_at__isnull=True) | Q(pk__in=[k for k in keys if k]))
    return {s.pk: str(s) for s in found.order_by("order", "name", "pk")}


class SourceEffectivenessReport(MarketingReport):
    slug = "lead-source-effectiveness"
    group_order = 310
    title = gettext_lazy("Lead source effectiveness")
    description = gettext_lazy("Per lead source: inquiries, new clients, deals, revenue and profit, campaign "
                               "costs, cost per lead and ROI over a period.")
    definition = gettext_lazy(
        "Inquiries received in the period by their lead source (their own, else their campaign's). New clients: "
        "clients of those inquiries once converted, registered no earlier than the inquiry came, and clients "
        "whose first deal was created in the period, by that deal's lead source. Deals: created in the period, "
        "by their lead source; won: in a won stage now. Revenue and profit: sales (actual shipments of live "
        "orders that are neither drafts nor fell through) of the orders of those deals, whenever shipped. "
        "Cost: campaign cost lines dated in the period, by the campaign's lead source. Cost per lead: cost / "
        "inquiries; ROI: (profit − cost) / cost. Costs are the company's; the rest counts what you may see.")
    form_class = CurrencyMixin
    columns = effect_columns([Column("source", gettext_lazy("Lead source"))])
    tables = [Table("report", gettext_lazy("Lead source effectiveness"), columns, totals="totals")]
    charts = [Chart(gettext_lazy("Cost and revenue per lead source"), label="source", values=["cost", "revenue"])]

    def compute(self, filters, user):
        currency, period = filters["currency"], self.form.period
        received = Inquiry.objects.restrict(user).filter(period.q("received_at")).annotate(src=INQUIRY_SOURCE)
        inquiries = grouped(received, "src", n=Count("pk"))
        new_clients = pairs_by_key(
            new_client_inquiries(user).filter(period.q("received_at")).annotate(src=INQUIRY_SOURCE)
            .values_list("src", "counterparty"),
            first_deals(user).filter(period.q("created_at")).values_list("lead_source", "counterparty"))
        created = Deal.objects.restrict(user).filter(period.q("created_at"))
        deals = grouped(created, "lead_source", deals=Count("pk"),
                        won=Count("pk", filter=Q(stage__kind=Stage.Kind.WON)))
        revenue = grouped(sales(user, currency).filter(order__deal__in=created.values("pk")),
                          "order__deal__lead_source", revenue=Sum(SALE), cost=Sum(COST))
        costs = CampaignCost.objects.restrict(user).filter(date__gte=period.date_from, date__lte=period.date_to)
        spent = grouped(costs.filter(campaign__currency=currency), "campaign__lead_source", s=Sum("amount"))
        keys = set(inquiries) | set(new_clients) | set(deals) | set(revenue) | set(spent)
        rows = []
        names = source_names(keys)
        for key, name in [*names.items(), (None, str(_("Not specified")))]:
            sold = revenue.get(key, {})
            row = finish({"source": name, "currency": currency, "inquiries": inquiries.get(key, {}).get("n", 0),
                          "new_clients": new_clients.get(key, 0), "deals": deals.get(key, {}).get("deals", 0),
                          "won": deals.get(key, {}).get("won", 0), "revenue": money(sold.get("revenue")),
                          "profit": money(sold.get("revenue")) - money(sold.get("cost")),
                          "cost": money(spent.get(key, {}).get("s"))})
            if key in keys:
                rows.append(row)
        foreign_costs = costs.exclude(campaign__currency=currency).values("campaign").distinct().count()
        others = foreign_sales(user, currency).filter(order__deal__in=created.values("pk")).count()
        return {"rows": rows, "foreign_campaigns": foreign_costs, "foreign_sales": others}

    def rows(self, filters, user):
        return self.result["rows"]

    def totals(self, filters, user):
        return totals_of(self.result["rows"], "source", self.currency, EFFECT_SUMS)


# --- 3. Analysis of contacts and information sources (SPEC §3) ---------------------------------

class ContactsSourcesForm(CurrencyMixin):
    type = ModelMultipleChoiceField(label=gettext_lazy("Interaction type"), queryset=InteractionType.objects.all(),
                                    required=False)
    direction = forms.ChoiceField(label=gettext_lazy("Direction"), required=False,
                                  choices=[("", gettext_lazy("Any")), *Interaction.Direction.choices])


def client_source(ref):
    """The information source of the client at ``ref``: the lead source of its earliest inquiry that has
    one (its own or its campaign's), else of its earliest deal that names one."""
    inquiry = (Inquiry.objects.filter(counterparty=OuterRef(ref)).annotate(src=INQUIRY_SOURCE)
               .filter(src__isnull=False).order_by("received_at", "pk").values("src")[:1])
    deal = (Deal.objects.filter(counterparty=OuterRef(ref), lead_source__isnull=False)
            .order_by("created_at", "pk").values("lead_source")[:1])
    return Coalesce(Subquery(inquiry), Subquery(deal), output_field=BigIntegerField())


def previous(period):
    days = (period.date_to - period.date_from).days + 1
    end = period.date_from - datetime.timedelta(days=1)
    return Period(end - datetime.timedelta(days=days - 1), end)


CONTACT_SUMS = ("contacts", "clients", "new_clients", "deals", "won", "revenue_before", "revenue", "profit")


class ContactsSourcesReport(MarketingReport):
    slug = "contacts-sources"
    group_order = 320
    title = gettext_lazy("Analysis of contacts and information sources")
    description = gettext_lazy("Done contacts by type and clients by how they learned about the company: "
                               "clients, new clients, deals and sales against the period before.")
    definition = gettext_lazy(
        "Contacts: done interactions that started in the period. Clients: the clients contacted; new: those "
        "registered in the period. Deals: created in the period with those clients; won: in a won stage now. "
        "Sales (actual shipments of live orders that are neither drafts nor fell through; profit less the unit "
        "cost) to those clients in the period and in as many days just before it. By type, a client contacted "
        "in several ways counts in each row; the total counts them once. Information source of a client: the "
        "lead source of its earliest inquiry that has one (its own or its campaign's), else of its earliest "
        "deal that names one; rows: the clients registered or contacted in the period.")
    form_class = ContactsSourcesForm
    tables = [
        Table("report", gettext_lazy("Contacts by type"), [
            Column("type", gettext_lazy("Interaction type")),
            Column("contacts", gettext_lazy("Contacts"), "int"),
            Column("clients", gettext_lazy("Clients contacted"), "int"),
            Column("new_clients", gettext_lazy("New clients"), "int"),
            Column("deals", gettext_lazy("Deals"), "int"),
            Column("won", gettext_lazy("Won deals"), "int"),
            Column("revenue_before", gettext_lazy("Sales before"), "money", currency_key="currency"),
            Column("revenue", gettext_lazy("Sales in the period"), "money", currency_key="currency"),
            Column("change", gettext_lazy("Sales change, %"), "percent"),
            Column("profit", gettext_lazy("Profit in the period"), "money", currency_key="currency"),
        ], rows="type_rows", totals="type_totals"),
        Table("sources", gettext_lazy("Information sources"), [
            Column("source", gettext_lazy("Information source")),
            Column("clients", gettext_lazy("Clients"), "int", total=True),
            Column("new_clients", gettext_lazy("New clients"), "int", total=True),
            Column("contacted", gettext_lazy("Clients contacted"), "int", total=True),
            Column("contacts", gettext_lazy("Contacts"), "int", total=True),
            Column("deals", gettext_lazy("Deals"), "int", total=True),
            Column("won", gettext_lazy("Won deals"), "int", total=True),
            Column("revenue_before", gettext_lazy("Sales before"), "money", currency_key="currency", total=True),
            Column("revenue", gettext_lazy("Sales in the period"), "money", currency_key="currency", total=True),
            Column("profit", gettext_lazy("Profit in the period"), "money", currency_key="currency", total=True),
        ], rows="source_rows"),
    ]
    charts = [
        Chart(gettext_lazy("Contacts and clients by type"), label="type", values=["contacts", "clients"]),
        Chart(gettext_lazy("Sales by information source"), table="sources", label="source",
              values=["revenue_before", "revenue"]),
    ]

    def contacts(self, filters, user):
        qs = Interaction.objects.restrict(user).filter(self.form.period.q("start"), state=Interaction.State.DONE)
        if filters.get("type"):
            qs = qs.filter(type__in=filters["type"])
        if filters.get("direction"):
            qs = qs.filter(direction=filters["direction"])
        return qs

    def compute(self, filters, user):
        currency, period = filters["currency"], self.form.period
        before = previous(period)
        contacts = self.contacts(filters, user)
        created = Deal.objects.restrict(user).filter(period.q("created_at"))
        new = Q(counterparty__created_at__gte=period.start, counterparty__created_at__lt=period.end)
        deal_q = Q(counterparty__deals__in=created.values("pk"))
        won_q = deal_q & Q(counterparty__deals__stage__kind=Stage.Kind.WON)
        measures = {"contacts": Count("pk", distinct=True), "clients": Count("counterparty", distinct=True),
                    "new_clients": Count("counterparty", distinct=True, filter=new),
                    "deals": Count("counterparty__deals", distinct=True, filter=deal_q),
                    "won": Count("counterparty__deals", distinct=True, filter=won_q)}
        by_type = grouped(contacts, "type", **measures)
        overall = contacts.aggregate(**measures)
        types = {t.pk: str(t) for t in InteractionType.all_objects.filter(pk__in=list(by_type))}
        # The sales of each type's contacted clients: two filtered sums per type in one query.
        window = Q(date__gte=before.date_from, date__lte=period.date_to)
        in_period, in_before = Q(date__gte=period.date_from), Q(date__lte=before.date_to)
        sums = {}
        for key in [*by_type, "all"]:
            who = Q(order__counterparty__in=(contacts if key == "all" else contacts.filter(type=key))
                    .values("counterparty"))
            sums.update({f"r{key}": Sum(SALE, filter=who & in_period), f"c{key}": Sum(COST, filter=who & in_period),
                         f"b{key}": Sum(SALE, filter=who & in_before)})
        sold = sales(user, currency).filter(window).aggregate(**sums)

        def type_row(label, figures, key):
            revenue, before_revenue = money(sold[f"r{key}"]), money(sold[f"b{key}"])
            return {"type": label, **figures, "currency": currency, "revenue_before": before_revenue,
                    "revenue": revenue, "change": change(revenue, before_revenue),
                    "profit": revenue - money(sold[f"c{key}"])}

        type_rows = sorted((type_row(types.get(k, ""), v, k) for k, v in by_type.items()),
                           key=lambda r: (-r["contacts"], r["type"]))
        totals = [{"_level": "total", **type_row(str(_("Total")), overall, "all")}] if by_type else []
        others = foreign_sales(user, currency).filter(window, order__counterparty__in=contacts.values("counterparty"))
        return {"types": type_rows, "type_totals": totals,
                "sources": self.sources(filters, user, contacts, created, before),
                "foreign_sales": others.count()}

    def sources(self, filters, user, contacts, created, before):
        currency, period = filters["currency"], self.form.period
        registered = Q(created_at__gte=period.start, created_at__lt=period.end)
        contacted = Q(pk__in=contacts.values("counterparty"))
        clients = grouped(Counterparty.objects.restrict(user).filter(registered | contacted)
                          .annotate(src=client_source("pk")), "src", clients=Count("pk"),
                          new_clients=Count("pk", filter=registered), contacted=Count("pk", filter=contacted))
        by_contacts = grouped(contacts.annotate(src=client_source("counterparty")), "src", contacts=Count("pk"))
        relevant = Counterparty.objects.restrict(user).filter(registered | contacted).values("pk")
        deals = grouped(created.filter(counterparty__in=relevant).annotate(src=client_source("counterparty")), "src",
                        deals=Count("pk"), won=Count("pk", filter=Q(stage__kind=Stage.Kind.WON)))
        sold = grouped(sales(user, currency).filter(order__counterparty__in=relevant,
                                                    date__gte=before.date_from, date__lte=period.date_to)
                       .annotate(src=client_source("order__counterparty")), "src",
                       revenue=Sum(SALE, filter=Q(date__gte=period.date_from)),
                       cost=Sum(COST, filter=Q(date__gte=period.date_from)),
                       revenue_before=Sum(SALE, filter=Q(date__lte=before.date_to)))
        keys = set(clients) | set(by_contacts) | set(deals) | set(sold)
        rows = []
        for key, name in [*source_names(keys).items(), (None, str(_("Not specified")))]:
            if key not in keys:
                continue
            money_row = sold.get(key, {})
            revenue = money(money_row.get("revenue"))
            rows.append({"source": name, "currency": currency, **{k: clients.get(key, {}).get(k, 0) for k in
                                                                   ("clients", "new_clients", "contacted")},
                         "contacts": by_contacts.get(key, {}).get("contacts", 0),
                         "deals": deals.get(key, {}).get("deals", 0), "won": deals.get(key, {}).get("won", 0),
                         "revenue_before": money(money_row.get("revenue_before")), "revenue": revenue,
                         "profit": revenue - money(money_row.get("cost"))})
        return rows

    def type_rows(self, filters, user):
        return self.result["types"]

    def type_totals(self, filters, user):
        return self.result["type_totals"]

    def source_rows(self, filters, user):
        return self.result["sources"]


def register():
    for order, report in enumerate((CampaignEffectivenessReport, SourceEffectivenessReport, ContactsSourcesReport)):
        register_report(report, order=300 + order * 10)
