from rest_framework.permissions import BasePermission

from core import access

ACTION_BY_METHOD = {
    "GET": access.VIEW, "HEAD": access.VIEW, "OPTIONS": access.VIEW,
    "POST": access.ADD, "PUT": access.CHANGE, "PATCH": access.CHANGE, "DELETE": access.DELETE,
}


def access_action(request, view):
    """The access action of a request: an explicit ``access_action`` on the view, else by method."""
    return getattr(view, "access_action", None) or ACTION_BY_METHOD.get(request.method)


class RolePermission(BasePermission):
    """The role may perform the request's action on the view's model at all (403 otherwise).

    Rows are narrowed separately by ``restrict()``; passing the model lets ``access.can``
    keep settings models (reference lists, custom properties) admin-only for writes.
    """

    def has_permission(self, request, view):
        return access.can(request.user, access_action(request, view), getattr(view, "model", None))
