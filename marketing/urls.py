from django.urls import path

from core.routes import crud_urls

from . import views

app_name = "marketing"

urlpatterns = [
    *crud_urls("campaigns", "campaign", list=views.CampaignListView, detail=views.CampaignDetailView,
               edit=views.CampaignEditView, delete=views.CampaignDeleteView, history=views.CampaignHistoryView),
    path("deals/<int:pk>/campaign/", views.DealCampaignView.as_view(), name="deal_campaign"),
]
