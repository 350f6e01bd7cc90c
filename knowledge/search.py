"""Full-text search of the articles with Russian stemming, ranked by relevance.

PostgreSQL: a stored generated ``search_vector`` column (config 'russian'; title weight A, text B)
with a GIN index (migration 0003), queried with ``websearch_to_tsquery`` and ranked with
``ts_rank``. SQLite: an FTS5 table ``knowledge_article_fts`` (rowid = article id) holding the
words already stemmed by the Snowball Russian stemmer (FTS5 has none), kept in sync on every save
— trashing removes the row, restoring puts it back — and ranked with ``bm25`` (title ×10).

A search returns its matches best first, ``PAGE`` at a time; further pages by offset (``start``,
at most ``MAX_START``): relevance is no key to page by, and nobody reads a thousand results deep.
"""

import re
from functools import lru_cache

import snowballstemmer
from django.db import connection
from django.db.models import FloatField, Q, Value
from django.db.models.expressions import RawSQL
from django.utils.html import escape

from core.pagination import page_rows

# Results per page: a page of 50 spent ~10 ms of a 55 ms search on rows nobody scrolls to.
PAGE = 20
MAX_START = 1000
# Ranked candidates fetched from FTS5 before access and filters narrow them.
CANDIDATES = 2000
FIRST_CANDIDATES = 200
WORD = re.compile(r"\w+", re.UNICODE)
_stemmer = snowballstemmer.stemmer("russian")
_english = snowballstemmer.stemmer("english")


@lru_cache(maxsize=20000)
def stem(word):
    word = word.lower().replace("ё", "е")
    if re.search("[а-я]", word):
        return _stemmer.stemWord(word)
    return _english.stemWord(word) if word.isalpha() else word


def stemmed(text):
    """The text's words, stemmed, separated by spaces (what FTS5 indexes)."""
    return " ".join(stem(w) for w in WORD.findall(text or ""))


def is_postgres():
    return connection.vendor == "postgresql"


def has_fts():
    return connection.vendor == "sqlite"


# --- SQLite FTS5 index -------------------------------------------------------------------------

def index_articles(ids):
    """Bring the FTS rows of ``ids`` up to date (live articles in, trashed ones out)."""
    if not has_fts() or not ids:
        return
    from .models import Article

    ids = list(ids)
    rows = Article.all_objects.filter(pk__in=ids).values_list("pk", "title", "body_text", "deleted_at")
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("%s" for _ in chunk)
            cursor.execute(f"DELETE FROM knowledge_article_fts WHERE rowid IN ({marks})", chunk)  # noqa: S608
        cursor.executemany("INSERT INTO knowledge_article_fts (rowid, title, body) VALUES (%s, %s, %s)",
                           [(pk, stemmed(title), stemmed(text)) for pk, title, text, deleted in rows if not deleted])


def unindex_articles(ids):
    if not has_fts() or not ids:
        return
    with connection.cursor() as cursor:
        cursor.executemany("DELETE FROM knowledge_article_fts WHERE rowid = %s", [(pk,) for pk in ids])


def rebuild():
    """Re-index every article (after a bulk insert, or when the stemmer changed)."""
    from .models import Article

    if not has_fts():
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM knowledge_article_fts")
    ids = list(Article.all_objects.values_list("pk", flat=True))
    for start in range(0, len(ids), 2000):
        index_articles(ids[start:start + 2000])


def fts_query(text):
    """An FTS5 MATCH expression: every stemmed word must occur (as a prefix, for partial words);
    a word after "-" must not. None when nothing searchable is left."""
    required, excluded = [], []
    for chunk in (text or "").split():
        negated = chunk.startswith("-")
        for word in WORD.findall(chunk):
            if word.lower() == "or":
                continue
            token = f'"{stem(word)}"'
            (excluded if negated else required).append(token if negated else token + "*")
    if not required:
        return None
    expr = " AND ".join(required)
    return expr + "".join(f" NOT {token}" for token in excluded)


# --- Searching ---------------------------------------------------------------------------------

def start_of(value):
    """The offset of the page asked for (``start``), within 0..MAX_START; anything else reads as 0."""
    try:
        start = int(value)
    except (TypeError, ValueError):
        return 0
    return min(max(start, 0), MAX_START)


def window(data):
    """How many of the best matches a request for ``start`` needs: its page and one more (to tell
    whether there is a next page)."""
    return start_of(data.get("start")) + PAGE + 1


