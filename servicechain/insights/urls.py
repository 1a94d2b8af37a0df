"""Pages of the insights app, under /o/<org>/insights/."""

from django.urls import path

from . import views
from .retention import views as retention

app_name = "insights"
urlpatterns = [
    path("", views.engagement, name="engagement"),
    path("drivers/", views.driver_impact, name="drivers"),
    path("drivers/run/", views.driver_impact_run, name="drivers-run"),
    path("runs/<int:run_id>/", views.run_status, name="run"),
    path("customers/", views.customers, name="customers"),
    path("linkage/", views.linkage, name="linkage"),
    path("linkage/run/", views.linkage_run, name="linkage-run"),
    path("comments/", views.comments, name="comments"),
    path("plans/", views.plans, name="plans"),
    path("plans/new/", views.plan_create, name="plan-create"),
    path("plans/new/suggestions/", views.plan_suggestions, name="plan-suggestions"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("retention/", retention.overview, name="retention"),
    path("retention/drivers/", retention.drivers, name="retention-drivers"),
    path("retention/flight-risk/", retention.flight_risk, name="retention-flight"),
    path("retention/costs/", retention.cost_calculator, name="retention-costs"),
]
