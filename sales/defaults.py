"""The default pipeline of seed 002 and the initial lost reasons (used by migration 0002 and
``Pipeline.ensure_default()``, which brings them back into a wiped database, e.g. in tests)."""

STAGES = [
    ("Демонстрация / Презентация", 10, "open"),
    ("Подготовка предложения", 25, "open"),
    ("Принятие решения", 50, "open"),
    ("Подготовка, согласование и подписание договора", 75, "open"),
    ("Документы, передача в монтаж", 90, "open"),
    ("Выиграна", 100, "won"),
    ("Проиграна", 0, "lost"),
]
LOST_REASONS = ["Высокая цена", "Выбрали конкурента", "Нет бюджета", "Проект отложен", "Нет ответа"]


def create_defaults(Pipeline, Stage, LostReason):
    """Create the default pipeline and lost reasons unless there are some already."""
    if not Pipeline.objects.exists():
        pipeline = Pipeline.objects.create(name="Продажи", is_default=True, order=10)
        for order, (name, probability, kind) in enumerate(STAGES, start=1):
            Stage.objects.create(pipeline=pipeline, name=name, order=order * 10,
                                 probability=probability, kind=kind)
    if not LostReason.objects.exists():
        for order, name in enumerate(LOST_REASONS, start=1):
            LostReason.objects.create(name=name, order=order * 10)
    create_order_failure_reasons(_sibling(Pipeline, "OrderFailureReason"))


ORDER_FAILURE_REASONS = ["Клиент отказался", "Нет оплаты", "Нет товара в наличии", "Сорваны сроки поставки",
                         "Ошибка в заказе"]


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
        for order, name in enumerate(ORDER_FAILURE_REASONS, start=1):
            OrderFailureReason.objects.create(name=name, order=order * 10)
