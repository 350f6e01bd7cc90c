from django.urls import path

from . import public

app_name = "webforms"

urlpatterns = [
    path("assets/<str:name>", public.asset, name="asset"),
    path("<str:token>/", public.submit, name="submit"),
    path("<str:token>/challenge/", public.challenge, name="challenge"),
]
