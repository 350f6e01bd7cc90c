"""What surveys add to the shared UI: menu entries (registered from ``ServiceConfig.ready()``)."""

from django.utils.translation import gettext_lazy as _

from core.navigation import SERVICE, NavItem, register_item


def register():
    register_item("service:surveys", NavItem(SERVICE, _("Surveys"), "service:survey_list", icon="ui-checks-grid",
                                             section="surveys", testid="nav-surveys"), 80)
    register_item("service:survey_invitations", NavItem(
        SERVICE, _("Survey invitations"), "service:surveyinvitation_list", icon="envelope-check",
        section="surveys", testid="nav-survey-invitations"), 81)
    register_item("service:survey_rules", NavItem(SERVICE, _("Survey rules"), "service:surveyrule_list",
                                                  icon="arrow-repeat", section="surveys",
                                                  testid="nav-survey-rules"), 82)
