from django.urls import path

from core.routes import crud_urls, reference_urls

from . import views
from .models import ArticleCategory
from .tables import CategoryTable

app_name = "knowledge"

urlpatterns = [
    *crud_urls("articles", "article", list=views.ArticleListView, detail=views.ArticleDetailView,
               edit=views.ArticleEditView, delete=views.ArticleDeleteView, history=views.ArticleHistoryView),
    path("articles/preview/", views.PreviewView.as_view(), name="article_preview"),
    path("articles/<int:pk>/attachments/", views.AttachmentAddView.as_view(), name="attachment_add"),
    *crud_urls("attachments", "attachment", delete=views.AttachmentDeleteView),
    path("attachments/<int:pk>/download/", views.AttachmentDownloadView.as_view(), name="attachment_download"),
    *reference_urls("categories", "category", ArticleCategory, "knowledge",
                    fields=["name", "parent", "description", "order"], table=CategoryTable),
]
