"""Client-base API resources, registered on the shared router (see klientura/api_urls.py)."""

from core.api.router import router

from . import views

router.register("counterparties", views.CounterpartyViewSet)
router.register("contact-persons", views.ContactPersonViewSet)
router.register("contact-info", views.ContactInfoViewSet)
router.register("supplied-items", views.SuppliedItemViewSet)
router.register("counterparty-groups", views.CounterpartyGroupViewSet)
router.register("relationship-types", views.RelationshipTypeViewSet)
router.register("regions", views.RegionViewSet)
router.register("industries", views.IndustryViewSet)
router.register("custom-properties", views.CustomPropertyViewSet)
