"""What surveys add to the shared UI: menu entries and a dashboard tile (registered from
``ServiceConfig.ready()``)."""

from django.utils.translation import gettext_lazy as _

from core.dashboard import DashboardTile, month_start, register_tile
from core.navigation import SERVICE, NavItem, register_item
from core.reports import Period


def satisfaction_tile(user, request, now):
    """This month's responses the user may see: their number, the average rating and the NPS."""
    from django.utils import timezone

    from .models import Answer, Question
    from .survey_reports import answered, average, nps_of

    today = timezone.localdate(now)
    period = Period(month_start(today), today)
    numbers = {Question.Kind.RATING: [], Question.Kind.NPS: []}
    for kind, number in Answer.objects.filter(  # one query for both kinds
            invitation__in=answered(user, period).values("pk"), question__kind__in=list(numbers),
            number__isnull=False).values_list("question__kind", "number"):
        numbers[kind].append(number)
    ratings, scores = numbers[Question.Kind.RATING], numbers[Question.Kind.NPS]
    return {"survey_ratings": len(ratings), "survey_average": average(ratings), "survey_nps": nps_of(scores)[3],
            "survey_nps_answers": len(scores), "survey_from": period.date_from.isoformat(),
            "survey_to": period.date_to.isoformat()}


def register():
    register_item("service:surveys", NavItem(SERVICE, _("Surveys"), "service:survey_list", icon="ui-checks-grid",
                                             section="surveys", testid="nav-surveys"), 80)
    register_item("service:survey_invitations", NavItem(
        SERVICE, _("Survey invitations"), "service:surveyinvitation_list", icon="envelope-check",
        section="surveys", testid="nav-survey-invitations"), 81)
    register_item("service:survey_rules", NavItem(SERVICE, _("Survey rules"), "service:surveyrule_list",
                                                  icon="arrow-repeat", section="surveys",
                                                  testid="nav-survey-rules"), 82)
    register_tile(DashboardTile("survey_satisfaction", _("Client satisfaction this month"),
                                "service/dashboard/satisfaction.html", satisfaction_tile), order=75)
