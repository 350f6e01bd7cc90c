from django.contrib.auth import get_user_model

from core.forms import BaseModelForm

from ..models import PhoneExtension


class PhoneExtensionForm(BaseModelForm):
    class Meta:
        model = PhoneExtension
        fields = ["extension", "user", "comment"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True)
