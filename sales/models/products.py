"""The product catalogue (products and services) that deal and order lines may pick from."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
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

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("sales:productcategory_edit", args=[self.pk])

    def descendant_ids(self):
        """This category's id and those of all its subcategories (breadth-first, one query a level)."""
        return category_tree_ids([self.pk])

    def clean(self):
        super().clean()
        if self.pk and self.parent_id and self.parent_id in self.descendant_ids():
            raise ValidationError({"parent": _("A category cannot be placed inside itself or its subcategory.")})
        twins = ProductCategory.objects.filter(parent_id=self.parent_id, name__iexact=self.name.strip())
        # A field error (full_clean then skips the constraint, whose message would be form-wide).
        if self.name and twins.exclude(pk=self.pk).exists():
            raise ValidationError({"name": _("This section already has a category with this name.")})


def category_tree_ids(roots):
    ids, level = set(), set(roots)
    while level:
        ids |= level
        level = set(ProductCategory.objects.filter(parent_id__in=level).values_list("pk", flat=True)) - ids
    return ids


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

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("sales:product", args=[self.pk])

    def clean(self):
        super().clean()
        self.article = (self.article or "").strip()
        # Case variants spelled out: SQLite folds only ASCII (Cyrillic articles are common).
        spellings = {self.article, self.article.upper(), self.article.lower()}
        if self.article and Product.objects.filter(article__in=spellings).exclude(pk=self.pk).exists():
            raise ValidationError({"article": _("Another product already has this article.")})


def catalog_label(line):
    """A deal or order line's name, with its catalogue product's article when it has one."""
    product = line.catalog_product if line.catalog_product_id else None
    if product is None or not product.article:
        return line.product
    return _("%(name)s (art. %(article)s)") % {"name": line.product, "article": product.article}
