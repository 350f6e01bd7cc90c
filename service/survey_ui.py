"""What surveys add to the shared UI: menu entries (registered from ``ServiceConfig.ready()``)."""

from django.utils.translation import gettext_lazy as _

from core.navigation import ACTIVITIES, NavItem, register_item


def register():
    register_item("service:surveys", NavItem(ACTIVITIES, _("Surveys"), "service:survey_list", icon="ui-checks-grid",
                                             section="surveys", testid="nav-surveys"), 80)
    register_item("service:survey_invitations", NavItem(
        ACTIVITIES, _("Survey invitations"), "service:surveyinvitation_list", icon="envelope-check",
        section="surveys", testid="nav-survey-invitations"), 81)
    register_item("service:survey_rules", NavItem(ACTIVITIES, _("Survey rules"), "service:surveyrule_list",
                                                  icon="arrow-repeat", section="surveys",
                                                  testid="nav-survey-rules"), 82)
