"""The respondent's pages, mounted by the project at /s/ (no login: the token is the key)."""

from django.urls import path

from . import respond

app_name = "respond"
urlpatterns = [
    path("<str:token>/", respond.survey, name="form"),
    path("<str:token>/draft", respond.draft, name="draft"),
    path("<str:token>/thanks", respond.thanks, name="thanks"),
]
