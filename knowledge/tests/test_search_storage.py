"""The search vector stays in the article's row on PostgreSQL (migration 0005): ranking thousands of
matches must not fetch each vector from TOAST."""

import pytest
from django.db import connection

from knowledge.models import Article

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL storage")
def test_the_vector_of_a_long_article_is_kept_in_the_row():
    article = Article.objects.create(title="Витрина", body="<p>" + "холодильная витрина с подсветкой " * 300 + "</p>",
                                     published=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT attstorage FROM pg_attribute WHERE attrelid = 'knowledge_article'::regclass "
                       "AND attname = 'search_vector'")
        assert cursor.fetchone()[0] == "m"
    assert [a.pk for a in Article.objects.extra(  # noqa: S610
        where=["search_vector @@ websearch_to_tsquery('russian', %s)"], params=["витрины"])] == [article.pk]
