"""The default pipeline of seed 002, the initial lost reasons, order failure reasons and lead sources
(used by the data migrations and ``Pipeline.ensure_default()``, which brings them back into a wiped
database, e.g. in tests)."""

from django.utils.translation import gettext_noop

from core.builtin_names import Builtin

# Built-in rows: a stable code and an English default name, translated when shown (see
# core.builtin_names); the second string is the Russian name they had before (migration 0009).
PIPELINES = {"sales": Builtin(gettext_noop("Sales"), "Продажи")}
STAGE_NAMES = {
    "demo": Builtin(gettext_noop("Demonstration / presentation"), "Демонстрация / Презентация"),
    "proposal": Builtin(gettext_noop("Preparing a proposal"), "Подготовка предложения"),
    "decision": Builtin(gettext_noop("Decision making"), "Принятие решения"),
    "contract": Builtin(gettext_noop("Preparing, agreeing and signing the contract"),
                        "Подготовка, согласование и подписание договора"),
    "handover": Builtin(gettext_noop("Documents, handover to installation"), "Документы, передача в монтаж"),
    "won": Builtin(gettext_noop("Won"), "Выиграна"),
    "lost": Builtin(gettext_noop("Lost"), "Проиграна"),
}
STAGES = [  # (code, probability, kind)
    ("demo", 10, "open"), ("proposal", 25, "open"), ("decision", 50, "open"), ("contract", 75, "open"),
    ("handover", 90, "open"), ("won", 100, "won"), ("lost", 0, "lost"),
]
LOST_REASON_NAMES = {
    "price": Builtin(gettext_noop("High price"), "Высокая цена"),
    "competitor": Builtin(gettext_noop("Chose a competitor"), "Выбрали конкурента"),
    "no_budget": Builtin(gettext_noop("No budget"), "Нет бюджета"),
    "postponed": Builtin(gettext_noop("Project postponed"), "Проект отложен"),
    "no_answer": Builtin(gettext_noop("No answer"), "Нет ответа"),
}
ORDER_FAILURE_REASON_NAMES = {
    "client_refused": Builtin(gettext_noop("Client refused"), "Клиент отказался"),
    "not_paid": Builtin(gettext_noop("Not paid"), "Нет оплаты"),
    "out_of_stock": Builtin(gettext_noop("Out of stock"), "Нет товара в наличии"),
    "late_delivery": Builtin(gettext_noop("Delivery deadlines missed"), "Сорваны сроки поставки"),
    "order_error": Builtin(gettext_noop("Error in the order"), "Ошибка в заказе"),
}

LEAD_SOURCE_NAMES = {
    "website": Builtin(gettext_noop("Website"), "Сайт"),
    "advertising": Builtin(gettext_noop("Advertising"), "Реклама"),
    "recommendation": Builtin(gettext_noop("Recommendation"), "Рекомендация"),
    "exhibition": Builtin(gettext_noop("Exhibition"), "Выставка"),
    "cold_call": Builtin(gettext_noop("Cold call"), "Холодный звонок"),
    "email": Builtin(gettext_noop("Email mailing"), "Email-рассылка"),
    "social": Builtin(gettext_noop("Social networks"), "Социальные сети"),
    "repeat": Builtin(gettext_noop("Repeat client"), "Повторный клиент"),
    "other": Builtin(gettext_noop("Other"), "Другое"),
}


def create_defaults(Pipeline, Stage, LostReason):
    """Create the default pipeline and lost reasons unless there are some already."""
    if not Pipeline.objects.exists():
        pipeline = _create(Pipeline, "sales", name=PIPELINES["sales"].msgid, is_default=True, order=10)
        for order, (code, probability, kind) in enumerate(STAGES, start=1):
            _create(Stage, code, pipeline=pipeline, name=STAGE_NAMES[code].msgid, order=order * 10,
                    probability=probability, kind=kind)
    if not LostReason.objects.exists():
        for order, (code, entry) in enumerate(LOST_REASON_NAMES.items(), start=1):
            _create(LostReason, code, name=entry.msgid, order=order * 10)
    create_order_failure_reasons(_sibling(Pipeline, "OrderFailureReason"))
    create_lead_sources(_sibling(Pipeline, "LeadSource"))


def _create(model, code, **fields):
    """Create a built-in row; migrations older than the ``code`` field (0009) create it without."""
    if any(f.name == "code" for f in model._meta.get_fields()):
        fields["code"] = code
    return model.objects.create(**fields)


def _sibling(model, name):
    """Another model of the same registry: historical in migrations (None before it existed), else real."""
    try:
        return model._meta.apps.get_model("sales", name)
    except LookupError:
        return None


def create_order_failure_reasons(OrderFailureReason):
    """The initial order failure reasons (migration 0004) unless there are some, trashed ones included."""
    if OrderFailureReason is None:
        return
    manager = getattr(OrderFailureReason, "all_objects", OrderFailureReason.objects)
    if not manager.exists():
        for order, (code, entry) in enumerate(ORDER_FAILURE_REASON_NAMES.items(), start=1):
            _create(OrderFailureReason, code, name=entry.msgid, order=order * 10)


def create_lead_sources(LeadSource):
    """The built-in lead sources (migration 0012) unless there are some, trashed ones included."""
    if LeadSource is None:
        return
    manager = getattr(LeadSource, "all_objects", LeadSource._base_manager)
    if not manager.exists():
        for order, (code, entry) in enumerate(LEAD_SOURCE_NAMES.items(), start=1):
            _create(LeadSource, code, name=entry.msgid, order=order * 10)
