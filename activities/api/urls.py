"""Activities API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from . import notifications, views

router.register("interaction-types", views.InteractionTypeViewSet)
router.register("interactions", views.InteractionViewSet)
router.register("tasks", views.TaskViewSet)
router.register("reminders", views.ReminderViewSet)
router.register("calendar", views.CalendarViewSet, basename="calendar")
router.register("notifications", notifications.NotificationViewSet, basename="notification")
