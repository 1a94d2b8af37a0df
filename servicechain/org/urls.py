from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("", views.home, name="home"),
    path("home/cards/<slug:key>/", views.home_card, name="home_card"),
    path("overview/", views.overview, name="overview"),
    # Reserved for the page that explains what managers can see of survey answers.
    path("privacy/", views.privacy, name="privacy"),
]
