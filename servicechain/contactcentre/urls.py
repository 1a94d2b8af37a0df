"""Pages of the contactcentre app, under /o/<org>/contact-centre/."""

from django.urls import path

from . import views

app_name = "contactcentre"
urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.my_day, name="my_day"),
    path("me/preview/", views.move_preview, name="move_preview"),
    path("me/requests/", views.move_create, name="move_create"),
    path("me/requests/<int:pk>/withdraw/", views.move_withdraw, name="move_withdraw"),
    path("me/requests/<int:pk>/answer/", views.move_answer, name="move_answer"),
    path("me/breaks/<int:position>/taken/", views.break_taken, name="break_taken"),
    path("me/wishes/", views.wishes, name="wishes"),
    path("teams/<slug:team>/", views.team_day, name="team_day"),
    path("teams/<slug:team>/requests/", views.lead_requests, name="lead_requests"),
    path("teams/<slug:team>/agents/", views.agents, name="agents"),
    path("teams/<slug:team>/agents/<int:pk>/", views.agent_edit, name="agent_edit"),
    path("teams/<slug:team>/volumes/", views.volumes, name="volumes"),
    path("teams/<slug:team>/forecast/", views.forecast, name="forecast"),
    path("teams/<slug:team>/schedules/", views.schedules, name="schedules"),
    path("teams/<slug:team>/intraday/", views.intraday, name="intraday"),
    path("requests/<int:pk>/decide/", views.move_decide, name="move_decide"),
    path("schedules/<int:pk>/", views.schedule_detail, name="schedule"),
    path("schedules/<int:pk>/publish/", views.schedule_publish, name="schedule_publish"),
    path("jobs/<int:pk>/", views.job, name="job"),
]
