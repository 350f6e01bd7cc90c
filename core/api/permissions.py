from rest_framework.permissions import BasePermission

from core import access

ACTION_BY_METHOD = {
    "GET": access.VIEW, "HEAD": access.VIEW, "OPTIONS": access.VIEW,
    "POST": access.ADD, "PUT": access.CHANGE, "PATCH": access.CHANGE, "DELETE": access.DELETE,
}


class RolePermission(BasePermission):
    """The role may perform the request's action at all; rows are narrowed by restrict()."""

    def has_permission(self, request, view):
        action = getattr(view, "access_action", None) or ACTION_BY_METHOD.get(request.method)
        return access.can(request.user, action)
