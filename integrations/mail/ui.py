"""What mail intake adds to the shared UI: menu entries and the trash."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.attachments import register_attachments
from core.navigation import ACTIVITIES, SETTINGS, NavItem, register_item
from core.registry import register_trash

from ..models.mail import IncomingLetter, Mailbox


def register():
    register_trash(Mailbox, IncomingLetter)
    register_attachments(IncomingLetter)  # the letters' files: access and trash follow the letter
    register_item("integrations:letters", NavItem(ACTIVITIES, _("Incoming mail"), "integrations:letter_list",
                                                  icon="envelope-arrow-down", testid="nav-incoming-mail"), 35)
    register_item("integrations:mailboxes", NavItem(
        SETTINGS, _("Mailboxes"), "integrations:mailbox_list", icon="mailbox", section="integrations",
        permission=access.can_manage_settings, testid="nav-mailboxes"), 90)
