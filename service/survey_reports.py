"""Survey analysis (core report framework): satisfaction by client, manager and product, and NPS.

Satisfaction: the average of the rating (1–5) answers of responses received in the period.
By manager: the client's main manager. By product: the product the invitation names (a rule for
the buyers of a product, or chosen by hand); else every catalogue product the client bought
(order lines of its live orders that are neither drafts nor fell through) gets the client's
ratings. NPS: per survey and month, % promoters (9–10) − % detractors (0–6) of the NPS answers.
Everything counts the responses the viewer may see.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.reports import Chart, Column, ModelChoiceField, Note, PeriodForm, Report, Table
from core.reports import register as register_report

from .models import Answer, Question, Survey, SurveyInvitation

GROUP = gettext_lazy("Service and quality")


def answered(user, period, survey=None):
    """The invitations answered in ``period`` that ``user`` may see."""
    invitations = SurveyInvitation.objects.restrict(user).filter(state=SurveyInvitation.State.ANSWERED,
                                                                 answered_at__gte=period.start,
                                                                 answered_at__lt=period.end)
    return invitations if survey is None else invitations.filter(survey=survey)


def answers_of(user, period, survey=None, kind=Question.Kind.RATING):
    """(survey id, client id, manager id, answered at, number, product id) of the answers ``user`` may
    see; the product is the one the invitation names, if any."""
    invitations = answered(user, period, survey)
    return list(Answer.objects.filter(invitation__in=invitations.values("pk"), question__kind=kind,
                                      number__isnull=False)
                .values_list("invitation__survey_id", "invitation__counterparty_id",
                             "invitation__counterparty__main_manager_id", "invitation__answered_at", "number",
                             "invitation__product_id"))


def average(values):
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def products_bought(client_ids):
    """{client id: {product id}} from the order lines picked from the catalogue."""
    from sales.models import Order, OrderLine

    lines = (OrderLine.objects.filter(order__counterparty_id__in=client_ids, catalog_product__isnull=False,
                                      deleted_at__isnull=True, order__deleted_at__isnull=True)
             .exclude(order__state__in=(Order.State.DRAFT, Order.State.FAILED))
             .values_list("order__counterparty_id", "catalog_product_id").distinct())
    bought = defaultdict(set)
    for client, product in lines:
        bought[client].add(product)
    return bought


def satisfaction(user, period, survey=None):
    """{"client": rows, "manager": rows, "product": rows}; rows: key, name, responses, average."""
    from django.contrib.auth import get_user_model

    from clients.models import Counterparty
    from sales.models import Product

    rows = answers_of(user, period, survey)
    by = {"client": defaultdict(list), "manager": defaultdict(list), "product": defaultdict(list)}
    bought = products_bought({r[1] for r in rows if r[5] is None})  # only where no product is named
    for _survey, client, manager, _at, number, named in rows:
        by["client"][client].append(number)
        by["manager"][manager].append(number)
        for product in ((named,) if named else bought.get(client, ())):
            by["product"][product].append(number)
    names = {
        "client": dict(Counterparty.objects.filter(pk__in=list(by["client"])).values_list("pk", "name")),
        "manager": {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=[k for k in by["manager"] if k])},
        "product": dict(Product.objects.filter(pk__in=list(by["product"])).values_list("pk", "name")),
    }
    result = {}
    for key, groups in by.items():
        result[key] = sorted(
            ({"key": k, "name": names[key].get(k) or _("Not specified"), "responses": len(v), "average": average(v)}
             for k, v in groups.items()), key=lambda r: (-r["average"], str(r["name"])))
    result["total"] = {"responses": len(rows), "average": average([r[4] for r in rows])}
    return result


def nps_of(numbers):
    """(promoters, passives, detractors, NPS) of 0–10 answers; NPS rounded to one place."""
    promoters = sum(1 for n in numbers if n >= 9)
    detractors = sum(1 for n in numbers if n <= 6)
    score = None
    if numbers:
        score = (Decimal(100 * (promoters - detractors)) / len(numbers)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return promoters, len(numbers) - promoters - detractors, detractors, score


def nps(user, period, survey=None):
    """Rows per survey and month (``YYYY-MM``, local time), then one per survey for the whole period."""
    rows = answers_of(user, period, survey, kind=Question.Kind.NPS)
    monthly, whole = defaultdict(list), defaultdict(list)
    for survey_id, _client, _manager, at, number, _product in rows:
        local = timezone.localtime(at)
        monthly[(survey_id, f"{local.year}-{local.month:02d}")].append(number)
        whole[survey_id].append(number)
    names = dict(Survey.objects.filter(pk__in=list(whole)).values_list("pk", "name"))
    result = []
    for (survey_id, month), numbers in sorted(monthly.items(), key=lambda i: (names[i[0][0]], i[0][1])):
        result.append(nps_row(names[survey_id], month, numbers))
    for survey_id, numbers in sorted(whole.items(), key=lambda i: names[i[0]]):
        result.append(nps_row(names[survey_id], _("Whole period"), numbers))
    return result


def nps_row(name, month, numbers):
    promoters, passives, detractors, score = nps_of(numbers)
    return {"survey": name, "month": month, "responses": len(numbers), "promoters": promoters,
            "passives": passives, "detractors": detractors, "nps": score}


class SurveyForm(PeriodForm):
    survey = ModelChoiceField(label=gettext_lazy("Survey"), queryset=Survey.objects.all(), required=False)

    def __init__(self, data, user=None):
        super().__init__(data, user)
        self.fields["survey"].widget.attrs["class"] = "form-select form-select-sm"


class SurveyReport(Report):
    group = GROUP
    group_order = 500
    form_class = SurveyForm


KEYED = [Column("responses", gettext_lazy("Rating answers"), "int", total=True),
         Column("average", gettext_lazy("Average rating"), "decimal")]


@register_report
class SatisfactionReport(SurveyReport):
    slug = "survey-satisfaction"
    title = gettext_lazy("Client satisfaction")
    description = gettext_lazy("Average survey rating (1–5) by client, by manager and by product.")
    definition = gettext_lazy(
        "Rating (1–5) answers of survey responses received in the period. By manager: the client's main manager. "
        "By product: the product the survey invitation is about; without one, each catalogue product the client "
        "bought (live orders that are neither drafts nor fell through) gets the client's ratings. Only the "
        "responses you may see are counted.")
    tables = [Table("report", gettext_lazy("By client"), [Column("name", gettext_lazy("Client")), *KEYED],
                    rows="client_rows"),
              Table("manager", gettext_lazy("By manager"), [Column("name", gettext_lazy("Main manager")), *KEYED],
                    rows="manager_rows"),
              Table("product", gettext_lazy("By product"), [Column("name", gettext_lazy("Product")), *KEYED],
                    rows="product_rows")]
    charts = [Chart(gettext_lazy("Average rating by manager"), label="name", values=["average"], table="manager",
                    max=5)]

    def compute(self, filters, user):
        return satisfaction(user, self.form.period, filters.get("survey"))

    def client_rows(self, filters, user):
        return self.result["client"]

    def manager_rows(self, filters, user):
        return self.result["manager"]

    def product_rows(self, filters, user):
        return self.result["product"]

    def notes(self, filters):
        total = self.result["total"]
        text = _("Average rating: %(average)s over %(count)s answers.") % {
            "average": total["average"] if total["average"] is not None else "—", "count": total["responses"]}
        return [Note(str(self.definition), testid="definition"), Note(text, testid="satisfaction-total")]


@register_report
class NpsReport(SurveyReport):
    slug = "survey-nps"
    title = gettext_lazy("Net promoter score (NPS)")
    description = gettext_lazy("Per survey and month: promoters, passives, detractors and NPS.")
    definition = gettext_lazy(
        "Answers to the 0–10 recommendation questions of responses received in the period. Promoters answer 9–10, "
        "detractors 0–6; NPS = % promoters − % detractors. Only the responses you may see are counted.")
    columns = [Column("survey", gettext_lazy("Survey")), Column("month", gettext_lazy("Month")),
               Column("responses", gettext_lazy("Answers"), "int"),
               Column("promoters", gettext_lazy("Promoters"), "int"),
               Column("passives", gettext_lazy("Passives"), "int"),
               Column("detractors", gettext_lazy("Detractors"), "int"),
               Column("nps", gettext_lazy("NPS"), "decimal")]
    tables = [Table("report", gettext_lazy("Net promoter score (NPS)"), columns, totals="no_totals")]

    def compute(self, filters, user):
        return nps(user, self.form.period, filters.get("survey"))

    def rows(self, filters, user):
        return self.result

    def no_totals(self, filters, user):
        return []

    def notes(self, filters):
        return [Note(str(self.definition), testid="definition")]

