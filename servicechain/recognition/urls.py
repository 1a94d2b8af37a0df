"""Pages of recognition, under /o/<org>/recognition/."""

from django.urls import path

from . import views

app_name = "recognition"
urlpatterns = [
    path("", views.feed, name="feed"),
    path("give/", views.give, name="give"),
    path("give/colleagues/", views.colleague_search, name="colleague-search"),
    path("give/chosen/", views.colleague_chip, name="colleague-chip"),
    path("kudos/<int:kudos_id>/", views.kudos_detail, name="kudos"),
    path("kudos/<int:kudos_id>/react/", views.react, name="react"),
    path("kudos/<int:kudos_id>/comment/", views.comment, name="comment"),
    path("kudos/<int:kudos_id>/report/", views.report, name="report"),
    path("kudos/<int:kudos_id>/private/", views.make_private, name="private"),
    path("kudos/<int:kudos_id>/hide/", views.hide, name="hide"),
    path("me/", views.me, name="me"),
    path("people/<int:employee_id>/", views.profile, name="profile"),
    path("people/<int:employee_id>/award/", views.award_grant, name="award-grant"),
    path("spread/", views.fairness, name="fairness"),
    path("goals/", views.goals, name="goals"),
    path("goals/new/", views.goal_create, name="goal-create"),
    path("goals/close/", views.goals_close, name="goals-close"),
    path("goals/<int:goal_id>/", views.goal_detail, name="goal"),
    path("spot-bonuses/", views.bonuses, name="bonuses"),
    path("spot-bonuses/budget/", views.budget_set, name="budget-set"),
    path("spot-bonuses/<int:bonus_id>/cancel/", views.bonus_cancel, name="bonus-cancel"),
    path("achievements/", views.achievements, name="achievements"),
    path("achievements/run/", views.achievements_run, name="achievements-run"),
    path("awards/<int:award_id>/", views.award_detail, name="award"),
    path("moderation/", views.moderation, name="moderation"),
    path(
        "moderation/reports/<int:report_id>/dismiss/", views.report_dismiss, name="report-dismiss"
    ),
    path("points/", views.points, name="points"),
    path("points/redemptions/<int:redemption_id>.csv", views.redemption_csv, name="redemption-csv"),
]
