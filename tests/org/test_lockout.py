"""Login lockout behind a reverse proxy: per username and client address, a cool-down, an unlock."""

import datetime as dt
import ipaddress

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from servicechain.client_address import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
ATTACKER, REAL_USER = "203.0.113.9", "198.51.100.7"
PASSWORD = "pass-word-123"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/24"),)


def log_in(client, username, password, *, remote=PROXY, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


def lock_out(client, username, settings, **where):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, username, "wrong guess", **where)


def test_an_attacker_locked_out_through_the_proxy_does_not_lock_the_real_user(
    client, settings, behind_proxy
):
    UserFactory(username="admin")
    lock_out(client, "admin", settings, forwarded=ATTACKER)
    assert log_in(client, "admin", PASSWORD, forwarded=ATTACKER).status_code == 429

    real = log_in(Client(), "admin", PASSWORD, forwarded=REAL_USER)
    assert real.status_code == 302 and real.url == reverse("home")


def test_a_forwarded_header_from_an_untrusted_address_is_ignored(client, settings, behind_proxy):
    UserFactory(username="ada")
    for n in range(settings.AXES_FAILURE_LIMIT):
        # A direct client claiming a new address each time is still one address.
        log_in(client, "ada", "wrong guess", remote=ATTACKER, forwarded=f"192.0.2.{n}")
    assert (
        log_in(client, "ada", PASSWORD, remote=ATTACKER, forwarded="192.0.2.99").status_code == 429
    )
    # Nor can it lock the address it names: that client, behind the proxy, logs in.
    assert log_in(Client(), "ada", PASSWORD, forwarded="192.0.2.0").status_code == 302


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert client_ip(request) == PROXY


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        (REAL_USER, REAL_USER),
        # Whatever the client wrote itself sits left of the address our proxy appended.
        (f"1.2.3.4, {REAL_USER}", REAL_USER),
        # Two trusted hops: the client is the first untrusted address from the right.
        (f"{REAL_USER}, 10.0.0.7", REAL_USER),
        ("not-an-address", PROXY),
        ("", PROXY),
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(behind_proxy, forwarded, client):
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == client


def test_the_cool_down_expires_after_fifteen_minutes(client, settings, behind_proxy):
    UserFactory(username="grace")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        lock_out(client, "grace", settings, forwarded=REAL_USER)
        clock.shift(dt.timedelta(minutes=16))
        response = log_in(client, "grace", PASSWORD, forwarded=REAL_USER)
    assert response.status_code == 302


def test_guessing_on_while_locked_makes_the_cool_down_grow(client, settings, behind_proxy):
    UserFactory(username="grace")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        lock_out(client, "grace", settings, forwarded=ATTACKER)
        lock_out(client, "grace", settings, forwarded=ATTACKER)  # another round while locked
        clock.shift(dt.timedelta(minutes=16))
        assert log_in(client, "grace", PASSWORD, forwarded=ATTACKER).status_code == 429
        # That try counted too, and so does each one after it: 30 minutes from the last.
        clock.shift(dt.timedelta(minutes=29))
        assert log_in(client, "grace", PASSWORD, forwarded=ATTACKER).status_code == 429
        clock.shift(dt.timedelta(minutes=31))
        assert log_in(client, "grace", PASSWORD, forwarded=ATTACKER).status_code == 302


def test_an_admin_unlocks_a_username_from_the_command_line(client, settings, behind_proxy):
    UserFactory(username="ada")
    lock_out(client, "ada", settings, forwarded=REAL_USER)
    assert log_in(client, "ada", PASSWORD, forwarded=REAL_USER).status_code == 429

    call_command("axes_reset_username", "ada")

    assert log_in(client, "ada", PASSWORD, forwarded=REAL_USER).status_code == 302


def test_the_lockout_page_says_how_long_and_how_to_get_unlocked(client, settings, behind_proxy):
    UserFactory(username="ada")
    lock_out(client, "ada", settings, forwarded=REAL_USER)
    page = log_in(client, "ada", PASSWORD, forwarded=REAL_USER).content.decode()
    assert "15 minutes" in page and "administrator" in page
