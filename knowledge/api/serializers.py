from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import access
from core.api.serializers import BaseModelSerializer

from ..models import MAX_ATTACHMENT_SIZE, Article, ArticleAttachment, ArticleCategory, check_competitors
from ..sanitize import sanitize


class ArticleCategorySerializer(BaseModelSerializer):
    class Meta(BaseModelSerializer.Meta):
        model = ArticleCategory


class ArticleSerializer(BaseModelSerializer):
    body = serializers.CharField(required=False, allow_blank=True,
                                 help_text="HTML; sanitised on save (scripts, event handlers, styles and images "
                                           "from other sites are removed).")
    category_name = serializers.CharField(source="category.name", read_only=True, default=None, allow_null=True)
    category_path = serializers.CharField(source="category.path", read_only=True, default=None, allow_null=True,
                                          help_text='The category with its parents, "A › B".')
    rank = serializers.SerializerMethodField(help_text="Relevance of the match when searching with q (higher is "
                                                       "better); null otherwise.")

    class Meta(BaseModelSerializer.Meta):
        model = Article
        exclude = ("deleted_at", "body_text")
        read_only_fields = (*BaseModelSerializer.Meta.read_only_fields, "author")

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_rank(self, obj):
        rank = getattr(obj, "rank", None)
        return None if rank is None else float(rank)

    def create(self, validated_data):
        self._validated_instance.author = self.user  # built by the base serializer's validate()
        return super().create(validated_data)

    def validate_body(self, value):
        return sanitize(value)

    def validate_competitors(self, value):
        try:
            check_competitors(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class ArticleAttachmentSerializer(BaseModelSerializer):
    file = serializers.SerializerMethodField(help_text="Download URL (checks access; media are not served).")
    size = serializers.SerializerMethodField()

    class Meta(BaseModelSerializer.Meta):
        model = ArticleAttachment

    @extend_schema_field(serializers.CharField())
    def get_file(self, obj):
        return reverse("knowledge:attachment_download", args=[obj.pk])

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_size(self, obj):
        try:
            return obj.file.size
        except (FileNotFoundError, ValueError, OSError):
            return None


class ArticleAttachmentUploadSerializer(ArticleAttachmentSerializer):
    """A new attachment (multipart): to an article the user may change, as on the article's card."""

    version = None  # a new row has none
    file = serializers.FileField(write_only=True, help_text=f"The file, at most {MAX_ATTACHMENT_SIZE // 2 ** 20} MB.")

    class Meta(ArticleAttachmentSerializer.Meta):
        exclude = None
        fields = ("article", "file", "name")

    def get_fields(self):
        fields = super().get_fields()
        # Attaching changes the article: those it may change, as the card's upload does.
        fields["article"].queryset = Article.objects.restrict(self.user, access.CHANGE)
        return fields
