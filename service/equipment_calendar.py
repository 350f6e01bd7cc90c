"""Service visits in the engineers' calendar (registered from ``ServiceConfig.ready()``)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.services import search_q
from core import access, registry
from core.calendar import NORMAL_IMPORTANCE, Event, Source, object_url

from .models import ServiceVisit


class ServiceVisitSource(Source):
    kind = "service_visit"
    label = gettext_lazy("Service visits")
    client_search = staticmethod(search_q)
    model = ServiceVisit
    time_field = "planned_start"

    def queryset(self, viewer, owner, start, end, filters):
        if not filters.wants_importance(NORMAL_IMPORTANCE):  # visits have no importance
            return ServiceVisit.objects.none()
        states = [ServiceVisit.State.PLANNED] + ([ServiceVisit.State.DONE] if filters.include_done else [])
        qs = (ServiceVisit.objects.restrict(viewer, access.VIEW)
              .filter(engineer=owner, state__in=states, planned_start__gte=start, planned_start__lt=end)
              .select_related("counterparty", "equipment__product", "contract"))
        return self.filter_counterparty(qs, viewer, filters)

    def is_active(self, obj):
        return obj.state == ServiceVisit.State.PLANNED

    def shift(self, obj, delta):
        obj.planned_start += delta
        if obj.planned_end:
            obj.planned_end += delta

    def event(self, obj):
        subject = obj.equipment or obj.contract
        return Event(kind=self.kind, id=obj.pk, title=_("%(kind)s: %(subject)s") % {
            "kind": obj.get_kind_display(), "subject": subject}, time=obj.planned_start, end=obj.planned_end,
            version=obj.version, active=self.is_active(obj), type_key=self.kind, type_name=str(self.label),
            counterparty_id=obj.counterparty_id, counterparty_name=obj.counterparty.name,
            description=obj.report, url=object_url(obj), obj=obj)


def register():
    registry.calendar_sources.register("service_visit", ServiceVisitSource(), order=60)
