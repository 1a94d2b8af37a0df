from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import accounts, charts, health
from .api import api
from .org import views as org_views

# Pages answer 503 (not 500) while the database cannot be reached.
handler500 = "servicechain.health.server_error"

urlpatterns = [
    path("", org_views.start, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("assets/vega-embed.js", charts.vega_bundle, name="vega-bundle"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("o/<slug:org>/", include("servicechain.org.urls")),
    path("o/<slug:org>/surveys/", include("servicechain.surveys.urls")),
    path("s/", include("servicechain.surveys.respond_urls")),
    path("o/<slug:org>/insights/", include("servicechain.insights.urls")),
    path("o/<slug:org>/contact-centre/", include("servicechain.contactcentre.urls")),
    path("o/<slug:org>/notifications/", include("servicechain.notifications.urls")),
    path("o/<slug:org>/loyalty/", include("servicechain.loyalty.urls")),
    path("o/<slug:org>/recognition/", include("servicechain.recognition.urls")),
    path("o/<slug:org>/care/", include("servicechain.care.urls")),
    path("o/<slug:org>/rewards/", include("servicechain.rewards.urls")),
]
