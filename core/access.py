"""Roles and what each may do: the single source of the access rules (SPEC §2).

Every list, card, search, export, API endpoint and report narrows its queryset with
``Model.objects.restrict(user, action)``; this module decides what that means per role.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL_ACTIONS = frozenset({VIEW, ADD, CHANGE, DELETE})


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    COMPANY_HEAD = "company_head", _("Company head")
    SALES_HEAD = "sales_head", _("Head of sales")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    MARKETER = "marketer", _("Marketer")
    QUALITY = "quality", _("Quality specialist")
    SERVICE = "service", _("Service engineer")


# scope: "all" rows, or only "own" rows (main manager or explicitly shared).
ROLE_RULES = {
    Role.ADMIN: ("all", ALL_ACTIONS),
    Role.COMPANY_HEAD: ("all", ALL_ACTIONS),
    Role.SALES_HEAD: ("all", ALL_ACTIONS),
    Role.SALES_MANAGER: ("own", ALL_ACTIONS),
    Role.MARKETER: ("all", frozenset({VIEW, ADD, CHANGE})),
    Role.QUALITY: ("all", frozenset({VIEW})),
    Role.SERVICE: ("all", frozenset({VIEW})),
}

# Roles that may assign records to other users (main manager, responsible, sharing).
ASSIGNING_ROLES = frozenset({Role.ADMIN, Role.COMPANY_HEAD, Role.SALES_HEAD})
# Roles that manage settings: users, custom properties, reference lists.
SETTINGS_ROLES = frozenset({Role.ADMIN})


def rule_for(user):
    """(scope, actions) for a user; anonymous and inactive users get nothing."""
    if not user or not user.is_authenticated or not user.is_active:
        return None, frozenset()
    if user.is_superuser:
        return "all", ALL_ACTIONS
    return ROLE_RULES.get(user.role, (None, frozenset()))


def can(user, action, model=None):
    """May ``user`` perform ``action`` on ``model`` at all (rows aside)?

    ``settings_model = True``: only administrators write. ``head_managed = True`` (sales plans):
    only those who may assign (heads, administrators) write; everyone else reads their scope.
    ``editor_roles`` (a set of roles): only those roles write, within their own actions.
    ``writer_roles`` (a set of roles): these roles write it even where their role only reads.
    """
    if model is not None and getattr(model, "settings_model", False) and action != VIEW:
        return can_manage_settings(user)
    if model is not None and getattr(model, "head_managed", False) and action != VIEW:
        return can_assign(user) and action in rule_for(user)[1]
    writers = getattr(model, "writer_roles", ()) if model is not None else ()
    if writers and action != VIEW and user and user.is_authenticated and user.role in writers:
        # Roles that otherwise only read, writing their own domain (quality specialists: complaints).
        return True
    editors = getattr(model, "editor_roles", None) if model is not None else None
    if editors is not None and action != VIEW:
        # Models a few roles keep (campaigns: marketers and heads); the others read them.
        return bool(user and user.is_authenticated and (user.is_superuser or user.role in editors)) \
            and action in rule_for(user)[1]
    return action in rule_for(user)[1]


def may(user, action, obj):
    """May ``user`` do ``action`` on the record ``obj``: its model's ``restrict`` for this one row.
    Remembered on the instance (a view's, fetched per request): a card and its tabs ask it again."""
    memo = obj.__dict__.setdefault("_may", {})
    key = (getattr(user, "pk", None), action)
    if key not in memo:
        memo[key] = type(obj).objects.restrict(user, action).filter(pk=obj.pk).exists()
    return memo[key]


def can_assign(user):
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in ASSIGNING_ROLES))


def can_manage_settings(user):
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in SETTINGS_ROLES))
