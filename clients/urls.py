from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.CounterpartyListView.as_view(), name="counterparty_list"),
    path("new/", views.CounterpartyEditView.as_view(), name="counterparty_add"),
    path("duplicates/", views.DuplicateCheckView.as_view(), name="duplicates"),
    path("batch/", views.BatchChangeView.as_view(), name="batch"),
    path("lookup/", views.CounterpartyLookupView.as_view(), name="lookup"),
    path("<int:pk>/", views.CounterpartyDetailView.as_view(), name="counterparty"),
    path("<int:pk>/edit/", views.CounterpartyEditView.as_view(), name="counterparty_edit"),
    path("<int:pk>/delete/", views.CounterpartyDeleteView.as_view(), name="counterparty_delete"),
    path("<int:pk>/history/", views.CounterpartyHistoryView.as_view(), name="counterparty_history"),
    path("<int:counterparty>/persons/new/", views.ContactPersonEditView.as_view(), name="person_add"),
    path("persons/", views.ContactPersonListView.as_view(), name="person_list"),
    path("persons/<int:pk>/edit/", views.ContactPersonEditView.as_view(), name="person_edit"),
    path("persons/<int:pk>/delete/", views.ContactPersonDeleteView.as_view(), name="person_delete"),
]

for _prefix, (_list, _edit, _delete) in views.REFERENCE_VIEWS.items():
    urlpatterns += [
        path(f"settings/{_prefix}/", _list.as_view(), name=f"{_prefix}_list"),
        path(f"settings/{_prefix}/new/", _edit.as_view(), name=f"{_prefix}_add"),
        path(f"settings/{_prefix}/<int:pk>/", _edit.as_view(), name=f"{_prefix}_edit"),
        path(f"settings/{_prefix}/<int:pk>/delete/", _delete.as_view(), name=f"{_prefix}_delete"),
    ]
