"""A year of «Лидер»'s complaints for the demo (``load_demo``): every type, some overdue, some
with department subtasks, decisions and closing calls; the ``quality`` user is responsible."""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clients.models import Counterparty

from .models import Complaint, ComplaintTask, ComplaintType, Department

COUNT = 48
SUBJECTS = {
    "quality": ["Камера не держит температуру", "Шум компрессора", "Конденсат на стекле витрины"],
    "delivery": ["Витрина доставлена с вмятиной", "Доставка позже срока на неделю"],
    "installation": ["Протечка после монтажа", "Монтажники не убрали за собой"],
    "service": ["Инженер не приехал в согласованное время", "Повторная поломка после ремонта"],
    "documents": ["Ошибка в счёте-фактуре", "Нет гарантийного талона"],
    "staff": ["Грубость менеджера по телефону"],
}
DEPARTMENT_OF_TYPE = {"quality": "production", "delivery": "logistics", "installation": "service",
                      "service": "service", "documents": "accounting", "staff": "sales"}
DECISIONS = ["Замена узла по гарантии за счёт компании.", "Скидка 10 % на следующий заказ.",
             "Повторный выезд инженера, неисправность устранена.", "Исправленные документы отправлены клиенту.",
             "Претензия необоснованна: нарушены условия эксплуатации."]


def load(stdout=None, now=None):
    if Complaint.all_objects.exists():
        if stdout:
            stdout.write("Demo complaints are already loaded.")
        return 0
    now = now or timezone.now()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["quality", "service", "admin"])}
    quality = users.get("quality") or users.get("admin")
    if quality is None:
        return 0
    ComplaintType.ensure_builtin()
    Department.ensure_builtin()
    types = {t.code: t for t in ComplaintType.objects.exclude(code="")}
    departments = {d.code: d for d in Department.objects.exclude(code="")}
    clients = list(Counterparty.objects.filter(is_client=True).order_by("pk")[:60]) or \
        list(Counterparty.objects.order_by("pk")[:60])
    if not clients or not types:
        return 0
    from sales.models import Product

    products = list(Product.objects.order_by("pk")[:20])
    rng = random.Random(12)
    made = 0
    with transaction.atomic():
        for i in range(COUNT):
            code = rng.choice(list(SUBJECTS))
            client = rng.choice(clients)
            received = now - dt.timedelta(days=365 * (COUNT - i) / COUNT, hours=rng.randint(0, 8))
            complaint = Complaint(type=types[code], counterparty=client, subject=rng.choice(SUBJECTS[code]),
                                  description="Клиент сообщил по телефону.",
                                  channel=rng.choice(Complaint.Channel.values),
                                  received_at=received, responsible=quality)
            if code == "quality" and products:
                complaint.product = rng.choice(products)
            age = (now - received).days
            if age > 20:  # old ones are settled, a few overdue ones stay open
                settled = rng.random() > 0.08
                if settled:
                    complaint.decision = rng.choice(DECISIONS)
                    complaint.decided_at = received + dt.timedelta(days=rng.uniform(0.5, 6))
                    complaint.state = Complaint.State.REJECTED if "необоснованна" in complaint.decision \
                        else Complaint.State.CLOSED
                    complaint.closed_at = complaint.decided_at + dt.timedelta(days=1)
                else:
                    complaint.state = Complaint.State.IN_PROGRESS
            elif age > 5:
                complaint.state = rng.choice([Complaint.State.IN_PROGRESS, Complaint.State.DECIDED])
                if complaint.state == Complaint.State.DECIDED:
                    complaint.decision = rng.choice(DECISIONS)
                    complaint.decided_at = received + dt.timedelta(days=rng.uniform(1, 4))
            complaint.save()
            if i % 3 == 0:
                department = departments.get(DEPARTMENT_OF_TYPE[code])
                if department:
                    task = ComplaintTask(complaint=complaint, department=department, responsible=users.get("service"),
                                         description="Проверить обстоятельства и предложить решение.")
                    if complaint.decided_at:
                        task.done_at, task.result = complaint.decided_at - dt.timedelta(hours=2), "Проверено."
                    task.save()
            if complaint.state == Complaint.State.CLOSED:
                from .complaints import record_closing_call

                record_closing_call(complaint, quality, "Клиент доволен решением.",
                                    satisfaction=rng.randint(3, 5), when=complaint.closed_at)
            made += 1
    if stdout:
        stdout.write(f"Demo complaints: {made}.")
    return made


def register():
    """``manage.py load_demo``: after the clients (and sales: orders and products may be linked)."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    registry.demo_loaders.register("complaints", DemoLoader(lambda context: load(stdout=context.stdout),
                                                           label="complaints"), order=60)
