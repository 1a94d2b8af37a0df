"""Who reads a kudos: everyone for an organisation post, the team for a team post, only the
people in it for a private one; a recipient's private choice and an admin's hiding hold on
every page and in the API (one selector decides)."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from servicechain.org.models import AuditEvent
from servicechain.recognition import selectors, services
from servicechain.recognition.models import RecognitionSettings, Report
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db


def give(org, giver="north0", to=("north1",), **kwargs):
    return services.kudos_give(
        giver=org.people[giver],
        message="Thank you",
        values=["own-it"],
        recipients=[org.people[n] for n in to],
        **kwargs,
    )


def feed_ids(org, name):
    return [p.pk for p in selectors.feed(org.viewer(name)).posts]


def can_read(org, name, kudos) -> bool:
    try:
        selectors.kudos_of(org.viewer(name), kudos.pk)
    except Http404:
        return False
    return True


def test_an_organisation_post_is_read_by_everyone_in_the_organisation_only():
    org, other = build_org(), build_org()
    kudos = give(org)
    assert all(can_read(org, n, kudos) for n in ("south0", "boss", "hr", "admin"))
    assert kudos.pk in feed_ids(org, "south2")
    with pytest.raises(Http404):
        selectors.kudos_of(other.viewer("north0"), kudos.pk)


def test_a_team_post_is_read_by_the_team_and_its_managers_not_by_other_teams():
    org = build_org()
    kudos = give(org, visibility="team")
    assert can_read(org, "north2", kudos) and can_read(org, "boss", kudos)
    assert not can_read(org, "south0", kudos) and not can_read(org, "hr", kudos)
    assert kudos.pk in feed_ids(org, "north2") and kudos.pk not in feed_ids(org, "south0")


def test_a_private_post_is_read_only_by_the_giver_and_the_people_in_it():
    org = build_org()
    kudos = give(org, visibility="private")
    assert can_read(org, "north0", kudos) and can_read(org, "north1", kudos)
    assert not any(can_read(org, n, kudos) for n in ("north2", "boss", "admin"))


def test_a_recipient_who_makes_theirs_private_disappears_from_what_others_read():
    org = build_org()
    kudos = give(org, to=("north1", "north2"))
    services.kudos_make_private(viewer=org.viewer("north1"), kudos=kudos)
    (seen_by_colleague,) = selectors.posts(org.viewer("south0"), [kudos])
    assert [p.first_name for p in seen_by_colleague.recipients] == ["North2"]
    (seen_by_them,) = selectors.posts(org.viewer("north1"), [kudos])
    assert seen_by_them.private_for_me and len(seen_by_them.recipients) == 2
    services.kudos_make_private(viewer=org.viewer("north2"), kudos=kudos)
    assert kudos.pk not in feed_ids(org, "south0")  # all chose private: off the feeds
    assert kudos.pk in feed_ids(org, "north1")
    profile = selectors.profile(org.viewer("south0"), org.people["north1"])
    assert kudos.pk not in [p.pk for p in profile.received]


def test_only_a_recipient_can_make_a_post_private():
    org = build_org()
    kudos = give(org)
    with pytest.raises(Exception, match="Only a person recognised"):
        services.kudos_make_private(viewer=org.viewer("south0"), kudos=kudos)


def test_a_report_reaches_the_admins_and_hiding_the_post_is_audited_and_total():
    org = build_org()
    kudos = give(org, points=5)
    report = services.kudos_report(viewer=org.viewer("south0"), kudos=kudos, reason="Rude")
    assert AuditEvent.objects.filter(action="recognition.post_report").exists()
    assert list(selectors.open_reports(org.organization)) == [report]
    with pytest.raises(Exception, match="Only an admin"):
        services.kudos_hide(viewer=org.viewer("boss"), kudos=kudos, reason="no")
    services.kudos_hide(viewer=org.viewer("admin"), kudos=kudos, reason="Offensive")
    assert not any(can_read(org, n, kudos) for n in ("north0", "north1", "south0"))
    assert Report.objects.get(pk=report.pk).status == "hidden"
    assert AuditEvent.objects.filter(
        action="recognition.post_hide", target_id=str(kudos.pk)
    ).exists()
    assert selectors.points_balance(org.people["north1"]) == 5  # received points stay


def test_a_report_needs_a_reason():
    org = build_org()
    kudos = give(org)
    with pytest.raises(ValidationError, match="cannot be empty"):
        services.kudos_report(viewer=org.viewer("south0"), kudos=kudos, reason=" ")
    assert not Report.objects.exists()


def test_point_amounts_are_hidden_on_posts_when_the_admin_says_so():
    org = build_org()
    kudos = give(org, points=10)
    assert selectors.posts(org.viewer("south0"), [kudos])[0].points_each == 10
    RecognitionSettings.objects.filter(organization=org.organization).update(show_points=False)
    assert selectors.posts(org.viewer("south0"), [kudos])[0].points_each is None


def test_the_feed_pages_back_through_older_posts_without_repeats():
    org = build_org()
    made = [give(org, to=("north1",)).pk for _ in range(5)]
    first = selectors.feed(org.viewer("south0"), limit=2)
    second = selectors.feed(org.viewer("south0"), cursor=first.next_cursor, limit=2)
    third = selectors.feed(org.viewer("south0"), cursor=second.next_cursor, limit=2)
    seen = [p.pk for page in (first, second, third) for p in page.posts]
    assert seen == sorted(made, reverse=True) and third.next_cursor is None


def test_a_profile_shows_others_exactly_their_part():
    org = build_org()
    give(org, to=("north1",), points=5)
    own = selectors.profile(org.viewer("north1"), org.people["north1"])
    colleague = selectors.profile(org.viewer("south0"), org.people["north1"])
    manager = selectors.profile(org.viewer("boss"), org.people["north1"])
    assert own.sections == [
        "kudos_received",
        "kudos_given",
        "achievements",
        "goals",
        "allowance",
        "spot_bonuses",
    ]
    assert colleague.sections == ["kudos_received", "kudos_given", "achievements"]
    assert colleague.allowance_left is None and colleague.goals is None
    assert manager.sections == ["kudos_received", "kudos_given", "achievements", "goals"]
    assert own.balance == 5 and own.allowance_left == 100
