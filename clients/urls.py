from django.urls import path

from core.routes import crud_urls, reference_urls

from . import merge_views, views
from .models import CounterpartyGroup, Industry, Region, RelationshipType

app_name = "clients"

urlpatterns = [
    *crud_urls("", "counterparty", list=views.CounterpartyListView, edit=views.CounterpartyEditView,
               detail=views.CounterpartyDetailView, delete=views.CounterpartyDeleteView,
               history=views.CounterpartyHistoryView),
    path("duplicates/", views.DuplicateCheckView.as_view(), name="duplicates"),
    path("batch/", views.BatchChangeView.as_view(), name="batch"),
    # Duplicates over the whole base and merge (clients.duplicates, clients.merge).
    path("duplicates/pairs/", merge_views.DuplicateListView.as_view(), name="duplicate_list"),
    path("duplicates/scan/", merge_views.DuplicateScanView.as_view(), name="duplicate_scan"),
    path("duplicates/<int:pk>/dismiss/", merge_views.DuplicateDismissView.as_view(), name="duplicate_dismiss"),
    path("<int:pk>/merge/<int:merged>/", merge_views.MergeView.as_view(), name="counterparty_merge"),
    path("lookup/", views.CounterpartyLookupView.as_view(), name="lookup"),
    # Contact persons are added from their client's card and have no card of their own.
    path("persons/", views.ContactPersonListView.as_view(), name="person_list"),
    path("<int:counterparty>/persons/new/", views.ContactPersonEditView.as_view(), name="person_add"),
    path("persons/<int:pk>/edit/", views.ContactPersonEditView.as_view(), name="person_edit"),
    path("persons/<int:pk>/delete/", views.ContactPersonDeleteView.as_view(), name="person_delete"),
    # Settings (administrators).
    *crud_urls("settings/property", "property", list=views.CustomPropertyListView,
               edit=views.CustomPropertyEditView, delete=views.CustomPropertyDeleteView),
    *reference_urls("settings/group", "group", CounterpartyGroup, app_name, fields=["name", "description", "parent"]),
    *reference_urls("settings/reltype", "reltype", RelationshipType, app_name),
    *reference_urls("settings/region", "region", Region, app_name),
    *reference_urls("settings/industry", "industry", Industry, app_name),
]
