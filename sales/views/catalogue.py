"""The product catalogue's pages: products and their categories (heads and administrators edit,
everyone reads)."""

from core import access
from core.routes import ReferenceDeleteView
from core.views import generic

from ..filtersets import ProductCategoryFilterSet, ProductFilterSet
from ..forms import ProductCategoryForm, ProductForm
from ..models import Product, ProductCategory
from ..tables import ProductCategoryTable, ProductTable


class ProductListView(generic.ObjectListView):
    model = Product
    filterset_class = ProductFilterSet
    table_class = ProductTable
    add_url_name = "sales:product_add"
    export_name = "products"


class ProductDetailView(generic.ObjectDetailView):
    model = Product
    template_name = "sales/product_detail.html"

    def get_extra_context(self, obj):
        return {"can_change": access.can(self.request.user, access.CHANGE, Product),
                "can_delete": access.can(self.request.user, access.DELETE, Product),
                "category_path": category_path(obj.category)}


def category_path(category):
    path, seen = [], set()
    while category is not None and category.pk not in seen:
        seen.add(category.pk)
        path.insert(0, category)
        category = category.parent
    return path


class ProductEditView(generic.ObjectEditView):
    model = Product
    form_class = ProductForm
    delete_url_name = "sales:product_delete"


class ProductDeleteView(generic.ObjectDeleteView):
    model = Product
    success_url_name = "sales:product_list"


class ProductHistoryView(generic.ObjectHistoryView):
    model = Product
    list_url_name = "sales:product_list"


class CategoryListView(generic.ObjectListView):
    model = ProductCategory
    filterset_class = ProductCategoryFilterSet
    table_class = ProductCategoryTable
    add_url_name = "sales:productcategory_add"
    export_name = "product-categories"


class CategoryEditView(generic.ObjectEditView):
    model = ProductCategory
    form_class = ProductCategoryForm
    delete_url_name = "sales:productcategory_delete"

    def success_url(self, obj):
        from django.urls import reverse

        return reverse("sales:productcategory_list")


class CategoryDeleteView(ReferenceDeleteView):
    """Refused (409, saying why) while products or subcategories are in the category."""

    model = ProductCategory
    success_url_name = "sales:productcategory_list"


class CategoryHistoryView(generic.ObjectHistoryView):
    model = ProductCategory
    list_url_name = "sales:productcategory_list"
