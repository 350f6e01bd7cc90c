"""The documents panel of a deal or an order: its documents (restricted) and the generate form."""

from django import template
from django.conf import settings

from core import access

from ..models import Deal, Document, DocumentKind, DocumentTemplate, Order

register = template.Library()


@register.simple_tag(takes_context=True)
def documents_panel(context):
    """Data for sales/includes/documents_panel.html, included ``with deal=…`` or ``with order=…``.

    Read from the context rather than passed as arguments: the other one is undefined there.
    """
    order, deal = context.get("order"), context.get("deal")
    source = order if isinstance(order, Order) else deal if isinstance(deal, Deal) else None
    request = context.get("request")
    user = getattr(request, "user", None)
    if source is None or not source.pk or user is None:
        return None
    field = "order" if isinstance(source, Order) else "deal"
    docs = (Document.objects.restrict(user, access.VIEW).filter(**{field: source})
            .select_related("created_by").order_by("-created_at", "-id"))
    can_generate = access.can(user, access.ADD, Document) and access.may(user, access.CHANGE, source)
    deletable = set(Document.objects.restrict(user, access.DELETE).filter(**{field: source})
                    .values_list("pk", flat=True))
    return {
        "field": field, "source": source,
        "documents": [(doc, doc.pk in deletable) for doc in docs],
        "can_generate": can_generate,
        "kinds": DocumentKind.choices, "formats": Document.Format.choices,
        "templates": DocumentTemplate.objects.filter(is_active=True).order_by("kind", "name"),
        "languages": settings.LANGUAGES,
        "next": request.get_full_path() if request is not None else "",
    }
