"""Interval volume imports: local times, row errors, atomicity, updates, XLSX."""

import datetime as dt

import pytest
from openpyxl import Workbook

from servicechain.contactcentre.models import ContactCentre, IntervalVolume, Team
from servicechain.org.imports import ImportFailed
from servicechain.org.services import import_file
from tests.factories import OrganizationFactory, make_unit

pytestmark = pytest.mark.django_db


def make_centre(organization=None, slug="inbound"):
    organization = organization or OrganizationFactory()
    unit = make_unit(organization, f"Centre {slug}", kind="contact_centre")
    centre = ContactCentre.objects.create(organization=organization, unit=unit, name=unit.name)
    return Team.objects.create(organization=organization, centre=centre, slug=slug, name=slug)


GOOD = "interval_start,calls,aht_s\n2030-01-07 09:00,12,281.5\n2030-01-07 09:15,0,\n"


def upload(team, tmp_path, text, name="volumes.csv", **kwargs):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return volumes_import(team, path, name, **kwargs)


def volumes_import(team, path, name, dry_run=False):
    """The path every upload takes (page, API, ``services.volumes_import``)."""
    return import_file(
        organization=team.organization,
        kind="volumes",
        path=path,
        filename=name,
        dry_run=dry_run,
        options={"team": team.slug},
    )


def test_volumes_are_read_on_the_centres_local_clock(tmp_path):
    team = make_centre()

    report = upload(team, tmp_path, "interval_start,calls,aht_s\n2030-07-01 09:00,12,281.5\n")

    assert report.created == 1
    stored = IntervalVolume.objects.get()
    # 09:00 in London in July is 08:00 UTC.
    assert stored.interval_start == dt.datetime(2030, 7, 1, 8, 0, tzinfo=dt.UTC)
    assert (stored.calls, stored.aht_s) == (12, 281.5)


def test_an_interval_without_calls_has_no_handling_time(tmp_path):
    team = make_centre()

    upload(team, tmp_path, GOOD)

    assert list(IntervalVolume.objects.values_list("calls", "aht_s")) == [(12, 281.5), (0, None)]


def test_reimporting_a_corrected_export_updates_the_intervals(tmp_path):
    team = make_centre()
    upload(team, tmp_path, GOOD)

    report = upload(team, tmp_path, "interval_start,calls,aht_s\n2030-01-07 09:00,15,300\n")

    assert (report.created, report.updated) == (0, 1)
    assert IntervalVolume.objects.get(calls=15).aht_s == 300.0


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("2030-01-07 09:30,ten,300", "calls", "not a whole number"),
        ("2030-01-07 09:30,-1,300", "calls", "below the minimum"),
        ("2030-01-07 09:30,4,", "aht_s", "had calls"),
        ("2030-01-07 09:30,4,-5", "aht_s", "positive"),
        ("2030-01-07 09:37,4,300", "interval_start", "not the start of a 15-minute interval"),
        ("yesterday,4,300", "interval_start", "not a date-time"),
        ("2030-01-07 09:00,4,300", "interval_start", "already on row 2"),
    ],
)
def test_a_bad_row_is_reported_by_row_and_column_and_nothing_is_written(
    tmp_path, row, column, message
):
    team = make_centre()
    upload(team, tmp_path, "interval_start,calls,aht_s\n2030-01-06 09:00,1,100\n")

    with pytest.raises(ImportFailed) as failure:
        upload(team, tmp_path, GOOD.splitlines()[0] + "\n2030-01-07 09:00,12,281.5\n" + row + "\n")

    error = failure.value.errors[0]
    assert (error.row, error.column) == (3, column)
    assert message in error.message
    assert IntervalVolume.objects.count() == 1, "the earlier import is untouched, nothing added"


def test_missing_columns_are_named(tmp_path):
    team = make_centre()

    with pytest.raises(ImportFailed) as failure:
        upload(team, tmp_path, "when,calls\n2030-01-07 09:00,3\n")

    assert {e.column for e in failure.value.errors} == {"interval_start"}


def test_an_organisation_wide_import_routes_rows_by_the_team_column(tmp_path):
    inbound = make_centre()
    outbound = make_centre(inbound.organization, slug="outbound")
    path = tmp_path / "volumes.csv"
    path.write_text(
        "interval_start,calls,aht_s,team\n"
        "2030-01-07 09:00,3,200,inbound\n2030-01-07 09:00,5,250,outbound\n",
        encoding="utf-8",
    )

    import_file(organization=inbound.organization, kind="volumes", path=path)

    assert IntervalVolume.objects.get(team=outbound).calls == 5
    assert IntervalVolume.objects.get(team=inbound).calls == 3


def test_an_upload_for_one_team_refuses_rows_of_another_and_writes_nothing(tmp_path):
    inbound = make_centre()
    make_centre(inbound.organization, slug="outbound")
    text = (
        "interval_start,calls,aht_s,team\n"
        "2030-01-07 09:00,3,200,inbound\n2030-01-07 09:00,5,250,outbound\n"
    )

    with pytest.raises(ImportFailed) as failure:
        upload(inbound, tmp_path, text)

    [error] = failure.value.errors
    assert (error.row, error.column) == (3, "team")
    assert "not the team of this upload" in error.message and "'inbound'" in error.message
    assert not IntervalVolume.objects.exists()


def test_an_unknown_team_names_no_other_team_of_the_organisation(tmp_path):
    inbound = make_centre()
    make_centre(inbound.organization, slug="south-hotline")

    with pytest.raises(ImportFailed) as failure:
        upload(inbound, tmp_path, "interval_start,calls,aht_s,team\n2030-01-08 09:00,1,9,billing\n")

    assert "'billing'" in str(failure.value) and "south-hotline" not in str(failure.value)


def test_dry_run_checks_without_writing(tmp_path):
    team = make_centre()

    report = upload(team, tmp_path, GOOD, dry_run=True)

    assert report.rows == 2 and report.dry_run
    assert not IntervalVolume.objects.exists()


def test_xlsx_export_with_real_dates_and_numbers(tmp_path):
    team = make_centre()
    book = Workbook()
    sheet = book.active
    sheet.append(["interval_start", "calls", "aht_s"])
    sheet.append([dt.datetime(2030, 1, 7, 9, 0), 7, 312.0])
    sheet.append([dt.datetime(2030, 1, 7, 9, 15), 9, 298])
    path = tmp_path / "acd.xlsx"
    book.save(path)

    report = volumes_import(team, path, "acd.xlsx")

    assert report.created == 2
    assert sorted(IntervalVolume.objects.values_list("calls", flat=True)) == [7, 9]
