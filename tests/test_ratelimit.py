"""Survey links are rate-limited per client address, cheaply, with a clear 429."""

import ipaddress
import json

import pytest

from servicechain.ratelimit import TokenBuckets

pytestmark = pytest.mark.django_db

TOKEN = "A" * 43
NOISY, QUIET = "203.0.113.9", "198.51.100.7"


@pytest.fixture
def tight_limit(settings, monkeypatch):
    """3 requests at once, then 1 a second; the clock stands still, so no token comes back."""
    settings.SURVEY_LINK_RATE = 1
    settings.SURVEY_LINK_BURST = 3
    monkeypatch.setattr("servicechain.ratelimit.clock", lambda: 1000.0)


def test_a_burst_from_one_address_gets_a_429_page_and_another_address_is_unaffected(
    client, tight_limit
):
    statuses = [client.get(f"/s/{TOKEN}/", REMOTE_ADDR=NOISY).status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    limited = client.get(f"/s/{TOKEN}/", REMOTE_ADDR=NOISY)
    assert "Too many requests" in limited.content.decode()
    assert int(limited["Retry-After"]) >= 1 and "no-store" in limited["Cache-Control"]

    assert client.get(f"/s/{TOKEN}/", REMOTE_ADDR=QUIET).status_code == 404


def test_the_submit_api_answers_429_with_a_detail(client, tight_limit):
    def submit(address):
        return client.post(
            f"/api/respond/{TOKEN}",
            json.dumps({"answers": {"ENG1": 4}}),
            content_type="application/json",
            REMOTE_ADDR=address,
        )

    statuses = [submit(NOISY).status_code for _ in range(3)]
    limited = submit(NOISY)
    assert statuses == [404, 404, 404] and limited.status_code == 429
    assert "Too many requests" in limited.json()["detail"]
    assert submit(QUIET).status_code == 404


def test_clients_behind_a_trusted_proxy_have_their_own_limits(client, tight_limit, settings):
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.5"),)
    via_proxy = {"REMOTE_ADDR": "10.0.0.5"}
    for _ in range(4):
        client.get(f"/s/{TOKEN}/draft", HTTP_X_FORWARDED_FOR=NOISY, **via_proxy)
    assert client.get(f"/s/{TOKEN}/", HTTP_X_FORWARDED_FOR=NOISY, **via_proxy).status_code == 429
    assert client.get(f"/s/{TOKEN}/", HTTP_X_FORWARDED_FOR=QUIET, **via_proxy).status_code == 404


def test_staff_pages_are_not_limited(client, tight_limit):
    assert {client.get("/healthz").status_code for _ in range(6)} == {200}


def test_a_bucket_refills_at_the_rate_and_holds_at_most_the_burst():
    buckets = TokenBuckets(rate=2, burst=3)
    assert [buckets.take("a", 0.0) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a", 0.0) == pytest.approx(0.5)  # next token in half a second
    assert buckets.take("a", 0.5) == 0
    assert buckets.take("b", 0.5) == 0
    # A long pause refills to the burst, never beyond it.
    assert [buckets.take("a", 100.0) for _ in range(4)] == [0, 0, 0, pytest.approx(0.5)]


def test_the_least_recently_seen_address_is_forgotten_first():
    buckets = TokenBuckets(rate=1, burst=1, max_addresses=2)
    buckets.take("a", 0.0)
    buckets.take("b", 0.0)
    buckets.take("a", 0.0)  # "a" is over its limit and now the most recent
    buckets.take("c", 0.0)  # forgets "b"
    assert buckets.take("a", 0.0) > 0
    assert buckets.take("b", 0.0) == 0


def test_a_rate_of_zero_turns_the_limit_off(client, settings, monkeypatch):
    settings.SURVEY_LINK_RATE = 0
    monkeypatch.setattr("servicechain.ratelimit.clock", lambda: 1000.0)
    burst = settings.SURVEY_LINK_BURST
    assert {
        client.get(f"/s/{TOKEN}/", REMOTE_ADDR=NOISY).status_code for _ in range(burst + 5)
    } == {404}
