"""Pages of the surveys app, under /o/<org>/surveys/."""

from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("", views.waves, name="waves"),
    path("waves/new/", views.wave_create, name="wave_create"),
    path("waves/<int:wave_id>/", views.wave_detail, name="wave"),
    path("waves/<int:wave_id>/results/", views.wave_results, name="results"),
    path("waves/<int:wave_id>/results/breakdown", views.wave_breakdown, name="breakdown"),
    path("waves/<int:wave_id>/results/comments", views.wave_comments, name="comments"),
    path("waves/<int:wave_id>/psychometrics/", views.wave_psychometrics, name="psychometrics"),
    path("waves/<int:wave_id>/import/", views.wave_import, name="import"),
    path("waves/<int:wave_id>/answer", views.wave_answer, name="answer"),
    path("waves/<int:wave_id>/preview", views.wave_preview, name="wave_preview"),
    path("waves/<int:wave_id>/<str:action>", views.wave_action, name="wave_action"),
    path("instruments/", views.instruments, name="instruments"),
    path("instruments/<int:instrument_id>/", views.instrument_detail, name="instrument"),
    path("instruments/<int:instrument_id>/items/new", views.item_create, name="item_create"),
    path(
        "instruments/<int:instrument_id>/preview",
        views.instrument_preview,
        name="instrument_preview",
    ),
    path(
        "instruments/<int:instrument_id>/<str:action>",
        views.instrument_edit,
        name="instrument_edit",
    ),
]
