from django.urls import path

from . import views

app_name = "care"

urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("report/suggest/", views.suggest, name="suggest"),
    path("incidents/", views.queue, name="incidents"),
    path("incidents/<int:incident_id>/", views.incident, name="incident"),
    path("incidents/<int:incident_id>/decide/", views.decide, name="decide"),
    path("incidents/<int:incident_id>/appeal/", views.appeal, name="appeal"),
    path("incidents/<int:incident_id>/review/", views.review, name="review"),
    path("customers/<int:customer_id>/", views.customer, name="customer"),
    path("recovery/", views.recovery, name="recovery"),
    path("recovery/<int:case_id>/close/", views.recovery_close, name="recovery_close"),
    path("allowance/", views.allowance, name="allowance"),
    path("allowance/<int:spend_id>/decide/", views.spend_decide, name="spend_decide"),
    path("allowance/report/", views.allowance_report, name="allowance_report"),
    path("wellbeing/", views.wellbeing, name="wellbeing"),
    path("wellbeing/mood/", views.mood, name="mood"),
    path("wellbeing/support-person/", views.support_choose, name="support_choose"),
    path("wellbeing/ask/", views.support_ask, name="support_ask"),
    path("wellbeing/requests/<int:request_id>/close/", views.support_close, name="support_close"),
    path("offers/<int:offer_id>/break/", views.offer_break, name="offer_break"),
    path("offers/<int:offer_id>/answer/", views.offer_answer, name="offer_answer"),
    path("checkins/<int:task_id>/done/", views.checkin_done, name="checkin_done"),
    path("figures/", views.figures, name="figures"),
    path("policy/", views.policy, name="policy"),
]
