"""Factories of the knowledge base. Its models are not owner-scoped (everyone reads published
articles; drafts and writing follow a role rule), so they need no access-matrix samples."""

import factory

from ..models import Article, ArticleCategory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArticleCategory

    name = factory.Sequence(lambda n: f"Category {n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article {n}")
    kind = Article.Kind.PRODUCT
    body = "<p>Text</p>"
    published = True
