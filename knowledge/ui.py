"""What the knowledge base adds to the shared UI: its menu entries and the panels listing the
articles linked to a competitor (client card) or a product (product card, where there is one)."""

from django.utils.translation import gettext_lazy as _

from core import access
from core.cards import CardPanel, register_panel
from core.navigation import SERVICE, SETTINGS, NavItem, register_item

from .models import Article

PANEL_SIZE = 10


def linked_articles(request, obj, relation):
    articles = (Article.objects.restrict(request.user, access.VIEW).filter(**{relation: obj})
                .order_by("title", "pk")[:PANEL_SIZE])
    articles = list(articles)
    if not articles:
        return None
    name = "competitor" if relation == "competitors" else "product"
    return {"articles": articles, "object": obj, "filter_name": name}


def register():
    register_item("knowledge:articles", NavItem(SERVICE, _("Knowledge base"), "knowledge:article_list",
                                                icon="journal-text", section="knowledge", testid="nav-knowledge"), 80)
    register_item("knowledge:categories", NavItem(
        SETTINGS, _("Knowledge base categories"), "knowledge:category_list", icon="folder", section="knowledge",
        permission=access.can_manage_settings, testid="nav-knowledge-categories"), 81)
    register_panel(CardPanel("knowledge", "knowledge/card_articles.html",
                             lambda request, obj: linked_articles(request, obj, "competitors")), order=90)
    register_panel(CardPanel("knowledge", "knowledge/card_articles.html",
                             lambda request, obj: linked_articles(request, obj, "products"), card="sales.product"),
                   order=90)
