"""Forgotten passwords: Django's own reset views, with links on SITE_URL and an audit trail.

The reset form never says whether an address is known (Django sends nothing for an
unknown one and shows the same page), so it cannot be used to find out who has an account.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from servicechain.org.services import audit_record


class PasswordResetView(auth_views.PasswordResetView):
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        # Links in e-mails point at the configured site, as survey invitations do, not at
        # whatever host name the request came in on.
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        for user in form.get_users(form.cleaned_data["email"]):
            audit_record(action="account.password_reset.request", target=user)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(action="account.password_reset.done", actor=form.user, target=form.user)
        return response