def matching(queryset, text, upto=PAGE + 1):
    """``queryset`` narrowed to the articles matching ``text``, annotated with ``rank`` (higher is
    better). Order by ``-rank`` for relevance. SQLite keeps only the best ``upto`` of them."""
    text = (text or "").strip()
    if not text:
        return queryset
    if is_postgres():
        # The text goes in as a parameter; the column is not on the model (migration 0003).
        vector, tsquery = '"knowledge_article"."search_vector"', "websearch_to_tsquery('russian', %s)"
        return (queryset.extra(where=[f"{vector} @@ {tsquery}"], params=[text])  # noqa: S610
                .annotate(rank=RawSQL(f"ts_rank({vector}, {tsquery})", [text])))  # noqa: S611
    if has_fts():
        expr = fts_query(text)
        best = []
        # The best ``upto`` candidates the queryset allows, ranked in one CASE: a CASE over all the
        # candidates cost ~0.3 ms of query compiling per branch (0.6 s for 2 000). The first
        # FIRST_CANDIDATES usually hold them (most readers see most articles); when filters or
        # access leave fewer, the search goes on to CANDIDATES.
        for limit in (FIRST_CANDIDATES, CANDIDATES):
            ranked = fts_ranked(expr, limit) if expr else []
            allowed = set(queryset.filter(pk__in=[pk for pk, _score in ranked]).values_list("pk", flat=True))
            best = [(pk, score) for pk, score in ranked if pk in allowed][:upto]
            if len(best) == upto or len(ranked) < limit:
                break
        if not best:
            return queryset.none().annotate(rank=Value(0.0, output_field=FloatField()))
        # The scores as one raw CASE: fifty When() expressions cost ~3 ms of compiling per query.
        column = f"{connection.ops.quote_name(queryset.model._meta.db_table)}.{connection.ops.quote_name('id')}"
        case = f"CASE {column} {' '.join('WHEN %s THEN %s' for _ in best)} ELSE 0.0 END"
        params = [value for pk, score in best for value in (pk, -score)]
        return queryset.filter(pk__in=[pk for pk, _score in best]).annotate(
            rank=RawSQL(case, params, output_field=FloatField()))  # noqa: S611 (placeholders only)
    # Other databases: plain substring search, unranked.
    return queryset.filter(Q(title__icontains=text) | Q(body_text__icontains=text)).annotate(
        rank=Value(0.0, output_field=FloatField()))


def fts_ranked(expr, limit=CANDIDATES):
    """[(article id, bm25 score)], best (lowest score) first."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid, bm25(knowledge_article_fts, 10.0, 1.0) AS score FROM knowledge_article_fts "
                       "WHERE knowledge_article_fts MATCH %s ORDER BY score LIMIT %s", [expr, limit])
        return cursor.fetchall()


def best(queryset, limit=PAGE, start=0):
    """The rows ``start`` to ``start + limit`` of a ``matching`` queryset, best first: ranked on ids
    alone, then fetched whole (``core.pagination.page_rows``) — ranked with its joins and wide rows,
    PostgreSQL carried all ~10 000 matches of a common word through the joins into the sort (27 → 17 ms)."""
    return page_rows(queryset, queryset.order_by("-rank", "title", "pk")[start:], limit)


def search(queryset, text, start=0, matched=False):
    """One page of the best articles of ``queryset`` for ``text`` from ``start``, best first, each
    with a ``snippet`` (HTML-safe, matched words in <mark>), and whether more follow. ``matched``:
    the queryset went through ``matching`` already (the list's filter set)."""
    rows = best(queryset if matched else matching(queryset, text, start + PAGE + 1), PAGE + 1, start)
    more, rows = len(rows) > PAGE, rows[:PAGE]
    match = word_matcher({stem(w) for w in WORD.findall(text or "")})
    for row in rows:
        row.snippet = snippet(row.body_text, match=match)
    return rows, more


def word_matcher(stems):
    """word -> whether it is a form of one of ``stems`` (or starts like one), remembered per word:
    the snippets of one search test the same words over and over."""
    seen = {}

    def match(word):
        hit = seen.get(word)
        if hit is None:
            word_stem = stem(word)
            hit = seen[word] = word_stem in stems or any(word_stem.startswith(s) for s in stems if s)
        return hit
    return match


def snippet(text, stems=(), width=220, match=None):
    """A piece of ``text`` around the first matched word, matched words marked (escaped HTML)."""
    match = match or word_matcher(set(stems))
    first = next((m for m in WORD.finditer(text or "") if match(m.group())), None)  # bodies are long: stop there
    start = max(first.start() - width // 3, 0) if first else 0
    piece = text[start:start + width]
    out, pos = [], 0
    for m in WORD.finditer(piece):
        if match(m.group()):
            out.append(escape(piece[pos:m.start()]))
            out.append(f"<mark>{escape(m.group())}</mark>")
            pos = m.end()
    out.append(escape(piece[pos:]))
    prefix = "… " if start else ""
    suffix = " …" if start + width < len(text or "") else ""
    return prefix + "".join(out) + suffix
