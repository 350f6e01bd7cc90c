"""Core API resources, registered on the shared router."""

from .attachments import AttachmentViewSet
from .router import router
from .views import UserViewSet

router.register("users", UserViewSet)
router.register("attachments", AttachmentViewSet)
