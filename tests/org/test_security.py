import pytest
from django.contrib.auth.hashers import get_hasher
from django.urls import reverse

from servicechain.org import services
from servicechain.org.models import AuditEvent
from tests.factories import OrganizationFactory, UserFactory, make_unit

pytestmark = pytest.mark.django_db


def test_repeated_failed_logins_lock_the_account(client, settings):
    UserFactory(username="ada")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "ada", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "ada", "password": "pass-word-123"})
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()


def test_a_correct_login_works_and_lands_on_home(client):
    UserFactory(username="grace")
    response = client.post(reverse("login"), {"username": "grace", "password": "pass-word-123"})
    assert response.status_code == 302 and response.url == reverse("home")


def test_production_hashes_passwords_with_argon2(settings):
    production = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    assert production[0].endswith("Argon2PasswordHasher")
    assert get_hasher("argon2").algorithm == "argon2"


def test_pages_carry_a_content_security_policy_without_inline_scripts(client):
    response = client.get(reverse("login"))
    policy = response.headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in policy
        and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )


def test_granting_a_role_is_audited():
    org = OrganizationFactory()
    unit = make_unit(org, "Team")
    actor, user = UserFactory(), UserFactory()
    services.membership_grant(user=user, organization=org, role="manager", unit=unit, actor=actor)
    event = AuditEvent.objects.get(action="membership.grant")
    assert event.actor == actor and event.organization == org
    assert event.detail == {"user": user.username, "role": "manager", "unit": unit.external_id}


def test_scoped_roles_need_a_unit():
    from django.core.exceptions import ValidationError

    org = OrganizationFactory()
    with pytest.raises(ValidationError, match="scoped to a unit"):
        services.membership_grant(user=UserFactory(), organization=org, role="manager")
