"""Sales models (SPEC §4): deals and pipelines, orders with shipments and payments, documents."""

from .deals import (  # noqa: F401
    Deal,
    DealDay,
    DealLine,
    DealRuleRun,
    DealTotal,
    LeadSource,
    LostReason,
    MoveDay,
    Pipeline,
    Stage,
    StageChange,
    StageRule,
    default_currency,
)
from .documents import Document, DocumentKind, DocumentTemplate  # noqa: F401
from .orders import (  # noqa: F401
    ClientDay,
    Order,
    OrderFailureReason,
    OrderLine,
    Payment,
    PaymentDay,
    PlanFact,
    ProductDay,
    ProfitDay,
    RevenueDay,
    SaleDay,
    Shipment,
)
from .products import Product, ProductCategory, ProductKind, Unit  # noqa: F401
