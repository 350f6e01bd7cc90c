"""Public: the survey links of invitations (no login; the token is signed and expires)."""

from django.urls import path

from .survey_public import AnswerView

app_name = "survey_public"

urlpatterns = [path("<str:token>/", AnswerView.as_view(), name="answer")]
