"""Bench case of the knowledge base: full-text search over ``--articles`` articles (default: a tenth
of ``--count``, so 10 000 at the standard 100 000 clients; target ≤ 50 ms p95), as the search page
and the API ``?q=``, for an administrator and a sales manager."""

import random

from django.urls import reverse

from core import registry
from core.management.commands.bench import BenchCase

from . import search

BENCH_CATEGORY = "Bench knowledge"
P95_MS = 50  # issue 12: knowledge-base search p95 over 10 000 articles (PostgreSQL; SQLite stays far below)
ARGUMENTS = ((("--articles",), {"type": int, "default": None,
                                "help": "Knowledge-base articles searched (default: --count / 10; 0: skip)."}),)
WORDS = ["холодильная витрина", "холодильные витрины", "холодильных камер", "холодильной камеры", "компрессора",
         "компрессоры", "монтаж", "монтажа", "сервисное обслуживание", "гарантия", "гарантийный ремонт",
         "конденсатор", "испаритель", "хладагент", "фреон", "температура", "оттайка", "дверь", "стекло",
         "освещение", "энергопотребление", "шумность", "покупатель", "магазин", "супермаркет", "склад",
         "рекламация", "претензия", "заказчик", "поставка", "доставка", "пусконаладка", "регламент", "проверка"]


def wanted(run):
    articles = run.opts.get("articles")
    return (run.opts.get("count") or 0) // 10 if articles is None else articles


def generate(run, count, start):
    total = wanted(run)
    if not total:
        return
    from .models import Article, ArticleCategory

    category, _created = ArticleCategory.objects.get_or_create(name=BENCH_CATEGORY)
    have = Article.all_objects.filter(category=category).count()
    rng = random.Random(12)
    kinds = [k for k, _label in Article.Kind.choices]
    rows = []
    for n in range(have, total):
        words = " ".join(rng.choice(WORDS) for _ in range(60))
        body = f"<p>{words}.</p><p>{' '.join(rng.choice(WORDS) for _ in range(40))}.</p>"
        rows.append(Article(title=f"Статья {n}: {rng.choice(WORDS)} {rng.choice(WORDS)}", kind=rng.choice(kinds),
                            category=category, body=body, body_text=body.replace("<p>", " ").replace("</p>", " "),
                            published=n % 10 != 0))
    for chunk in range(0, len(rows), 1000):
        created = Article.objects.bulk_create(rows[chunk:chunk + 1000])
        search.index_articles([a.pk for a in created])  # SQLite FTS; PostgreSQL's column is generated


def cases(run):
    if not wanted(run):
        return []
    manager = run.managers[0] if run.managers else run.admin
    page, api = reverse("knowledge:article_list"), "/api/knowledge-articles/"
    out = []
    for text in ("холодильник", "компрессор монтаж", "гарантийного ремонта"):
        out.append((f"knowledge search “{text}”, admin", run.admin, page, {"q": text}, None, P95_MS))
        out.append((f"knowledge search “{text}”, manager", manager, page, {"q": text}, None, P95_MS))
    out.append(("knowledge API search, manager", manager, api, {"q": "холодильные камеры"}, None, P95_MS))
    return out


def delete(run):
    from .models import Article, ArticleCategory

    ids = list(Article.all_objects.filter(category__name=BENCH_CATEGORY).values_list("pk", flat=True))
    search.unindex_articles(ids)
    for chunk in range(0, len(ids), 1000):
        Article.all_objects.filter(pk__in=ids[chunk:chunk + 1000]).delete()  # for good (a QuerySet delete)
    ArticleCategory.all_objects.filter(name=BENCH_CATEGORY).delete()


def summary(run):
    from .models import Article

    total = Article.objects.filter(category__name=BENCH_CATEGORY).count()
    return f"{total} knowledge articles" if total else "no knowledge articles"


def register():
    registry.bench_cases.register("knowledge", BenchCase(arguments=ARGUMENTS, generate=generate, cases=cases,
                                                         delete=delete, summary=summary), order=70)
