"""The product catalogue (products and services) that deal and order lines may pick from."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import BaseModel

NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


def default_currency():
    return settings.KLIENTURA_CURRENCY


class ProductKind(models.TextChoices):
    PRODUCT = "product", _("Product")
    SERVICE = "service", pgettext_lazy("catalogue kind", "Service")


class Unit(models.TextChoices):
    # OKEI-style units a «Лидер»-like company sells in; codes are stable, labels translated.
    PIECE = "pcs", pgettext_lazy("unit", "pcs")
    SET = "set", pgettext_lazy("unit", "set")
    HOUR = "h", pgettext_lazy("unit", "h")
    METRE = "m", pgettext_lazy("unit", "m")
    KILOGRAM = "kg", pgettext_lazy("unit", "kg")
    SERVICE = "svc", pgettext_lazy("unit", "service")


class ProductCategory(BaseModel):
    """A catalogue section (tree): refrigerated cabinets, cold rooms, installation works…"""

    head_managed = True

    name = models.CharField(_("name"), max_length=150)
    parent = models.ForeignKey("self", verbose_name=_("parent category"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], condition=Q(deleted_at__isnull=True),
                                               name="sales_productcategory_unique_name")]

    def __str__(self):
        return self.name


class Product(BaseModel):
    """A product or service of the catalogue; heads and administrators keep it, everyone reads it."""

    head_managed = True

    kind = models.CharField(_("kind"), max_length=7, choices=ProductKind.choices, default=ProductKind.PRODUCT)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    article = models.CharField(_("article"), max_length=50, blank=True)
    unit = models.CharField(_("unit"), max_length=5, choices=Unit.choices, default=Unit.PIECE)
    price = models.DecimalField(_("price"), max_digits=16, decimal_places=2, default=Decimal("0"),
                                validators=NON_NEGATIVE)
    cost = models.DecimalField(_("unit cost"), max_digits=16, decimal_places=2, default=Decimal("0"),
                               validators=NON_NEGATIVE)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    category = models.ForeignKey(ProductCategory, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="products")
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["article"], name="sales_product_unique_article",
                                               condition=Q(deleted_at__isnull=True) & ~Q(article=""))]

    def __str__(self):
        return f"{self.name} ({self.article})" if self.article else self.name
