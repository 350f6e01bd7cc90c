"""Core API resources, registered on the shared router."""

from .router import router
from .views import UserViewSet

router.register("users", UserViewSet)
