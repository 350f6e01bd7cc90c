"""Samples of the service models for the generated access matrix (core.tests.samples)."""

from clients.models import ContactInfo, ContactKind, Counterparty
from core import access
from core.tests import samples


def shared_survey():
    # Surveys are company-wide; the invitation's client carries the owner's token.
    from ..models import Channel, Survey

    return Survey.objects.get_or_create(name="Shared phone survey", defaults={"channel": Channel.PHONE})[0]


def invitation_sample(world):
    from ..models import Channel, SurveyInvitation

    client = world.get(Counterparty)
    ContactInfo.objects.get_or_create(counterparty=client, kind=ContactKind.PHONE, value="+74951234567")
    return SurveyInvitation.objects.create(survey=shared_survey(), counterparty=client, channel=Channel.PHONE,
                                           address="+74951234567")


def register_survey_samples():
    from ..models import SurveyInvitation

    samples.sample(SurveyInvitation)(invitation_sample)
    samples.probe("service:surveyinvitation_result", method="post", action=access.CHANGE, target=SurveyInvitation,
                  data=lambda world, invitation: {"result": "no_answer"})
    samples.probe("api:surveyinvitation-respond", method="post", action=access.CHANGE, target=SurveyInvitation,
                  data=lambda world, invitation: {"answers": {}})


register_survey_samples()
