"""Deal and order lines picked from the product catalogue: what a pick may be and what it fills in."""

from django.db.models import Q
from django.utils.translation import gettext as _

from ..models import Product

# Line field -> product field copied when a product is picked.
FILLED = {"product": "name", "price": "price", "cost": "cost"}


def pickable_products(current_id=None):
    """Active products; plus the line's current one, even inactive or in the trash, so that a line
    saved unchanged keeps its link."""
    live = Q(is_active=True, deleted_at__isnull=True)
    return Product.all_objects.filter(live | Q(pk=current_id) if current_id else live).select_related("category")


def pick_error(product, current_id):
    """Why ``product`` may not be newly picked for a line now linked to ``current_id`` (None: fine)."""
    if product is None or product.pk == current_id:
        return None
    if not product.is_active or product.deleted_at is not None:
        return _("This product is no longer sold: choose an active one.")
    return None


def fill_from_product(values, product, fields, *, replace=()):
    """Fill the line's blank ``fields`` (and those named in ``replace``) of ``values`` from ``product``."""
    if product is None:
        return values
    for line_field in fields:
        current = values.get(line_field)
        if line_field in replace or current is None or current == "":
            values[line_field] = getattr(product, FILLED[line_field])
    return values


def article_of(line):
    product = line.catalog_product if line.catalog_product_id else None
    return product.article if product is not None else ""
