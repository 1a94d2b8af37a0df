from django.urls import path

from . import views

app_name = "loyalty"

urlpatterns = [
    path("", views.lists, name="lists"),
    path("customers/<int:customer_id>/", views.customer, name="customer"),
    path("customers/<int:customer_id>/redeem/", views.redeem, name="redeem"),
    path("reminders/<int:reminder_id>/service/", views.record_service, name="record_service"),
    path("reminders/<int:reminder_id>/decline/", views.decline, name="decline"),
    path("programme/", views.programme, name="programme"),
    path("programme/close/", views.close_month, name="close_month"),
    path("handovers/", views.handovers, name="handovers"),
    path("handovers/<int:handover_id>/confirm/", views.confirm_handover, name="confirm_handover"),
]
