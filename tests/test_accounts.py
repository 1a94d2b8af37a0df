"""The login page says what the product is and offers a way back in when the password is
forgotten: Django's reset views, styled, with the e-mailed link on the site's own address."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core import mail

from servicechain.org.models import AuditEvent

pytestmark = pytest.mark.django_db

LINK = re.compile(r"(https?://\S+/accounts/reset/\S+/)")


@pytest.fixture
def person():
    return User.objects.create_user(
        "sam", email="sam@example.org", password="old-Password-41", first_name="Sam"
    )


def test_the_login_page_names_the_product_and_offers_a_password_reset(client):
    html = client.get("/accounts/login/").content.decode()
    assert "<strong>servicechain</strong> — listen to employees and customers" in html
    assert 'href="/accounts/password-reset/"' in html and "Forgot your password?" in html


def test_a_forgotten_password_is_replaced_through_the_e_mailed_link(client, person, settings):
    settings.SITE_URL = "http://127.0.0.1:8765"
    page = client.get("/accounts/password-reset/")
    assert "<h1>Forgot your password?</h1>" in page.content.decode()

    sent = client.post("/accounts/password-reset/", {"email": "sam@example.org"}, follow=True)

    assert "<h1>Check your e-mail</h1>" in sent.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["sam@example.org"]
    assert mail.outbox[0].subject == "Choose a new servicechain password"
    link = LINK.search(mail.outbox[0].body).group(1)
    assert link.startswith("http://127.0.0.1:8765/accounts/reset/")

    form = client.get(link.removeprefix("http://127.0.0.1:8765"), follow=True)
    assert "<h1>Choose a new password</h1>" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "brand-New-Secret-77", "new_password2": "brand-New-Secret-77"},
        follow=True,
    )

    assert "<h1>Your password is changed</h1>" in done.content.decode()
    person.refresh_from_db()
    assert person.check_password("brand-New-Secret-77")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"account.password_reset.request", "account.password_reset.done"} <= actions

    used_again = client.get(link.removeprefix("http://127.0.0.1:8765"), follow=True)
    assert "<h1>This link no longer works</h1>" in used_again.content.decode()


def test_an_unknown_address_gets_the_same_page_and_no_e_mail(client, person):
    sent = client.post("/accounts/password-reset/", {"email": "nobody@example.org"}, follow=True)
    assert "<h1>Check your e-mail</h1>" in sent.content.decode()
    assert mail.outbox == []


def test_a_weak_new_password_is_refused_with_the_reason(client, person):
    client.post("/accounts/password-reset/", {"email": "sam@example.org"})
    link = LINK.search(mail.outbox[0].body).group(1)
    form = client.get(urlsplit(link).path, follow=True)
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    assert "This password is entirely numeric." in response.content.decode()
    person.refresh_from_db()
    assert person.check_password("old-Password-41")
