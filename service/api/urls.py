"""Service API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from . import complaints

router.register("complaint-types", complaints.ComplaintTypeViewSet)
router.register("complaint-departments", complaints.DepartmentViewSet)
router.register("complaints", complaints.ComplaintViewSet)
router.register("complaint-tasks", complaints.ComplaintTaskViewSet)
