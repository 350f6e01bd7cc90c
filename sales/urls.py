from django.urls import path
from django.views.generic import RedirectView

from core.reports import legacy_urlpatterns
from core.routes import crud_urls, reference_urls

from .models import LeadSource, LostReason, OrderFailureReason
from .views import card, catalogue, deals, documents, orders, reports

app_name = "sales"

urlpatterns = [
    # Deals and the board.
    *crud_urls("deals", "deal", list=deals.DealListView, edit=deals.DealEditView, delete=deals.DealDeleteView,
               add_route="add/"),
    path("deals/<int:pk>/move/", deals.DealMoveView.as_view(), name="deal_move"),
    path("board/", deals.BoardView.as_view(), name="board_default"),
    path("board/<int:pk>/", deals.BoardView.as_view(), name="board"),
    # Orders, their shipments and payments.
    *crud_urls("orders", "order", list=orders.OrderListView, detail=orders.OrderDetailView,
               edit=orders.OrderEditView, delete=orders.OrderDeleteView, add_route="add/",
               detail_name="order_detail"),
    path("orders/deals/", orders.OrderDealOptionsView.as_view(), name="order_deals"),
    path("orders/analysis/", orders.OrderAnalysisView.as_view(), name="order_analysis"),
    path("orders/<int:pk>/state/", orders.OrderStateView.as_view(), name="order_state"),
    path("orders/<int:pk>/shipments/add/", orders.ShipmentAddView.as_view(), name="order_shipment_add"),
    path("orders/<int:pk>/payments/add/", orders.PaymentAddView.as_view(), name="order_payment_add"),
    path("orders/shipments/<int:pk>/done/", orders.ShipmentDoneView.as_view(), name="order_shipment_done"),
    path("orders/shipments/<int:pk>/delete/", orders.ShipmentDeleteView.as_view(), name="order_shipment_delete"),
    path("orders/payments/<int:pk>/done/", orders.PaymentDoneView.as_view(), name="order_payment_done"),
    path("orders/payments/<int:pk>/delete/", orders.PaymentDeleteView.as_view(), name="order_payment_delete"),
    # The product catalogue.
    *crud_urls("products", "product", list=catalogue.ProductListView, detail=catalogue.ProductDetailView,
               edit=catalogue.ProductEditView, delete=catalogue.ProductDeleteView,
               history=catalogue.ProductHistoryView),
    *crud_urls("product-categories", "productcategory", list=catalogue.CategoryListView,
               edit=catalogue.CategoryEditView, delete=catalogue.CategoryDeleteView,
               history=catalogue.CategoryHistoryView),
    # Documents.
    path("documents/generate/", documents.DocumentGenerateView.as_view(), name="document_generate"),
    path("documents/<int:pk>/download/", documents.DocumentDownloadView.as_view(), name="document_download"),
    path("documents/<int:pk>/delete/", documents.DocumentDeleteView.as_view(), name="document_delete"),
    # The client card's tabs.
    path("card/<int:pk>/deals/", card.CardDealsView.as_view(), name="card_deals"),
    path("card/<int:pk>/orders/", card.CardOrdersView.as_view(), name="card_orders"),
    path("card/<int:pk>/documents/", card.CardDocumentsView.as_view(), name="card_documents"),
    # Settings (administrators).
    *crud_urls("settings/pipelines", "pipeline", list=deals.PipelineListView, edit=deals.PipelineEditView),
    *crud_urls("settings/stages", "stage", edit=deals.StageEditView),
    *crud_urls("settings/rules", "rule", list=deals.StageRuleListView, edit=deals.StageRuleEditView,
               delete=deals.StageRuleDeleteView),
    *reference_urls("settings/lost-reasons", "lostreason", LostReason, app_name),
    *reference_urls("settings/order-failure-reasons", "failurereason", OrderFailureReason, app_name),
    *reference_urls("settings/lead-sources", "leadsource", LeadSource, app_name),
    *crud_urls("settings/document-templates", "template", list=documents.DocumentTemplateListView,
               edit=documents.DocumentTemplateEditView),
    path("settings/document-templates/<int:pk>/file/", documents.DocumentTemplateFileView.as_view(),
         name="template_file"),
    path("settings/document-templates/sample/<str:kind>/", documents.DocumentTemplateSampleView.as_view(),
         name="template_sample"),
    # Reports live in core (/reports/<slug>/); the old addresses stay as aliases, and the
    # dashboard moved to core (tiles from every app): old bookmarks land there.
    *legacy_urlpatterns(reports.FunnelReport, reports.ForecastReport, reports.WonLostReport,
                        reports.FailuresReport, reports.InterestsReport, reports.ProfitabilityReport),
    path("dashboard/", RedirectView.as_view(pattern_name="dashboard"), name="dashboard"),
]
