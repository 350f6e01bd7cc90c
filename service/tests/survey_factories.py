"""Samples of the service models for the generated access matrix (core.tests.samples)."""

from clients.models import ContactInfo, ContactKind, Counterparty
from core import access
from core.tests import samples


def make_survey(channel=None, name="NPS"):
    """A survey with one question of each kind but single choice: (survey, nps, rating, multiple, text)."""
    from ..models import Channel, Question, Survey

    survey = Survey.objects.create(name=name, channel=channel or Channel.EMAIL, link_days=7)
    nps = Question.objects.create(survey=survey, order=1, text="Recommend us?", kind=Question.Kind.NPS, required=True)
    rating = Question.objects.create(survey=survey, order=2, text="Quality?", kind=Question.Kind.RATING)
    pick = Question.objects.create(survey=survey, order=3, text="What matters?", kind=Question.Kind.MULTIPLE,
                                   options="Price\nService\nQuality")
    text = Question.objects.create(survey=survey, order=4, text="Wishes", kind=Question.Kind.TEXT)
    return survey, nps, rating, pick, text


def answer(survey, client, at, product=None, **numbers):
    """An invitation of ``client`` (about ``product``, if given) answered at ``at`` with ``numbers``
    by question kind (nps=9, rating=4)."""
    from .. import surveys
    from ..models import SurveyInvitation

    invitation = SurveyInvitation.objects.create(survey=survey, counterparty=client, channel=survey.channel,
                                                 product=product)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(state=SurveyInvitation.State.SENT)
    questions = {q.kind: q for q in survey.live_questions()}
    raw = {str(questions[kind].pk): value for kind, value in numbers.items()}
    assert surveys.record_answers(invitation, raw, now=at)
    return invitation


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
