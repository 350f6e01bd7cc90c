from django.urls import path

from core.reports import legacy_urlpatterns
from core.routes import crud_urls, reference_urls

from .models import InteractionType
from .views import calendar, interactions, notifications, reports

app_name = "activities"

urlpatterns = [
    # Interactions, tasks and reminders.
    *crud_urls("interaction", "interaction", list=interactions.InteractionListView,
               edit=interactions.InteractionEditView, delete=interactions.InteractionDeleteView),
    path("interaction/basis/", interactions.InteractionBasisOptionsView.as_view(), name="interaction_basis"),
    *crud_urls("task", "task", list=interactions.TaskListView, edit=interactions.TaskEditView,
               delete=interactions.TaskDeleteView),
    *crud_urls("reminder", "reminder", list=interactions.ReminderListView, edit=interactions.ReminderEditView,
               delete=interactions.ReminderDeleteView),
    path("card/<int:pk>/", interactions.CardInteractionsView.as_view(), name="card_interactions"),
    # Settings (administrators).
    *reference_urls("type", "type", InteractionType, app_name, fields=["name", "code", "order"]),
    # Calendar.
    path("calendar/", calendar.CalendarView.as_view(), name="calendar"),
    path("calendar/move/", calendar.CalendarMoveView.as_view(), name="calendar_move"),
    path("calendar/feed/regenerate/", calendar.FeedRegenerateView.as_view(), name="calendar_feed_regenerate"),
    path("calendar/feed/revoke/", calendar.FeedRevokeView.as_view(), name="calendar_feed_revoke"),
    path("calendar/feed/<str:token>.ics", calendar.feed, name="calendar_feed"),
    # Notifications and outgoing email.
    path("notifications/", notifications.notification_list, name="notification_list"),
    path("notifications/badge/", notifications.badge, name="notification_badge"),
    path("notifications/menu/", notifications.dropdown, name="notification_dropdown"),
    path("notifications/<int:pk>/read/", notifications.mark_read, name="notification_read"),
    path("notifications/read-all/", notifications.mark_all_read, name="notification_read_all"),
    path("email/", notifications.email_list, name="email_list"),
    path("email/<int:pk>/retry/", notifications.email_retry, name="email_retry"),
    path("email/compose/", notifications.ComposeView.as_view(), name="email_compose"),
    # Reports live in core (/reports/<slug>/); the old addresses stay as aliases.
    *legacy_urlpatterns(reports.ContactInfoReport, reports.ContactsReport, reports.AnalysisReport,
                        reports.WithoutInteractionsReport),
]
