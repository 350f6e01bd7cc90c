from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Counterparty
from core.forms import BaseModelForm

from .models import MAX_ATTACHMENT_SIZE, Article, ArticleAttachment, check_competitors
from .sanitize import sanitize


class ArticleForm(BaseModelForm):
    class Meta:
        model = Article
        fields = ["title", "kind", "category", "published", "body", "products", "competitors"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16, "class": "font-monospace",
                                                 "data-testid": "article-body"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        competitors = self.fields["competitors"]
        competitors.queryset = competitors.queryset.filter(is_competitor=True)
        competitors.help_text = _("Clients marked as competitors.")

    def clean_body(self):
        return sanitize(self.cleaned_data.get("body"))

    def clean_competitors(self):
        chosen = self.cleaned_data.get("competitors") or Counterparty.objects.none()
        check_competitors(chosen)
        return chosen


class AttachmentForm(BaseModelForm):
    class Meta:
        model = ArticleAttachment
        fields = ["file", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("At most %(mb)s MB.") % {"mb": MAX_ATTACHMENT_SIZE // (1024 * 1024)}
