"""The demo's surveys (``load_demo``): a phone survey of new clients and an email NPS survey of
regular clients, their rules, and responses of demo clients over the last three months."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clients.models import Counterparty

from . import surveys
from .models import Channel, Question, Survey, SurveyInvitation, SurveyRule

PHONE = "Звонок новым клиентам"
EMAIL = "Индекс лояльности (NPS)"
K = Question.Kind
# survey: (channel, description, [(text, kind, options, required)])
SURVEYS = {
    PHONE: (Channel.PHONE, "Здравствуйте! Компания «Лидер», отдел качества. Вы недавно купили у нас "
                           "оборудование — ответьте, пожалуйста, на четыре вопроса.", [
        ("Насколько вы довольны покупкой?", K.RATING, "", True),
        ("Как вы оцениваете работу менеджера?", K.RATING, "", True),
        ("Откуда вы узнали о нас?", K.SINGLE, "Интернет\nРекомендация\nВыставка\nДругое", False),
        ("Что нам улучшить?", K.TEXT, "", False),
    ]),
    EMAIL: (Channel.EMAIL, "Компания «Лидер» благодарит вас за сотрудничество. Помогите нам стать лучше.", [
        ("Насколько вероятно, что вы порекомендуете «Лидер» коллегам?", K.NPS, "", True),
        ("Как вы оцениваете качество оборудования?", K.RATING, "", True),
        ("Что для вас важнее всего?", K.MULTIPLE, "Цена\nСроки поставки\nСервис\nКачество", False),
        ("Ваши пожелания", K.TEXT, "", False),
    ]),
}
PHONE_ANSWERS = [(5, 5, "Рекомендация", ""), (4, 5, "Интернет", "Ускорить доставку"), (3, 4, "Выставка", ""),
                 (5, 4, "Интернет", ""), (2, 3, "Другое", "Монтаж затянулся на неделю")]
EMAIL_ANSWERS = [(10, 5, ["Сервис", "Качество"], "Спасибо!"), (9, 5, ["Цена"], ""), (7, 4, ["Сроки поставки"], ""),
                 (6, 3, ["Цена", "Сервис"], "Дорогие запчасти"), (10, 4, ["Качество"], ""), (3, 2, ["Сервис"],
                                                                                             "Долго ждали инженера")]


def demo_exists():
    return Survey.all_objects.filter(name__in=[PHONE, EMAIL]).exists()


def make_survey(name):
    channel, description, questions = SURVEYS[name]
    survey = Survey.objects.create(name=name, channel=channel, description=description,
                                   thanks="Спасибо! Ваше мнение помогает нам работать лучше.")
    for order, (text, kind, options, required) in enumerate(questions, start=1):
        Question.objects.create(survey=survey, order=order * 10, text=text, kind=kind, options=options,
                                required=required)
    return survey


def clients_for(rule, count):
    clients, _source = surveys.audience(rule)
    found = list(clients.filter(deleted_at__isnull=True).order_by("pk")[:count])
    if len(found) < count:  # a small base: any clients
        found += list(Counterparty.objects.filter(deleted_at__isnull=True).exclude(pk__in=[c.pk for c in found])
                      .order_by("pk")[:count - len(found)])
    return found


def load(stdout=None, now=None):
    """Add the demo surveys with their rules and responses, unless there; returns counts."""
    if demo_exists():
        if stdout:
            stdout.write("The demo surveys are already loaded.")
        return {}
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["quality", "admin"])}
    operator = users.get("quality") or users.get("admin")
    if operator is None or not Counterparty.objects.exists():
        return {}
    now = now or timezone.now()
    with transaction.atomic():
        phone, email = make_survey(PHONE), make_survey(EMAIL)
        phone_rule = SurveyRule.objects.create(name="Каждый месяц: звонок новым клиентам", survey=phone,
                                               audience=SurveyRule.Audience.NEW, operator=operator)
        email_rule = SurveyRule.objects.create(name="Каждый квартал: NPS постоянных клиентов", survey=email,
                                               audience=SurveyRule.Audience.REGULAR,
                                               frequency=SurveyRule.Frequency.QUARTER, active=False)
        answered = phone_responses(phone, clients_for(phone_rule, 14), operator, now)
        answered += email_responses(email, clients_for(email_rule, 18), now)
    return {"surveys": 2, "responses": answered}


def phone_responses(survey, clients, operator, now):
    questions = survey.live_questions()
    answered = 0
    for i, client in enumerate(clients):
        phone, person = surveys.phone_of(client.pk)
        invitation = SurveyInvitation.objects.create(survey=survey, counterparty=client, channel=Channel.PHONE,
                                                     address=phone, contact_person_id=person, operator=operator)
        if i >= 10:
            continue  # still in the operator's queue
        when = now - dt.timedelta(days=85 - i * 8, hours=i % 4)
        values = PHONE_ANSWERS[i % len(PHONE_ANSWERS)]
        raw = {str(q.pk): v for q, v in zip(questions, values, strict=True) if v != ""}
        answered += surveys.record_answers(invitation, raw, operator=operator, now=when)
    return answered


def email_responses(survey, clients, now):
    questions = survey.live_questions()
    answered = 0
    for i, client in enumerate(clients):
        address, person = surveys.email_of(client.pk)
        sent = now - dt.timedelta(days=88 - i * 5)
        invitation = SurveyInvitation.objects.create(
            survey=survey, counterparty=client, channel=Channel.EMAIL, address=address or "client@example.com",
            contact_person_id=person)
        expires = sent + dt.timedelta(days=survey.link_days)
        SurveyInvitation.objects.filter(pk=invitation.pk).update(state=SurveyInvitation.State.SENT, sent_at=sent,
                                                                 expires_at=expires)
        invitation.refresh_from_db()
        if i % 5 == 4:
            continue  # not answered: expired, or still open
        values = EMAIL_ANSWERS[i % len(EMAIL_ANSWERS)]
        raw = {str(q.pk): v for q, v in zip(questions, values, strict=True) if v not in ("", [])}
        answered += surveys.record_answers(invitation, raw, now=sent + dt.timedelta(days=1, hours=i % 7))
    surveys.expire_links(now)
    return answered


def register():
    """``manage.py load_demo``: after the sales demo (audiences come from orders) and analytics."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    registry.demo_loaders.register("service_surveys", DemoLoader(lambda context: load(stdout=context.stdout),
                                                                 label="surveys"), order=90)
