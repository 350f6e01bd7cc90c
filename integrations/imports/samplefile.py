"""Generated client files for the bench and the tests: valid INNs, phones and emails."""

import random

HEADERS = ["Наименование", "ИНН", "Город", "Телефон", "E-mail", "Контактное лицо", "Должность"]
WORDS = ["Альфа", "Бета", "Вектор", "Гранит", "Дельта", "Заря", "Иней", "Кристалл", "Лёд", "Мороз", "Нева",
         "Орион", "Полюс", "Рассвет", "Север", "Тайга", "Урал", "Фрост", "Холод", "Циркон", "Эверест", "Юг"]
CITIES = ["Москва", "Санкт-Петербург", "Казань", "Самара", "Тверь", "Псков"]
SURNAMES = ["Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Волков", "Соколов"]
NAMES = ["Иван", "Пётр", "Сергей", "Алексей", "Дмитрий", "Андрей"]


def inn10(n):
    """A valid 10-digit INN (legal entity) built from a number."""
    digits = [int(c) for c in f"{n % 10**9:09d}"]
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11 % 10
    return "".join(map(str, digits)) + str(check)


def rows(count, start=0, seed=7, prefix="Импорт"):
    rng = random.Random(seed)
    for i in range(start, start + count):
        word = rng.choice(WORDS)
        yield [f"ООО «{prefix} {word} {i:06d}»", inn10(770_000_000 + i), rng.choice(CITIES),
               f"+7 (916) {i // 10000 % 1000:03d}-{i // 100 % 100:02d}-{i % 100:02d}",
               f"info{i}@{word.lower() if word.isascii() else 'firma'}{i % 97}.example.ru",
               f"{rng.choice(SURNAMES)} {rng.choice(NAMES)}", "менеджер по закупкам"]


def csv_bytes(count, start=0, encoding="utf-8-sig", delimiter=";", seed=7, prefix="Импорт"):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows(count, start, seed, prefix))
    return buffer.getvalue().encode(encoding)
