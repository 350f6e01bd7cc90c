"""The analysis settings page: the single ``AnalysisSettings`` row, administrators only.

An ObjectEditView without a pk: history, optimistic locking and "unchanged save changes
nothing" come from it.
"""

from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core import access
from core.views.generic import ObjectEditView

from ..forms import AnalysisSettingsForm
from ..models import AnalysisSettings


class AnalysisSettingsView(ObjectEditView):
    model = AnalysisSettings
    form_class = AnalysisSettingsForm
    template_name = "analytics/settings.html"

    def get_object(self, pk=None):
        if not access.can_manage_settings(self.request.user):
            raise PermissionDenied
        return AnalysisSettings.load()

    def success_url(self, obj):
        return reverse("analytics:settings")
