# The full-text index of the articles (knowledge/search.py): a stored generated tsvector column with
# a GIN index on PostgreSQL, an FTS5 table of stemmed words on SQLite. Not in the models: each
# database gets only its own.
from django.db import migrations

PG_CREATE = [
    """ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('russian'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('russian'::regconfig, coalesce(body_text, '')), 'B')) STORED""",
    "CREATE INDEX knowledge_article_search ON knowledge_article USING GIN (search_vector)",
]
PG_DROP = ["DROP INDEX IF EXISTS knowledge_article_search",
           "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search_vector"]
SQLITE_CREATE = ["CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_article_fts USING fts5(title, body, "
                 "tokenize = 'unicode61 remove_diacritics 2')"]
SQLITE_DROP = ["DROP TABLE IF EXISTS knowledge_article_fts"]


def run(statements):
    def apply(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)
    return apply


def fill_fts(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from knowledge.search import stemmed

    Article = apps.get_model("knowledge", "Article")
    rows = [(pk, stemmed(title), stemmed(text))
            for pk, title, text in Article.objects.filter(deleted_at__isnull=True).values_list("pk", "title",
                                                                                               "body_text")]
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany("INSERT INTO knowledge_article_fts (rowid, title, body) VALUES (%s, %s, %s)", rows)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_articles")]

    operations = [
        migrations.RunPython(run({"postgresql": PG_CREATE, "sqlite": SQLITE_CREATE}),
                             run({"postgresql": PG_DROP, "sqlite": SQLITE_DROP})),
        migrations.RunPython(fill_fts, migrations.RunPython.noop),
    ]
