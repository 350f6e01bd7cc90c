"""Core API resources, registered on the shared router."""

from .attachments import AttachmentViewSet
from .router import router
from .saved_filters import SavedFilterViewSet
from .views import UserViewSet

router.register("users", UserViewSet)
router.register("attachments", AttachmentViewSet)
router.register("saved-filters", SavedFilterViewSet, basename="savedfilter")
