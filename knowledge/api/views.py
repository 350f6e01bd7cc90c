import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.api import m2m
from core.api.views import BaseModelViewSet, ReferenceViewSet
from core.filtersets import BaseFilterSet

from .. import search
from ..filtersets import ArticleFilterSet
from ..models import Article, ArticleAttachment, ArticleCategory
from . import serializers


class ArticleCategoryViewSet(ReferenceViewSet):
    """Knowledge-base categories, a tree (``parent``; ``path`` is the full name "A › B"): everyone
    reads, administrators write; a category still holding articles or subcategories is not deleted (409)."""

    model = ArticleCategory
    serializer_class = serializers.ArticleCategorySerializer
    ordering_fields = ("id", "name", "order")


class ArticleViewSet(BaseModelViewSet):
    """Knowledge-base articles. Everyone reads published ones; the editors (administrators, heads,
    quality specialists, service engineers, marketers) also drafts, and write. ``q`` searches the
    full text with Russian word forms and returns the matches best first, 20 a page; ``next`` and
    ``previous`` link the neighbouring pages (``start``: the offset, at most 1000)."""

    model = Article
    serializer_class = serializers.ArticleSerializer
    filterset_class = ArticleFilterSet
    select_related = ("category",)
    m2m_ids = ("products", "competitors")
    ordering_fields = ("id", "title", "updated_at")

    @extend_schema(parameters=[OpenApiParameter(
        "start", OpenApiTypes.INT, description="With q: the offset of the page of matches (0–1000).")])
    def list(self, request, *args, **kwargs):
        if not (request.query_params.get("q") or "").strip():
            return super().list(request, *args, **kwargs)
        qs = self.filter_queryset(self.get_queryset())
        start = search.start_of(request.query_params.get("start"))
        rows = search.best(qs, search.PAGE + 1, start)
        m2m.fill(rows[:search.PAGE], self.m2m_ids)
        url = request.build_absolute_uri()
        links = {"next": replace_query_param(url, "start", start + search.PAGE) if len(rows) > search.PAGE else None,
                 "previous": None}
        if start:
            back = start - search.PAGE
            links["previous"] = (replace_query_param(url, "start", back) if back > 0
                                 else remove_query_param(url, "start"))
        return Response({**links, "results": self.get_serializer(rows[:search.PAGE], many=True).data})


class AttachmentFilterSet(BaseFilterSet):
    article = django_filters.NumberFilter(field_name="article_id")

    class Meta:
        model = ArticleAttachment
        fields = []


class ArticleAttachmentViewSet(BaseModelViewSet):
    """Attachments of the articles. The knowledge-base editors upload them (multipart: ``article``,
    ``file``, optional ``name``; at most 20 MB) to articles they may change, and delete them (to the
    trash); ``file`` in the answers is the download URL, which checks access like the article."""

    model = ArticleAttachment
    serializer_class = serializers.ArticleAttachmentSerializer
    filterset_class = AttachmentFilterSet
    parser_classes = [MultiPartParser]
    http_method_names = ["get", "head", "options", "post", "delete"]

    def get_serializer_class(self):
        return serializers.ArticleAttachmentUploadSerializer if self.action == "create" else self.serializer_class

    @extend_schema(request={"multipart/form-data": serializers.ArticleAttachmentUploadSerializer},
                   responses={201: serializers.ArticleAttachmentSerializer}, summary="Upload an attachment")
    def create(self, request, *args, **kwargs):
        upload = self.get_serializer(data=request.data)
        upload.is_valid(raise_exception=True)
        self.perform_create(upload)
        data = self.serializer_class(upload.instance, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)
