"""Giving kudos: values, teams, points from the allowance, and every refusal changes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from servicechain.notifications.models import Notification
from servicechain.recognition import selectors, services
from servicechain.recognition.models import Kudos, KudosRecipient, PointsEntry
from tests.factories import EmployeeFactory
from tests.recognition.helpers import build_org

pytestmark = pytest.mark.django_db


def give(org, giver="north0", **kwargs):
    arguments = {"message": "Thank you!", "values": ["own-it"]} | kwargs
    return services.kudos_give(giver=org.people[giver], actor=org.users[giver], **arguments)


def counts():
    return (Kudos.objects.count(), KudosRecipient.objects.count(), PointsEntry.objects.count())


def test_a_kudos_with_points_moves_them_from_the_allowance_to_the_recipient():
    org = build_org(allowance=50)
    give(org, recipients=[org.people["north1"]], points=20)
    assert selectors.allowance_left(org.people["north0"]) == 30
    assert selectors.points_balance(org.people["north1"]) == 20
    assert Notification.objects.filter(
        recipient=org.users["north1"], event="recognition.kudos_received"
    ).exists()


def test_a_team_kudos_credits_every_member_once_and_never_the_announcer():
    org = build_org(team_size=4)
    kudos = give(org, team=org.north, recipients=[org.people["north2"]], points=5)
    credited = set(kudos.recipients.values_list("employee__first_name", flat=True))
    assert credited == {"North1", "North2", "North3"}
    assert selectors.allowance_left(org.people["north0"]) == 100 - 3 * 5


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"values": []}, "at least one"),
        ({"values": ["no-such-value"]}, "Unknown value"),
        ({"recipients": "self"}, "cannot recognise yourself"),
        ({"points": -5}, "cannot be negative"),
        (
            {"points": 60, "recipients": "two"},
            "You have 100 points left this month; 2 × 60 needs 120",
        ),
        ({"message": "  "}, "cannot be empty"),
        ({"recipients": "nobody"}, "at least one colleague"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(arguments, message):
    org = build_org()
    before = counts()
    recipients = {
        "self": [org.people["north0"]],
        "two": [org.people["north1"], org.people["south1"]],
        "nobody": [],
    }.get(arguments.get("recipients"), [org.people["north1"]])
    with pytest.raises(ValidationError) as error:
        give(org, **(arguments | {"recipients": recipients}))
    assert message in str(error.value)
    assert counts() == before
    assert selectors.allowance_left(org.people["north0"]) == 100


def test_someone_who_left_cannot_be_recognised():
    org = build_org()
    gone = EmployeeFactory(unit=org.north, leave_date=dt.date(2023, 1, 1))
    with pytest.raises(ValidationError, match="does not work here now"):
        give(org, recipients=[gone])


def test_the_allowance_resets_on_the_first_and_does_not_roll_over(time_machine):
    org = build_org(allowance=30)
    time_machine.move_to("2026-03-20 10:00Z")
    give(org, recipients=[org.people["north1"]], points=10)
    assert selectors.allowance_left(org.people["north0"]) == 20
    time_machine.move_to("2026-04-01 08:00Z")
    assert selectors.allowance_left(org.people["north0"]) == 30  # not 50
    assert selectors.points_balance(org.people["north1"]) == 10  # received points stay


def test_the_ledger_is_append_only():
    org = build_org()
    give(org, recipients=[org.people["north1"]], points=10)
    entry = PointsEntry.objects.first()
    entry.points = 99
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
