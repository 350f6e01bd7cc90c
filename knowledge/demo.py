"""Demo knowledge base of «Лидер»: twenty articles on the refrigeration equipment it sells, its
competitors, installation and service, and the complaint procedure; linked to the demo products and
competitors where those exist (by name; nothing breaks if they do not)."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

CATEGORIES = ["Холодильные витрины", "Холодильные камеры", "Компрессоры и агрегаты", "Конкуренты",
              "Монтаж и сервис", "Регламенты"]
# The equipment sections sit under one parent: the tree as it looks in practice.
EQUIPMENT = "Холодильное оборудование"
PARENTS = {"Холодильные витрины": EQUIPMENT, "Холодильные камеры": EQUIPMENT, "Компрессоры и агрегаты": EQUIPMENT}

P, C, S, R = "product", "competitor", "service", "procedure"
# (title, kind, category, body HTML, product name hints, link competitors)
ARTICLES = [
    ("Холодильные витрины: как подобрать под магазин", P, 0,
     "<h2>Что спросить у покупателя</h2><ul><li>площадь торгового зала и длина линии;</li>"
     "<li>ассортимент: молочная продукция, мясо, кулинария;</li><li>выносной или встроенный агрегат.</li></ul>"
     "<p>Холодильные витрины с выносным агрегатом тише и не греют зал, но требуют монтажа трассы.</p>",
     ["витрин"], False),
    ("Среднетемпературные витрины для молочной продукции", P, 0,
     "<p>Диапазон <b>+2…+6 °C</b>. Для открытых горок обязательна ночная шторка: экономия электроэнергии до 25 %.</p>"
     "<table><thead><tr><th>Длина</th><th>Полок</th></tr></thead><tbody><tr><td>1,25 м</td><td>4</td></tr>"
     "<tr><td>1,875 м</td><td>5</td></tr></tbody></table>", ["витрин", "горк"], False),
    ("Низкотемпературные бонеты и лари", P, 0,
     "<p>Для замороженной продукции: <b>−18…−24 °C</b>. Бонеты со стеклянными крышками снижают теплоприток.</p>"
     "<p>Оттайка электрическая, по таймеру контроллера.</p>", ["бонет", "лар"], False),
    ("Сборные холодильные камеры из сэндвич-панелей", P, 1,
     "<h2>Панели</h2><p>Толщина 80 мм для среднетемпературных и 100 мм для низкотемпературных камер. "
     "Замок эксцентриковый, покрытие пищевое.</p><h3>Двери</h3><p>Распашные и откатные, с обогревом проёма.</p>",
     ["камер"], False),
    ("Расчёт холодопроизводительности камеры", P, 1,
     "<p>Упрощённо: объём камеры × удельная нагрузка (40–60 Вт/м³ для среднетемпературных). "
     "Точный расчёт учитывает суточный оборот продукции и частоту открывания дверей.</p>"
     "<pre><code>Q = V × q × k</code></pre>", ["камер", "сплит"], False),
    ("Моноблоки и сплит-системы для холодильных камер", P, 1,
     "<p>Моноблок ставится в стену камеры за час, сплит-система тише и подходит для больших объёмов.</p>",
     ["моноблок", "сплит"], False),
    ("Компрессоры: поршневые и спиральные", P, 2,
     "<p>Спиральные компрессоры тише и надёжнее при частых пусках; поршневые дешевле и ремонтопригодны.</p>"
     "<ul><li>контроль перегрева на всасывании;</li><li>защита от работы без масла.</li></ul>",
     ["компрессор"], False),
    ("Компрессорно-конденсаторные агрегаты", P, 2,
     "<p>Агрегат на раме с ресивером и конденсатором; для нескольких витрин выгоднее центральный холод.</p>",
     ["агрегат", "компрессор"], False),
    ("Хладагенты R404A, R448A и R290", P, 2,
     "<p>R404A выводится из оборота; замена — R448A. Пропан R290 применяется в моноблоках и витринах "
     "со встроенным агрегатом, заправка до 150 г.</p>", [], False),
    ("Конкуренты: сравнение цен на холодильные витрины", C, 3,
     "<p>Основные конкуренты предлагают витрины дешевле на 5–10 %, но без монтажа и с гарантией 12 месяцев. "
     "Наш довод: гарантия 24 месяца и собственная сервисная служба.</p>", ["витрин"], True),
    ("Конкуренты: сроки поставки и склад", C, 3,
     "<p>У конкурентов поставка под заказ 4–6 недель; у нас ходовые модели холодильников и витрин на складе.</p>",
     [], True),
    ("Как отвечать на «у конкурента дешевле»", C, 3,
     "<ol><li>Уточнить комплектацию: агрегат, монтаж, доставка.</li><li>Сравнить гарантию и сроки выезда "
     "сервиса.</li><li>Предложить расчёт стоимости владения за 5 лет.</li></ol>", [], True),
    ("Монтаж холодильной камеры: порядок работ", S, 4,
     "<h2>Этапы</h2><ol><li>Приёмка площадки: ровный пол, электропитание.</li><li>Сборка панелей и двери.</li>"
     "<li>Установка агрегата, прокладка трассы, вакуумирование.</li><li>Пусконаладка и обучение персонала.</li>"
     "</ol><p>Срок — по договору, обычно 3 рабочих дня после поставки.</p>", ["монтаж", "камер"], False),
    ("Монтаж витрин с выносным агрегатом", S, 4,
     "<p>Трасса не длиннее 20 м, маслоподъёмные петли через каждые 3 м подъёма. После пайки — опрессовка азотом.</p>",
     ["монтаж", "витрин"], False),
    ("Сервисное обслуживание: регламент планового визита", S, 4,
     "<ul><li>чистка конденсатора;</li><li>проверка давления и перегрева;</li><li>проверка оттайки и дренажа;</li>"
     "<li>запись в журнал оборудования.</li></ul>"
     "<p>Периодичность — по сервисному договору, от 2 до 12 визитов в год.</p>",
     ["обслуживан"], False),
    ("Гарантийный ремонт: что входит", S, 4,
     "<p>Гарантия покрывает заводские дефекты компрессоров, контроллеров и вентиляторов. "
     "Не покрывает повреждения при перевозке клиентом и работу без стабилизатора напряжения.</p>", [], False),
    ("Телефонная консультация: частые неисправности холодильников", S, 4,
     "<table><tr><th>Симптом</th><th>Что проверить</th></tr><tr><td>Витрина не холодит</td>"
     "<td>Автомат, контроллер, загрязнение конденсатора</td></tr><tr><td>Лёд на испарителе</td>"
     "<td>Оттайка, уплотнитель двери</td></tr></table>", [], False),
    ("Регламент обработки рекламаций", R, 5,
     "<h2>Сроки</h2><p>Ответ клиенту — <strong>3 рабочих дня</strong> с момента получения рекламации. "
     "Ответственный — специалист по качеству.</p><h3>Шаги</h3><ol><li>Регистрация и классификация.</li>"
     "<li>Подзадачи службам: сервис, юристы, продажи.</li><li>Решение и контрольный звонок клиенту.</li></ol>",
     [], False),
    ("Претензии по срокам поставки: порядок ответа", R, 5,
     "<p>Проверить дату в договоре и фактическую отгрузку; при нарушении — предложить компенсацию "
     "по согласованию с руководителем.</p>", [], False),
    ("Опрос удовлетворённости после монтажа", R, 5,
     "<p>Через 14 дней после пусконаладки оператор звонит клиенту: оценка монтажа 1–5 и NPS.</p>", [], False),
]


def demo_exists():
    from .models import Article

    return Article.all_objects.filter(title=ARTICLES[0][0]).exists()


def products_for(hints):
    from sales.models import Product

    if not hints:
        return []
    q = Q()
    for hint in hints:
        q |= Q(name__icontains=hint)
    return list(Product.objects.filter(q).order_by("pk")[:3])


def load(stdout=None):
    from clients.models import Counterparty

    from .models import Article, ArticleCategory

    if demo_exists():
        if stdout:
            stdout.write("Knowledge base: already there.")
        return
    users = get_user_model().objects
    author = users.filter(username="quality").first() or users.filter(is_superuser=True).first()
    competitors = list(Counterparty.objects.filter(is_competitor=True).order_by("pk")[:3])
    with transaction.atomic():
        parents = {EQUIPMENT: ArticleCategory.objects.get_or_create(name=EQUIPMENT)[0]}
        categories = [ArticleCategory.objects.get_or_create(
            name=name, defaults={"order": i * 10, "parent": parents.get(PARENTS.get(name))})[0]
            for i, name in enumerate(CATEGORIES)]
        for title, kind, category, body, hints, link_competitors in ARTICLES:
            article = Article.objects.create(title=title, kind=kind, category=categories[category], body=body,
                                             author=author, published=True)
            article.products.set(products_for(hints))
            if link_competitors:
                article.competitors.set(competitors)
    if stdout:
        stdout.write(f"Knowledge base: {len(ARTICLES)} articles.")


def register():
    """``manage.py load_demo``: after the catalogue (products) and the clients (competitors)."""
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    registry.demo_loaders.register("knowledge", DemoLoader(lambda context: load(stdout=context.stdout),
                                                          label="knowledge"), order=80)
