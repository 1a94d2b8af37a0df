"""Importing another survey tool's wide export: mapping, atomicity, row and column errors."""

import json

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from servicechain.cli import main as cli
from servicechain.org import services as org_services
from servicechain.org.imports import ImportFailed
from servicechain.surveys.models import CustomerResponse, Response
from tests.factories import CustomerFactory, InteractionFactory, member
from tests.surveys.helpers import build_org, open_wave

pytestmark = pytest.mark.django_db

EXPORT = """ResponseID,StartDate,EndDate,Store,Tenure,Q1,Q2,Q3,Q4,Q5,Recommend,Comments,IPAddress
R1,2026-03-01T09:00:00Z,2026-03-01T09:05:00Z,acme-na,<1y,4,4,5,3,4,9,Great team,10.0.0.1
R2,2026-03-01T10:00:00Z,2026-03-01T10:04:00Z,acme-nb,5y+,2,3,2,2,3,4,,10.0.0.2
R3,2026-03-02T08:00:00Z,2026-03-02T08:09:00Z,acme-sa,2-5y,5,5,5,4,5,10,Love it,10.0.0.3
"""
MAPPING = {
    "ResponseID": "external_id",
    "StartDate": "started_at",
    "EndDate": "submitted_at",
    "Store": "unit_external_id",
    "Tenure": "tenure_band",
    "Q1": "ENG1",
    "Q2": "ENG2",
    "Q3": "ENG3",
    "Q4": "ENG4",
    "Q5": "ENG5",
    "Recommend": "ENPS1",
    "Comments": "COMMENT",
}


@pytest.fixture
def wave():
    org, units = build_org()
    return open_wave(org, units["root"], name="Imported census")


def run(wave, content, mapping=MAPPING, name="export.csv", tmp_path=None, **extra):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return org_services.import_file(
        organization=wave.organization,
        kind="responses",
        path=path,
        options={"wave": extra.get("wave_ref", wave.name), "mapping": mapping},
    )


def errors_of(excinfo):
    return [(e.row, e.column, e.message) for e in excinfo.value.errors]


def test_export_is_imported_with_the_mapping(wave, tmp_path):
    report = run(wave, EXPORT, tmp_path=tmp_path)
    assert (report.rows, report.created, report.updated) == (3, 3, 0)
    first = Response.objects.get(wave=wave, external_id="R1")
    assert first.answers == {
        "ENG1": 4,
        "ENG2": 4,
        "ENG3": 5,
        "ENG4": 3,
        "ENG5": 4,
        "ENPS1": 9,
        "COMMENT": "Great team",
    }
    assert first.unit.name == "North A" and first.tenure_band == "<1y"
    assert first.source == Response.Source.IMPORT


def test_wave_can_be_named_by_id(wave, tmp_path):
    assert run(wave, EXPORT, tmp_path=tmp_path, wave_ref=str(wave.pk)).created == 3


def test_reimporting_the_same_file_replaces_rather_than_duplicates(wave, tmp_path):
    run(wave, EXPORT, tmp_path=tmp_path)
    report = run(wave, EXPORT.replace("Great team", "Great team!"), tmp_path=tmp_path)
    assert (report.created, report.updated) == (0, 3)
    assert Response.objects.filter(wave=wave).count() == 3
    assert Response.objects.get(external_id="R1").answers["COMMENT"] == "Great team!"


def test_unknown_unit_and_out_of_range_answers_are_reported_and_nothing_is_written(wave, tmp_path):
    bad = EXPORT.replace("acme-nb", "ghost-store").replace(
        "R3,2026-03-02T08:00:00Z,2026-03-02T08:09:00Z,acme-sa,2-5y,5",
        "R3,2026-03-02T08:00:00Z,2026-03-02T08:09:00Z,acme-sa,2-5y,7",
    )
    with pytest.raises(ImportFailed) as caught:
        run(wave, bad, tmp_path=tmp_path)
    found = errors_of(caught)
    assert (4, "Q1", "7 is out of range; answer a whole number from 1 to 5 (item ENG1)") in found
    assert (3, "Store", "unknown unit 'ghost-store'; import the units first") in found
    assert not Response.objects.exists()


def test_unmapped_required_question_is_a_column_error(wave, tmp_path):
    wave.instrument.entries.filter(bank_code="MGR1").update(required=True)
    wave.instrument.save()
    with pytest.raises(ImportFailed) as caught:
        run(wave, EXPORT, tmp_path=tmp_path)
    assert errors_of(caught) == [(1, "MGR1", "required question MGR1 is not mapped to any column")]


