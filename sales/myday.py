"""The sales sections of the My day page (core.myday): expected payments and shipments of the
user's orders due today or overdue, and open deals whose expected close date has come; registered
from ``SalesConfig.ready()``."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.calendar import object_url
from core.myday import LIMIT, MyDaySection, Row, register_section
from core.templatetags.klientura import money

from .calendar import PaymentSource, ShipmentSource
from .models import Deal, Payment, PlanFact, Shipment, Stage
from .services.orders import OPEN_STATES, uncovered


def _plans(model, user, day):
    """The planned rows of the user's open orders due by today that the actual ones do not cover."""
    qs = (model.objects.restrict(user, access.VIEW)
          .filter(order__responsible=user, kind=PlanFact.PLANNED, date__lte=day.today,
                  order__state__in=OPEN_STATES, order__deleted_at__isnull=True)
          .select_related("order__counterparty"))
    if model is Shipment:
        qs = qs.filter(line__deleted_at__isnull=True).select_related("line")
    return uncovered(qs).order_by("date", "pk")


def _plan_rows(source, model):
    def rows(user, day):
        found = []
        for obj in _plans(model, user, day)[:LIMIT + 1]:
            cp = obj.order.counterparty
            found.append(Row(id=obj.pk, title=source.title(obj), when=obj.date, url=object_url(obj.order),
                             client=cp.name, client_url=object_url(cp), note=obj.comment,
                             overdue=obj.date < day.today))
        return found

    return rows


def deal_rows(user, day):
    qs = (Deal.objects.restrict(user, access.VIEW)
          .filter(responsible=user, stage__kind=Stage.Kind.OPEN, expected_close_date__lte=day.today)
          .select_related("stage", "counterparty").order_by("expected_close_date", "pk"))
    return [Row(id=deal.pk, title=deal.title, when=deal.expected_close_date, url=object_url(deal),
                client=deal.counterparty.name, client_url=object_url(deal.counterparty),
                note=f"{deal.stage} · {money(deal.amount, deal.currency)}",
                overdue=deal.expected_close_date < day.today)
            for deal in qs[:LIMIT + 1]]


def register():
    """Called from ``SalesConfig.ready()``."""
    register_section(MyDaySection(
        "payments", _("Payments due"), _plan_rows(PaymentSource(), Payment), icon="cash-coin",
        empty=_("No payments due today."), more_url_name="sales:order_list"), 40)
    register_section(MyDaySection(
        "shipments", _("Shipments due"), _plan_rows(ShipmentSource(), Shipment), icon="truck",
        empty=_("No shipments due today."), more_url_name="sales:order_list"), 50)
    register_section(MyDaySection(
        "deals", _("Deals needing action"), deal_rows, icon="briefcase",
        empty=_("No deals past their expected close date."), more_url_name="sales:deal_list"), 60)

