from django.urls import path

from . import views

app_name = "rewards"

urlpatterns = [
    path("", views.statement, name="statement"),
    path("plans/", views.plans, name="plans"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:run_id>/", views.run, name="run"),
    path("runs/<int:run_id>/approve/", views.run_approve, name="run_approve"),
    path("runs/<int:run_id>/lock/", views.run_lock, name="run_lock"),
    path("runs/<int:run_id>/payroll.csv", views.run_csv, name="run_csv"),
    path("runs/<int:run_id>/flags/<int:flag_id>/review/", views.flag_review, name="flag_review"),
]