def test_mapping_to_a_missing_column_or_unknown_item_is_reported(wave, tmp_path):
    mapping = {**MAPPING, "Q9": "ENG1", "Q5": "XYZ"}
    with pytest.raises(ImportFailed) as caught:
        run(wave, EXPORT, mapping=mapping, tmp_path=tmp_path)
    found = {(row, column) for row, column, _ in errors_of(caught)}
    assert {(1, "Q9"), (1, "Q5")} <= found


def test_missing_unit_column_is_reported(wave, tmp_path):
    mapping = {k: v for k, v in MAPPING.items() if k != "Store"}
    with pytest.raises(ImportFailed) as caught:
        run(wave, EXPORT, mapping=mapping, tmp_path=tmp_path)
    assert (1, "unit_external_id") in {(r, c) for r, c, _ in errors_of(caught)}


def test_bad_timestamp_and_tenure_band_are_row_errors(wave, tmp_path):
    bad = EXPORT.replace("2026-03-01T10:04:00Z", "yesterday").replace(",5y+,", ",ages,")
    with pytest.raises(ImportFailed) as caught:
        run(wave, bad, tmp_path=tmp_path)
    columns = {(r, c) for r, c, _ in errors_of(caught)}
    assert {(3, "EndDate"), (3, "Tenure")} <= columns


def test_duplicate_response_ids_are_reported(wave, tmp_path):
    with pytest.raises(ImportFailed) as caught:
        run(wave, EXPORT.replace("R3,", "R1,"), tmp_path=tmp_path)
    assert (4, "external_id", "duplicate id; it already appears on row 2") in errors_of(caught)


def test_unknown_wave_is_reported(wave, tmp_path):
    with pytest.raises(ImportFailed, match="unknown wave 'Nope'"):
        run(wave, EXPORT, tmp_path=tmp_path, wave_ref="Nope")


def test_xlsx_export_is_imported(wave, tmp_path):
    book = Workbook()
    sheet = book.active
    for line in EXPORT.strip().splitlines():
        sheet.append([float(v) if v.isdigit() else v for v in line.split(",")])
    book.save(tmp_path / "export.xlsx")
    report = org_services.import_file(
        organization=wave.organization,
        kind="responses",
        path=tmp_path / "export.xlsx",
        options={"wave": wave.name, "mapping": MAPPING},
    )
    assert report.created == 3
    assert Response.objects.get(external_id="R2").answers["ENG1"] == 2


def test_customer_responses_link_to_the_interaction_and_its_unit(tmp_path):
    org, units = build_org()
    instrument = __import__("servicechain.surveys.services", fromlist=["x"]).instrument_create(
        organization=org, name="CX", population="customer", template="customer_transactional"
    )
    wave = open_wave(org, units["root"], instrument=instrument, kind="customer", name="CX 2026")
    customer = CustomerFactory(organization=org)
    InteractionFactory(unit=units["south_a"], customer=customer, external_id="I1")
    content = "response_id,interaction_external_id,csat,nps,comment\nC1,I1,5,10,Quick and kind\n"
    report = org_services.import_file(
        organization=org,
        kind="responses",
        path=_write(tmp_path, content),
        options={"wave": "CX 2026", "mapping": {"comment": "CX_COMMENT"}},
    )
    assert report.created == 1
    stored = CustomerResponse.objects.get(wave=wave)
    assert stored.unit == units["south_a"] and stored.interaction.external_id == "I1"
    assert stored.answers == {"csat": 5, "nps": 10, "CX_COMMENT": "Quick and kind"}


def _write(tmp_path, content):
    path = tmp_path / "cx.csv"
    path.write_text(content)
    return path


def test_command_line_import_with_a_mapping_file(wave, tmp_path, capsys):
    (tmp_path / "export.csv").write_text(EXPORT)
    (tmp_path / "map.json").write_text(json.dumps(MAPPING))
    code = cli(
        [
            "import",
            "responses",
            str(tmp_path / "export.csv"),
            "--org",
            "acme",
            "--wave",
            wave.name,
            "--mapping",
            str(tmp_path / "map.json"),
        ]
    )
    assert code == 0 and "imported 3 responses rows" in capsys.readouterr().out
    assert Response.objects.filter(wave=wave).count() == 3


def test_import_through_the_api_passes_wave_and_mapping(client, wave, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(member(wave.organization, "hr_analyst"))
    response = client.post(
        "/api/orgs/acme/imports/responses",
        {
            "file": SimpleUploadedFile("export.csv", EXPORT.encode()),
            "wave": wave.name,
            "mapping": json.dumps(MAPPING),
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 3


def test_management_commands_still_load(capsys):
    call_command("check")
