"""Demo company «Лидер» and bulk data for the benchmark (``load_demo`` and ``bench`` commands).

«Лидер» sells, installs and services industrial refrigeration equipment for food shops and
pavilions in Moscow and the Moscow region. Everything here is generated from a seeded
``random.Random`` and a seeded Faker, so a rerun produces exactly the same rows; tax ids are
derived from a sequence number, so they are valid (check digits) and unique.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone
from faker import Faker
from simple_history.utils import bulk_create_with_history
from stdnum.ru import inn, ogrn

from core import history
from core.access import Role
from core.models import CustomProperty, PropertyKind, PropertyTarget

from . import fts
from .models import (
    ContactInfo,
    ContactKind,
    ContactPerson,
    Counterparty,
    CounterpartyGroup,
    CounterpartyKind,
    CounterpartyShare,
    DuplicatePair,
    Industry,
    ReachBy,
    Region,
    RelationshipType,
    SuppliedItem,
)
from .services import build_search_text

SEED = 8_2017  # «Лидер» has been on the market for 8 years
CENTS = Decimal("0.01")

# --- Reference data ---------------------------------------------------------------------------

BUYERS, SHOPS, PAVILIONS, CHAINS = "Покупатели", "Магазины", "Торговые павильоны", "Сети"
SUPPLIERS, PARTNERS, COMPETITORS = "Поставщики", "Партнёры", "Конкуренты"
GROUP_TREE = {BUYERS: [SHOPS, PAVILIONS, CHAINS], SUPPLIERS: [], PARTNERS: [], COMPETITORS: []}

# Built-in relationship types by code (names come from RelationshipType.BUILTIN_NAMES, translated).
RELATIONSHIP_TYPES = {
    "vip": "Ключевые клиенты: сети и крупные магазины",
    "regular": "Повторные покупки и сервисный договор",
    "one_off": "Одна покупка",
    "potential": "Ведутся переговоры, покупок ещё не было",
}
MOSCOW, MOSCOW_REGION = "Москва", "Московская область"
REGIONS = [MOSCOW, MOSCOW_REGION, "Тверская область", "Калужская область", "Тульская область",
           "Владимирская область"]
RETAIL, CATERING, WHOLESALE = "Продуктовый ритейл", "Общепит", "Оптовая торговля"
EQUIPMENT, INSTALLATION = "Холодильное оборудование", "Монтаж и сервис"
INDUSTRIES = [RETAIL, CATERING, WHOLESALE, "Производство продуктов питания", EQUIPMENT, INSTALLATION]

ACTIVITIES = ["Продукты питания", "Мясо и птица", "Рыба и морепродукты", "Молочная продукция",
              "Овощи и фрукты", "Кондитерские изделия", "Напитки", "Общепит"]
INTERESTS = ["Холодильные витрины", "Холодильные камеры", "Холодильные шкафы", "Морозильные лари",
             "Сплит-системы", "Моноблоки", "Монтаж", "Сервисное обслуживание"]
PROPERTIES = [
    {"code": "activity", "name": "Сфера деятельности", "kind": PropertyKind.CHOICE, "choices": ACTIVITIES},
    {"code": "employees", "name": "Количество сотрудников", "kind": PropertyKind.NUMBER},
    {"code": "interests", "name": "Интересуется", "kind": PropertyKind.MULTI, "choices": INTERESTS},
    {"code": "first_contact", "name": "Дата первого контакта", "kind": PropertyKind.DATE},
    {"code": "own_warehouse", "name": "Есть собственный склад", "kind": PropertyKind.BOOLEAN},
    {"code": "service_engineer", "name": "Сервисный инженер", "kind": PropertyKind.USER},
]

# username, role, first name, last name, head's username
USERS = [
    ("admin", Role.ADMIN, "Андрей", "Смирнов", None),
    ("head", Role.COMPANY_HEAD, "Олег", "Воронцов", None),
    # The head of sales: the managers are their department (User.head), seen in the calendar.
    ("saleshead", Role.SALES_HEAD, "Сергей", "Никитин", "head"),
    ("manager1", Role.SALES_MANAGER, "Ирина", "Кузнецова", "saleshead"),
    ("manager2", Role.SALES_MANAGER, "Дмитрий", "Соколов", "saleshead"),
    ("manager3", Role.SALES_MANAGER, "Елена", "Павлова", "saleshead"),
    ("marketer", Role.MARKETER, "Мария", "Лебедева", None),
    ("quality", Role.QUALITY, "Наталья", "Орлова", None),
    ("service", Role.SERVICE, "Виктор", "Морозов", None),
]
MANAGERS = ["manager1", "manager2", "manager3"]

# --- Word lists -------------------------------------------------------------------------------

SHOP_BRANDS = [
    "Продукты у дома", "Продукты 24", "Свежий хлеб", "Мясная лавка", "Рыбный день", "Молочная речка",
    "Фермерская лавка", "Овощной двор", "Вкусная остановка", "Гастроном на углу", "Бакалея",
    "Кулинария Домашняя", "Сладкоежка", "Колосок", "Дары природы", "Мясной двор", "Хозяюшка",
    "Три поросёнка", "Морской бриз", "Сырная лавка", "Витаминка", "Ассорти", "Добрыня", "Изобилие",
    "Каравай", "Кормилец", "Семейная корзина", "Ярмарка", "Тройка", "Берёзка", "Радуга вкуса",
]
ADJECTIVES = ["Свежий", "Добрый", "Семейный", "Народный", "Городской", "Северный", "Южный", "Уютный",
              "Золотой", "Щедрый", "Зелёный", "Столичный", "Домашний", "Вкусный"]
NOUNS = ["Гастроном", "Маркет", "Магазин", "Универсам", "Дворик", "Квартал", "Амбар", "Погребок",
         "Базар", "Колос", "Продмаг", "Гурман"]
CHAIN_BRANDS = ["Торговая сеть Семейный", "Сеть магазинов Удачный", "Гастрономъ-Сити", "Продмаркет",
                "Свежесть", "Фудлайн", "Вкусвилл-Регион", "Город продуктов", "Подмосковный гастроном",
                "Торговый дом Заречье", "Кварталы вкуса", "Сити-Фуд"]
SUPPLIER_BRANDS = ["Полюс-Холод", "Крионорд", "Арктика Трейд", "ХолодМаш", "Север-Компрессор",
                   "Фригодом", "Айс-Техно", "Термокуб", "ПромХладТорг", "Снежинка-Пром", "Хладокомплект",
                   "Морозко-Дистрибуция", "Вента-Холод", "ЭкоФрост"]
PARTNER_BRANDS = ["Монтаж-Профи", "ЭлектроСтройСервис", "Проектное бюро Климат", "ТрансЛогистик",
                  "Сервис-Регион", "Строймонтаж-Подмосковье", "Кредит-Лизинг", "Торговое оснащение"]
COMPETITOR_BRANDS = ["Холод-Профи", "Айсберг Сервис", "Мир холода", "Полярная звезда",
                     "Холодильный центр", "Альфа-Фрост"]
SUPPLY_CATALOG = [
    ("Холодильная витрина 1,2 м, среднетемпературная", "шт", 65_000, 140_000),
    ("Холодильная горка 1,875 м", "шт", 120_000, 260_000),
    ("Шкаф холодильный со стеклянной дверью 700 л", "шт", 48_000, 95_000),
    ("Ларь морозильный 400 л", "шт", 27_000, 52_000),
    ("Моноблок среднетемпературный 3 кВт", "шт", 70_000, 150_000),
    ("Сплит-система низкотемпературная 5 кВт", "шт", 160_000, 330_000),
    ("Компрессор поршневой 5 кВт", "шт", 55_000, 120_000),
    ("Воздухоохладитель 8 кВт", "шт", 35_000, 80_000),
    ("Панель сэндвич ППУ 100 мм", "м²", 2_800, 4_500),
    ("Дверь распашная для холодильной камеры", "шт", 28_000, 60_000),
    ("Контроллер температуры", "шт", 4_500, 12_000),
    ("Хладагент R404A, баллон 10,9 кг", "шт", 9_000, 16_000),
    ("Труба медная 12,7 мм", "м", 450, 900),
]
POSITIONS = ["Закупщик", "Главный инженер", "Управляющий магазином", "Главный бухгалтер",
             "Заведующий складом", "Товаровед", "Администратор", "Менеджер по закупкам"]
MOSCOW_STREETS = [
    "ул. Профсоюзная", "Ленинский пр-т", "ул. Тверская", "Варшавское ш.", "ул. Большая Черкизовская",
    "Дмитровское ш.", "ул. Люблинская", "ул. Маршала Жукова", "Каширское ш.", "ул. Народного Ополчения",
    "Волгоградский пр-т", "ул. Миклухо-Маклая", "пр-т Мира", "ул. Братиславская", "Щёлковское ш.",
    "ул. Генерала Белова", "Рязанский пр-т", "ул. Вавилова", "ул. Бутырская", "Кутузовский пр-т",
    "ул. Покровка", "ул. Новослободская", "ул. Снежная", "ул. Хабаровская", "Мичуринский пр-т",
    "ул. Героев Панфиловцев", "ул. Академика Янгеля", "ул. Верхние Поля", "Севастопольский пр-т",
    "ул. Твардовского", "Алтуфьевское ш.", "ул. Перовская", "ул. Кировоградская", "Зелёный пр-т",
]
REGION_TOWNS = ["Балашиха", "Химки", "Подольск", "Мытищи", "Люберцы", "Королёв", "Красногорск",
                "Одинцово", "Долгопрудный", "Реутов", "Домодедово", "Щёлково", "Серпухов", "Коломна",
                "Раменское", "Жуковский", "Пушкино", "Сергиев Посад", "Ногинск", "Электросталь"]
TOWN_STREETS = ["ул. Ленина", "ул. Советская", "ул. Московская", "ул. Гагарина", "Октябрьский пр-т",
                "ул. Мира", "ул. Школьная", "ул. Первомайская", "ул. Садовая", "ул. Вокзальная"]
MOBILE_CODES = ["903", "905", "906", "909", "915", "916", "917", "919", "925", "926", "929", "965",
                "967", "977", "985", "999"]
MOSCOW_CODES = ["495", "499"]
# Tax offices of Moscow (77xx) and the Moscow region (50xx): the first 4 digits of INN and KPP.
# 103 offices: coprime with 10**5, so (office, serial) below stays unique for 10 million seqs.
OFFICES = [f"77{i:02d}" for i in range(1, 52)] + [f"50{i:02d}" for i in range(1, 53)]

TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
     "t", "u", "f", "kh", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya"], strict=True))


def translit(text):
    out = "".join(TRANSLIT.get(c, c if c.isascii() and c.isalnum() else "-") for c in text.lower())
    return "-".join(p for p in out.split("-") if p)


# --- Valid Russian registration codes ---------------------------------------------------------

def _okpo(body):
    """``body`` plus its check digit: the mod-11 rule of clients.validators.okpo_is_valid."""
    digits = [int(c) for c in body]
    for start in (1, 3):
        total = sum(d * ((start + i - 1) % 10 + 1) for i, d in enumerate(digits)) % 11
        if total < 10:
            return body + str(total)
    return body + "0"


def tax_codes(seq, individual, year):
    """(INN, KPP, OGRN/OGRNIP, OKPO) for sequence number ``seq``: valid and unique per seq."""
    office = OFFICES[seq % len(OFFICES)]
    serial = seq * 7919 + 4517  # 7919 is prime: a bijection mod 10**k, so no visible pattern
    yy = f"{year % 100:02d}"
    if not individual:
        body = f"{office}{serial % 10**5:05d}"
        tax_id = body + inn.calc_company_check_digit(body)
        ogrn_code = f"1{yy}{office}{serial % 10**5:05d}0"
        ogrn_code = ogrn_code[:-1] + ogrn.calc_check_digit(ogrn_code)
        return tax_id, f"{office}01001", ogrn_code, _okpo(f"{serial * 31 % 10**7:07d}")
    body = f"{office}{serial % 10**6:06d}"
    tax_id = body + inn.calc_personal_check_digits(body)
    # OGRNIP check digit is (first 14 digits mod 13) mod 10, but python-stdnum only accepts
    # remainders below 10: vary the last record digit until the remainder fits.
    for d in "0123456789":
        ogrnip = f"3{yy}{office[:2]}{office[2:]}{serial % 10**6:06d}{d}0"
        check = ogrn.calc_check_digit(ogrnip)
        if len(check) == 1:
            ogrnip = ogrnip[:-1] + check
            break
    return tax_id, "", ogrnip, _okpo(f"{serial * 37 % 10**9:09d}")


# --- Reference rows -----------------------------------------------------------------------------

@dataclass
class Refs:
    groups: dict = field(default_factory=dict)
    relationship_types: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)
    industries: dict = field(default_factory=dict)
    properties: dict = field(default_factory=dict)


def ensure_reference_data():
    """Groups, relationship types, regions, industries and custom properties (get_or_create)."""
    refs = Refs()
    for parent_name, children in GROUP_TREE.items():
        parent, _ = CounterpartyGroup.objects.get_or_create(name=parent_name, parent=None)
        refs.groups[parent_name] = parent
        for name in children:
            refs.groups[name], _ = CounterpartyGroup.objects.get_or_create(name=name, parent=parent)
    builtin = RelationshipType.ensure_builtin()
    for code, description in RELATIONSHIP_TYPES.items():
        rel_type = refs.relationship_types[code] = builtin[code]
        if not rel_type.description:
            rel_type.description = description
            rel_type.save()
    for name in REGIONS:
        refs.regions[name], _ = Region.objects.get_or_create(name=name)
    for name in INDUSTRIES:
        refs.industries[name], _ = Industry.objects.get_or_create(name=name)
    for order, spec in enumerate(PROPERTIES):
        refs.properties[spec["code"]], _ = CustomProperty.objects.get_or_create(
            target=PropertyTarget.COUNTERPARTY, code=spec["code"],
            defaults={"name": spec["name"], "kind": spec["kind"], "choices": spec.get("choices", []),
                      "order": order * 10})
    return refs


# --- Row generator ------------------------------------------------------------------------------

@dataclass
class Bundle:
    """One counterparty with its contact persons, contact info and supplied items (unsaved)."""

    counterparty: Counterparty
    persons: list
    infos: list  # (ContactInfo, index of its person in ``persons`` or None)
    items: list = field(default_factory=list)
    share_with: object = None


def _date(rng, start, end):
    return start + dt.timedelta(days=rng.randrange((end - start).days))


class Generator:
    """Deterministic rows. Faker fills name pools once; per row we only draw from pools (fast)."""

    def __init__(self, seed=SEED):
        self.rng = random.Random(seed)
        fake = Faker("ru_RU")
        fake.seed_instance(seed)
        self.men = [(fake.last_name_male(), fake.first_name_male(), fake.middle_name_male())
                    for _ in range(300)]
        self.women = [(fake.last_name_female(), fake.first_name_female(), fake.middle_name_female())
                      for _ in range(300)]
        self.brands = SHOP_BRANDS + [f"{a} {n}" for a in ADJECTIVES for n in NOUNS]
        self.used_names = set()

    # Small pieces ---------------------------------------------------------------------------
    def person_name(self):
        return self.rng.choice(self.men if self.rng.random() < 0.55 else self.women)

    def phone(self, mobile=True):
        code = self.rng.choice(MOBILE_CODES if mobile else MOSCOW_CODES)
        return f"+7{code}{self.rng.randrange(10**7):07d}"

    def address(self, in_moscow):
        rng = self.rng
        house = f"д. {rng.randint(1, 140)}" + (f", стр. {rng.randint(1, 5)}" if rng.random() < 0.2 else "")
        if in_moscow:
            return f"{rng.randint(101000, 129999)}, г. Москва, {rng.choice(MOSCOW_STREETS)}, {house}"
        return (f"{rng.randint(140000, 144999)}, Московская обл., г. {rng.choice(REGION_TOWNS)}, "
                f"{rng.choice(TOWN_STREETS)}, {house}")

    def unique_brand(self, choices):
        """A brand not used yet (demo names stay distinct; bench rows may repeat)."""
        for _ in range(20):
            brand = self.rng.choice(choices)
            if brand not in self.used_names:
                break
        else:
            brand = f"{brand} {self.rng.choice(REGION_TOWNS)}"
        self.used_names.add(brand)
        return brand

    def properties(self, engineer_ids=()):
        rng = self.rng
        props = {
            "activity": rng.choice(ACTIVITIES),
            "employees": rng.choice([3, 5, 8, 12, 15, 20, 25, 40, 60, 120, 250]),
            "interests": sorted(rng.sample(INTERESTS, rng.randint(1, 3)), key=INTERESTS.index),
            "first_contact": _date(rng, dt.date(2017, 3, 1), dt.date(2025, 6, 1)).isoformat(),
            "own_warehouse": rng.random() < 0.3,
        }
        if engineer_ids and rng.random() < 0.5:
            props["service_engineer"] = rng.choice(engineer_ids)
        return props

    # A counterparty ---------------------------------------------------------------------------
    def bundle(self, seq, category, refs, *, manager=None, engineer_ids=(), lite=False, group=None):
        """Rows of one counterparty. ``lite`` (bench): 2–4 persons, 1–3 contact rows, no extras."""
        rng = self.rng
        buyer = category in (SHOPS, PAVILIONS, CHAINS)
        # Pavilions are mostly run by individual entrepreneurs (ИП), shops by companies.
        individual = rng.random() < {SHOPS: 0.35, PAVILIONS: 0.8}.get(category, 0)
        registered = _date(rng, dt.date(2004, 1, 1), dt.date(2024, 12, 1))
        tax_id, kpp, ogrn_code, okpo = tax_codes(seq, individual, registered.year)
        owner = self.person_name()
        if individual:
            last, first, middle = owner
            name = f"ИП {last} {first[0]}. {middle[0]}."
            full_name = f"Индивидуальный предприниматель {last} {first} {middle}"
            email_domain = rng.choice(["mail.ru", "yandex.ru", "bk.ru", "gmail.com"])
            email = f"{translit(last)}.{translit(first)[0]}{seq % 1000}@{email_domain}"
        else:
            brands = {CHAINS: CHAIN_BRANDS, SUPPLIERS: SUPPLIER_BRANDS, PARTNERS: PARTNER_BRANDS,
                      COMPETITORS: COMPETITOR_BRANDS}.get(category, self.brands)
            brand = self.unique_brand(brands) if not lite else rng.choice(brands)
            form = "АО" if category == CHAINS and rng.random() < 0.4 else "ООО"
            name = f"{form} «{brand}»"
            long_form = "Акционерное общество" if form == "АО" else "Общество с ограниченной ответственностью"
            full_name = f"{long_form} «{brand}»"
            email = f"info@{translit(brand)}.ru"
        in_moscow = tax_id.startswith("77")
        manager_id = manager.pk if manager else None
        region = refs.regions[MOSCOW if in_moscow else MOSCOW_REGION]
        city = "Москва" if in_moscow else rng.choice(REGION_TOWNS)
        industry = {SUPPLIERS: EQUIPMENT, PARTNERS: INSTALLATION, COMPETITORS: EQUIPMENT}.get(
            category, RETAIL if rng.random() < 0.8 else rng.choice([CATERING, WHOLESALE]))
        if buyer:
            rel = rng.choices(list(RELATIONSHIP_TYPES), weights=[1 if category != CHAINS else 6, 9, 4, 6])[0]
        else:
            rel = "regular" if category in (SUPPLIERS, PARTNERS) else None
        cp = Counterparty(
            kind=CounterpartyKind.INDIVIDUAL if individual else CounterpartyKind.LEGAL,
            name=name, full_name=full_name, tax_id=tax_id, kpp=kpp, ogrn=ogrn_code, okpo=okpo,
            group_id=(group or refs.groups[category]).pk,
            relationship_type_id=rel and refs.relationship_types[rel].pk, main_manager_id=manager_id,
            region_id=region.pk, city=city, industry_id=refs.industries[industry].pk,
            industry_segment="Продукты питания" if buyer else "",
            registered_on=registered, is_client=buyer, is_supplier=category == SUPPLIERS,
            is_partner=category == PARTNERS, is_competitor=category == COMPETITORS,
            properties=self.properties(engineer_ids) if buyer else {},
        )
        bundle = Bundle(cp, [], [])
        # Contact persons: the owner/director first, then purchasing and engineering staff.
        count = rng.randint(2, 4) if lite else rng.choices([1, 2, 3], weights=[3, 4, 3])[0]
        for i in range(count):
            last, first, middle = owner if i == 0 else self.person_name()
            position = ("Индивидуальный предприниматель" if individual else "Генеральный директор") \
                if i == 0 else rng.choice(POSITIONS)
            bundle.persons.append(ContactPerson(
                last_name=last, first_name=first, middle_name=middle, position=position,
                birthday=_date(rng, dt.date(1960, 1, 1), dt.date(2001, 1, 1)), responsible_id=manager_id,
                linked_from=_date(rng, dt.date(2017, 1, 1), dt.date(2025, 1, 1)),
                reach_by=rng.choice([ReachBy.ANY, ReachBy.PHONE, ReachBy.PHONE, ReachBy.EMAIL,
                                     ReachBy.MESSENGER]),
            ))
        # Contact information of the counterparty itself.
        add = bundle.infos.append
        add((ContactInfo(kind=ContactKind.PHONE, value=self.phone(mobile=lite or rng.random() < 0.4)), None))
        if not lite or rng.random() < 0.5:
            add((ContactInfo(kind=ContactKind.EMAIL, value=email), None))
        if not lite or rng.random() < 0.5:
            add((ContactInfo(kind=ContactKind.ACTUAL_ADDRESS, value=self.address(in_moscow)), None))
        if lite:
            return bundle
        legal_address = self.address(in_moscow)
        add((ContactInfo(kind=ContactKind.LEGAL_ADDRESS, value=legal_address), None))
        if not individual and rng.random() < 0.4:
            add((ContactInfo(kind=ContactKind.WEBSITE, value=f"https://{translit(brand)}.ru"), None))
        for i, person in enumerate(bundle.persons):
            add((ContactInfo(kind=ContactKind.MOBILE, value=self.phone()), i))
            if rng.random() < 0.5:
                local = f"{translit(person.first_name)[0]}.{translit(person.last_name)}"
                add((ContactInfo(kind=ContactKind.EMAIL,
                                 value=f"{local}@{email.rsplit('@', 1)[1]}"), i))
        if category == SUPPLIERS:
            cp.delivery_terms = rng.choice([
                "Доставка до склада в Москве за счёт поставщика, отсрочка платежа 30 дней",
                "Самовывоз со склада в Подольске, предоплата 50 %",
                "Доставка по Москве и области, оплата по факту поставки",
            ])
            cp.reliability = rng.randint(3, 5)
            cp.lead_time_days = rng.choice([3, 5, 7, 10, 14, 21])
            for item, unit, low, high in rng.sample(SUPPLY_CATALOG, rng.randint(3, 6)):
                bundle.items.append(SuppliedItem(
                    name=item, unit=unit, sku=f"{translit(brand)[:3].upper()}-{rng.randint(1000, 9999)}",
                    price=Decimal(rng.randrange(low, high, 50 if high < 10_000 else 500)).quantize(CENTS),
                    currency="RUB", lead_time_days=cp.lead_time_days,
                ))
        return bundle


def fill_search_text(bundle):
    """The denormalised quick-search column, computed in memory (bulk_create sends no signals)."""
    cp = bundle.counterparty
    # In the models' default order, as refresh_search_text() would read them back.
    persons = sorted(bundle.persons, key=lambda p: (p.last_name, p.first_name))
    infos = sorted((info for info, _i in bundle.infos), key=lambda i: i.kind)
    cp.search_text = build_search_text(cp, persons, infos)


# --- The demo company ---------------------------------------------------------------------------

DEMO_PLAN = [(SHOPS, 160), (PAVILIONS, 100), (CHAINS, 12), (SUPPLIERS, 14), (PARTNERS, 8), (COMPETITORS, 6)]


def ensure_users(password=None):
    """The demo users; existing ones are left untouched. Password defaults to the user name."""
    User = get_user_model()
    users, created = {}, []
    for username, role, first, last, head in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role, first_name=first, last_name=last,
                        email=f"{username}@lider-holod.ru", head=users.get(head),
                        is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN)
            # Demo passwords deliberately bypass the password validators (demo mode only).
            user.set_password(password or username)
            user.save()
            created.append(username)
        users[username] = user
    return users, created


def demo_bundles(refs, users):
    """All demo counterparties, in a fixed order; seq numbers 1… are reserved for the demo."""
    gen = Generator(SEED)
    managers = [users[m] for m in MANAGERS]
    engineer_ids = [users["service"].pk]
    bundles, seq = [], 0
    for category, count in DEMO_PLAN:
        for _ in range(count):
            seq += 1
            if category in (SHOPS, PAVILIONS, CHAINS):
                manager = None if gen.rng.random() < 0.05 else gen.rng.choice(managers)
            else:
                manager = users["manager1"] if category == PARTNERS else None
            bundle = gen.bundle(seq, category, refs, manager=manager, engineer_ids=engineer_ids)
            if manager is not None and gen.rng.random() < 0.05:
                bundle.share_with = gen.rng.choice([m for m in managers if m != manager])
            bundles.append(bundle)
    return bundles


def load_demo(password=None):
    """Create whatever of the demo company is missing; returns a summary dict."""
    with transaction.atomic():
        users, new_users = ensure_users(password)
        refs = ensure_reference_data()
        bundles = demo_bundles(refs, users)
        existing = set(Counterparty.all_objects.filter(
            tax_id__in=[b.counterparty.tax_id for b in bundles]).values_list("tax_id", flat=True))
        new = [b for b in bundles if b.counterparty.tax_id not in existing]
        save_bundles(new, history_user=users["admin"], validate=True)
    return {"users": users, "new_users": new_users, "counterparties": len(bundles), "created": len(new)}


def save_bundles(bundles, *, history_user=None, validate=False, fast=False, batch_size=500):
    """Insert bundles with a few bulk statements, with history records unless ``fast`` (bench)."""
    if not bundles:
        return

    def insert(objs, model):
        if fast:
            return fast_insert(objs, model)
        if validate:
            # Foreign keys point at rows fetched or created a moment ago: checking that each
            # exists would cost a query per field and row, so only they are left out.
            fks = [f.name for f in model._meta.concrete_fields if f.is_relation]
            for obj in objs:
                obj.full_clean(exclude=fks)
        return bulk_create_with_history(objs, model, batch_size=batch_size, default_user=history_user,
                                        default_change_reason="Демо-данные")

    for b in bundles:
        fill_search_text(b)
    with transaction.atomic(), fts.bulk_insert(connections[DEFAULT_DB_ALIAS]) as index:
        insert([b.counterparty for b in bundles], Counterparty)
        index([b.counterparty.pk for b in bundles])
    for b in bundles:  # children were built before their parent had an id
        for obj in b.persons + [i for i, _p in b.infos] + b.items:
            obj.counterparty = b.counterparty
    insert([p for b in bundles for p in b.persons], ContactPerson)
    for b in bundles:
        for info, person in b.infos:
            if person is not None:
                info.contact_person = b.persons[person]
    insert([i for b in bundles for i, _p in b.infos], ContactInfo)
    insert([item for b in bundles for item in b.items], SuppliedItem)
    shares = [CounterpartyShare(counterparty=b.counterparty, user=b.share_with)
              for b in bundles if b.share_with]
    if fast:
        fast_insert(shares, CounterpartyShare)
    else:
        CounterpartyShare.objects.bulk_create(shares, ignore_conflicts=True)
    history.snapshot_latest(Counterparty, [share.counterparty_id for share in shares])


# Fields whose Python value is already what the database driver takes.
_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField,
                 models.ForeignKey)


def _auto_now(field):
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def fast_insert(objs, model):
    """INSERT ``objs`` with explicit ids: executemany on SQLite, COPY on PostgreSQL (bench only).

    bulk_create spends most of its time compiling SQL for every batch of ~30 rows (Django allows
    SQLite 999 parameters a statement); one prepared INSERT run for all rows, or COPY, is several
    times faster, which matters at a million rows. No signals and no history, like bulk_create.
    Ids are taken after MAX(id): do not run it while others insert into the same tables.
    """
    if not objs:
        return
    conn = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` costs a lookup per use
    meta, qn = model._meta, conn.ops.quote_name
    fields = meta.concrete_fields
    now = timezone.now()
    # Per field: None = the value as is; a constant = auto_now timestamps, one per batch;
    # otherwise the field itself converts (dates, JSON, decimals). Converting only what needs it
    # halves the time per row.
    prep = [None if isinstance(f, _PLAIN_FIELDS)
            else (f.get_db_prep_save(now, conn),) if _auto_now(f)
            else f for f in fields]
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT MAX({qn(meta.pk.column)}) FROM {qn(meta.db_table)}")  # noqa: S608
        next_id = (cursor.fetchone()[0] or 0) + 1
        rows = []
        for i, obj in enumerate(objs):
            obj.pk = next_id + i
            values = obj.__dict__
            rows.append(tuple(
                values[f.attname] if p is None else p[0] if type(p) is tuple
                else None if values[f.attname] is None else p.get_db_prep_save(values[f.attname], conn)
                for f, p in zip(fields, prep, strict=True)))
            obj._state.adding, obj._state.db = False, conn.alias
        columns = ", ".join(qn(f.column) for f in fields)
        if conn.vendor == "postgresql":  # COPY: the fastest way into PostgreSQL
            with cursor.cursor.copy(f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({placeholders})",  # noqa: S608
                               rows)
        for sql in conn.ops.sequence_reset_sql(no_style(), [model]):  # PostgreSQL identity
            cursor.execute(sql)


# --- Benchmark rows -----------------------------------------------------------------------------
# Bench rows live in their own group and belong to users named bench_*, so that ``bench --cleanup``
# removes exactly them. They get no history records and no signals: only what a page reads.

BENCH_GROUP = "Бенчмарк (тестовые данные)"
BENCH_USER_PREFIX = "bench_"
BENCH_SEQ_START = 1000  # demo rows use seq 1…999: tax ids never collide


def bench_group():
    return CounterpartyGroup.objects.filter(name=BENCH_GROUP, parent=None).first()


def bench_users(managers=20):
    """An administrator and ``managers`` sales managers for the benchmark (get_or_create)."""
    User = get_user_model()
    admin, _ = User.objects.get_or_create(
        username=f"{BENCH_USER_PREFIX}admin",
        defaults={"role": Role.ADMIN, "is_superuser": True, "is_staff": True, "last_name": "Бенчмарк"})
    result = [admin]
    for i in range(1, managers + 1):
        user, _ = User.objects.get_or_create(
            username=f"{BENCH_USER_PREFIX}manager{i:02d}",
            defaults={"role": Role.SALES_MANAGER, "first_name": f"Менеджер {i}", "last_name": "Бенчмарк"})
        result.append(user)
    for user in result:
        if user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
    return result[0], result[1:]


def generate_bench(count, *, start=0, managers, batch=2000, progress=None):
    """Insert ``count`` bench counterparties (numbered from ``start``) in bulk, batch by batch."""
    refs = ensure_reference_data()
    group, _ = CounterpartyGroup.objects.get_or_create(name=BENCH_GROUP, parent=None)
    gen = Generator(SEED + 1 + start)
    categories = [SHOPS] * 6 + [PAVILIONS] * 3 + [CHAINS]
    engineer_ids = [m.pk for m in managers[:3]]
    done = 0
    while done < count:
        bundles = []
        for i in range(done, min(count, done + batch)):
            manager = None if gen.rng.random() < 0.05 else managers[(start + i) % len(managers)]
            bundle = gen.bundle(BENCH_SEQ_START + start + i, categories[i % len(categories)], refs,
                                manager=manager, engineer_ids=engineer_ids, lite=True, group=group)
            if manager is not None and gen.rng.random() < 0.02:
                bundle.share_with = managers[(start + i + 7) % len(managers)]
            bundles.append(bundle)
        with transaction.atomic():
            save_bundles(bundles, fast=True)
        done += len(bundles)
        if progress:
            progress(done)
    return group


def delete_bench():
    """Remove bench rows, their group and users with a few set-based statements."""
    group = bench_group()
    deleted = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if group is not None:
            cp_table = Counterparty._meta.db_table
            # Children first; raw SQL because the ORM would load every row to send signals.
            pair_table = DuplicatePair._meta.db_table
            cursor.execute(
                f"DELETE FROM {pair_table} WHERE first_id IN (SELECT id FROM {cp_table} WHERE group_id = %s) "  # noqa: S608
                f"OR second_id IN (SELECT id FROM {cp_table} WHERE group_id = %s)", [group.pk, group.pk])
            for model in (CounterpartyShare, ContactInfo, ContactPerson, SuppliedItem):
                cursor.execute(
                    f"DELETE FROM {model._meta.db_table} WHERE counterparty_id IN "  # noqa: S608
                    f"(SELECT id FROM {cp_table} WHERE group_id = %s)", [group.pk])
            cursor.execute(f"DELETE FROM {cp_table} WHERE group_id = %s", [group.pk])  # noqa: S608
            deleted = cursor.rowcount
            CounterpartyGroup.all_objects.filter(pk=group.pk).delete()
        get_user_model().objects.filter(username__startswith=BENCH_USER_PREFIX).delete()
    return deleted


# --- manage.py load_demo ------------------------------------------------------------------------

def load_into(context):
    """The ``core.registry.demo_loaders`` entry: users, reference lists and the clients."""
    import time

    result = load_demo(password=context.password)
    context.stdout.write(context.style.SUCCESS(
        f"Demo company «Лидер»: {result['created']} new of {result['counterparties']} counterparties, "
        f"{len(result['new_users'])} new users ({time.monotonic() - context.started:.1f} s)."
    ))
    # The later loaders (activities, sales) work for these managers; chains are the big buyers.
    context.shared.update(managers=list(MANAGERS), big_buyers_group=CHAINS)
    context.logins += [(username, role.label, username in result["new_users"]) for username, role, *_r in USERS]


def register():
    from core import registry
    from core.management.commands.load_demo import DemoLoader

    registry.demo_loaders.register("clients", DemoLoader(load_into, label="clients"), order=10)
