"""Hostile files are refused with one clear line and change nothing (red-team report 2026-12, §7-8).

The attack files are built here: an 84 KB workbook whose shared strings unpack to 34 MB (it
took 59 s of CPU and 190 MB through the HR import), a renamed ZIP, a CSV header of one
endless field, NUL bytes, rows that jump to row 10⁹. Each is refused from what can be checked
before the expensive work — the ZIP's directory, the line length, a cell budget — so every
refusal names the budget it hit; none of these tests needs a clock to show it is quick.
"""

from __future__ import annotations

import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from servicechain.cli import main
from servicechain.contactcentre.models import IntervalVolume
from servicechain.org import imports, services
from servicechain.org.imports import ImportFailed
from servicechain.org.models import AuditEvent, Unit
from tests.contactcentre.helpers import lead_login, make_centre
from tests.factories import OrganizationFactory, member

pytestmark = pytest.mark.django_db

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def workbook(
    path,
    *,
    sheet_rows="",
    strings=None,
    strings_part="xl/sharedStrings.xml",
    content_types=True,
):
    """A minimal valid .xlsx written part by part; `strings` yields shared-string XML chunks."""
    overrides = (
        f'<Override PartName="/xl/workbook.xml" ContentType="{SPREADSHEET}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{SPREADSHEET}.worksheet+xml"/>'
    )
    workbook_rels = (
        f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    )
    if strings is not None:
        overrides += (
            f'<Override PartName="/{strings_part}" ContentType="{SPREADSHEET}.sharedStrings+xml"/>'
        )
        workbook_rels += (
            f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="/{strings_part}"/>'
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if content_types:
            archive.writestr(
                "[Content_Types].xml",
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f"{overrides}</Types>",
            )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{RELS}">{workbook_rels}</Relationships>',
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_rows}</sheetData></worksheet>',
        )
        if strings is not None:
            with archive.open(strings_part, "w") as part:
                part.write(f'<sst xmlns="{MAIN}">'.encode())
                for chunk in strings:
                    part.write(chunk.encode())
                part.write(b"</sst>")
    return path


def tiny_strings(count):
    """`count` one-letter shared strings: the red team's bomb (34 MB for 2,000,000)."""
    for _ in range(count // 10_000):
        yield "<si><t>x</t></si>" * 10_000


def inline_row(number, *cells):
    return (
        f'<row r="{number}">'
        + "".join(
            f'<c r="{ref}{number}" t="inlineStr"><is><t>{text}</t></is></c>' for ref, text in cells
        )
        + "</row>"
    )


UNITS_HEADER = inline_row(1, ("A", "external_id"), ("B", "name"))


def bomb(tmp_path, name="bomb.xlsx", strings=2_000_000, **options):
    return workbook(
        tmp_path / name, sheet_rows=UNITS_HEADER, strings=tiny_strings(strings), **options
    )


def refused(organization, path) -> str:
    """Import `path` as units; it must be refused whole. Returns the one error's text."""
    with pytest.raises(ImportFailed) as failure:
        services.import_file(organization=organization, kind="units", path=path)
    assert not Unit.objects.exists()
    [error] = failure.value.errors
    return str(error)


@pytest.fixture
def org():
    return OrganizationFactory(slug="northwind")


# --------------------------------------------------------------------------- XLSX: ZIP directory


def test_the_red_team_shared_strings_bomb_is_refused_unread(org, tmp_path):
    path = bomb(tmp_path)
    assert path.stat().st_size < 150_000, "a small upload, as in the report (84 KB)"

    message = refused(org, path)

    assert "shared strings xl/sharedStrings.xml unpacks to 32.4 MiB" in message
    assert "at most 16.0 MiB allowed" in message


def test_a_smaller_bomb_within_the_size_budget_is_refused_by_its_compression_ratio(org, tmp_path):
    path = bomb(tmp_path, strings=500_000)

    message = refused(org, path)

    assert "shared strings xl/sharedStrings.xml is compressed" in message
    assert "beyond the 100:1 budget" in message and "refused unread" in message


def test_shared_strings_stored_under_another_name_get_the_same_budget(org, tmp_path):
    path = bomb(tmp_path, strings=500_000, strings_part="xl/worksheets/notes.xml")

    message = refused(org, path)

    assert "shared strings xl/worksheets/notes.xml" in message and "100:1" in message


def test_shared_strings_above_their_size_budget_are_refused_however_well_they_compress(
    org, tmp_path
):
    # Random text deflates about 2:1, so only the size budget can stop this one.
    noise = (f"<si><t>{os.urandom(4096).hex()}</t></si>" for _ in range(2_100))
    path = workbook(tmp_path / "big.xlsx", sheet_rows=UNITS_HEADER, strings=noise)

    message = refused(org, path)

    assert "unpacks to 16.4 MiB; at most 16.0 MiB allowed" in message


def test_a_zip_renamed_xlsx_is_refused_with_what_is_missing(org, tmp_path):
    path = workbook(tmp_path / "units.xlsx", sheet_rows=UNITS_HEADER, content_types=False)

    message = refused(org, path)

    assert "not an .xlsx workbook (it has no [Content_Types].xml)" in message


def test_a_zip_without_a_workbook_inside_is_refused_not_a_crash(org, tmp_path):
    path = tmp_path / "units.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("readme.txt", "not a workbook")

    message = refused(org, path)

    assert "not a valid .xlsx workbook" in message


# --------------------------------------------------------------------------- XLSX: streaming


def test_rows_jumping_to_row_a_billion_spend_the_cell_budget(org, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "XLSX_MAX_CELLS", 1_000)
    rows = (
        UNITS_HEADER
        + inline_row(2, ("A", "R"), ("B", "Root"))
        + inline_row(1_000_000_000, ("A", "Z"), ("B", "Far away"))
    )
    path = workbook(tmp_path / "units.xlsx", sheet_rows=rows)

    message = refused(org, path)

    assert "more than 1,000 cells (rows × columns, empty rows included)" in message


def test_one_row_sixteen_thousand_columns_wide_spends_the_cell_budget(org, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "XLSX_MAX_CELLS", 1_000)
    rows = UNITS_HEADER + inline_row(2, ("A", "R"), ("XFD", "Root"))
    path = workbook(tmp_path / "units.xlsx", sheet_rows=rows)

    assert "more than 1,000 cells" in refused(org, path)


def test_a_workbook_within_every_budget_still_imports(org, tmp_path):
    rows = (
        UNITS_HEADER
        + inline_row(2, ("A", "R"), ("B", "Root"))
        + inline_row(3, ("A", "S1"), ("B", "Store"))
    )
    path = workbook(tmp_path / "units.xlsx", sheet_rows=rows)

    report = services.import_file(organization=org, kind="units", path=path)

    assert report.created == 2


# --------------------------------------------------------------------------- CSV


def test_a_csv_header_field_over_the_csv_field_limit_is_a_row_one_error(org, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("external_id,name," + "x" * 131_073 + "\nR,Root,\n", encoding="utf-8")

    message = refused(org, path)

    assert "row 1" in message and "a value is longer than 131,072 characters" in message


def test_an_endless_line_is_refused_without_reading_it_whole(org, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(b"external_id,name\n" + b"R," + b"y" * (2 * 1024 * 1024) + b"\n")

    message = refused(org, path)

    assert "row 2" in message and "longer than 1 MiB" in message


def test_nul_bytes_in_a_csv_value_are_reported_by_row_and_column(org, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(b"external_id,name\nR,Root\nS,Sto\x00re\n")

    with pytest.raises(ImportFailed) as failure:
        services.import_file(organization=org, kind="units", path=path)

    [error] = failure.value.errors
    assert (error.row, error.column) == (3, "name") and "NUL byte" in error.message
    assert not Unit.objects.exists()


def test_a_utf16_file_is_refused_with_advice(org, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes("external_id,name\nR,Root\n".encode("utf-16-le"))

    with pytest.raises(ImportFailed) as failure:
        services.import_file(organization=org, kind="units", path=path)

    assert {e.row for e in failure.value.errors} == {1}
    assert all("NUL byte" in e.message and "UTF-16" in e.message for e in failure.value.errors)


# --------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bomb.xlsx", "at most 16.0 MiB allowed"),
        ("renamed.xlsx", "it has no [Content_Types].xml"),
        ("header.csv", "a value is longer than 131,072 characters"),
        ("nul.csv", "row 2, column 'name': contains a NUL byte"),
    ],
)
def test_the_cli_prints_one_line_per_error_and_exits_non_zero(
    org, tmp_path, capsys, name, expected
):
    files = {
        "bomb.xlsx": lambda p: bomb(tmp_path, name=p.name),
        "renamed.xlsx": lambda p: workbook(p, sheet_rows=UNITS_HEADER, content_types=False),
        "header.csv": lambda p: p.write_text("external_id," + "x" * 200_000 + "\n"),
        "nul.csv": lambda p: p.write_bytes(b"external_id,name\nR,Ro\x00ot\n"),
    }
    path = tmp_path / name
    files[name](path)

    status = main(["import", "units", str(path), "--org", org.slug])

    err = capsys.readouterr().err
    assert status == 1
    assert (
        err.splitlines()[0] == f"error: {name} was rejected with 1 error(s); nothing was imported."
    )
    assert len(err.splitlines()) == 2 and expected in err.splitlines()[1]
    assert "Traceback" not in err and not Unit.objects.exists()


# --------------------------------------------------------------------------- uploads over HTTP


def hr_client(org) -> Client:
    client = Client()
    client.force_login(member(org, "hr_analyst", username="hr"))
    return client


def test_hr_upload_of_the_bomb_is_a_422_naming_the_budget(org, tmp_path):
    path = bomb(tmp_path)

    response = hr_client(org).post(
        f"/api/orgs/{org.slug}/imports/units",
        {"file": SimpleUploadedFile("bomb.xlsx", path.read_bytes()), "dry_run": True},
    )

    assert response.status_code == 422
    assert "at most 16.0 MiB allowed" in response.json()["errors"][0]["message"]


def test_a_team_lead_reaching_the_same_code_through_volumes_gets_the_same_refusal(tmp_path):
    team = make_centre()
    lead = Client()
    lead.force_login(lead_login(team))
    header = inline_row(1, ("A", "interval_start"), ("B", "calls"), ("C", "aht_s"))
    path = workbook(tmp_path / "acd.xlsx", sheet_rows=header, strings=tiny_strings(500_000))

    response = lead.post(
        f"/api/orgs/{team.organization.slug}/contact-centre/teams/{team.slug}/volumes",
        {"file": SimpleUploadedFile("acd.xlsx", path.read_bytes())},
    )

    assert response.status_code == 422
    assert "100:1" in response.json()["errors"][0]["message"]
    assert not IntervalVolume.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("renamed.xlsx", None),
        ("header.csv", ("external_id," + "x" * 131_073 + "\nR\n").encode()),
    ],
)
def test_malformed_uploads_that_were_500s_are_422s(org, tmp_path, name, content):
    if content is None:
        content = workbook(
            tmp_path / name, sheet_rows=UNITS_HEADER, content_types=False
        ).read_bytes()

    response = hr_client(org).post(
        f"/api/orgs/{org.slug}/imports/units", {"file": SimpleUploadedFile(name, content)}
    )

    assert response.status_code == 422 and response.json()["errors"][0]["message"]


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(org, settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    # Over Django's 2.5 MB in-memory threshold, so it arrives through the capped disk handler.
    content = b"external_id,name\n" + b"U,Unit\n" * 450_000

    response = hr_client(org).post(
        f"/api/orgs/{org.slug}/imports/units", {"file": SimpleUploadedFile("units.csv", content)}
    )

    assert response.status_code == 422
    message = response.json()["errors"][0]["message"]
    assert "the file is 3.0 MB; uploads are limited to 1 MB (SERVICECHAIN_MAX_UPLOAD_MB)" in message
    assert (
        not Unit.objects.exists() and not AuditEvent.objects.filter(action="import.units").exists()
    )


def test_the_volumes_page_shows_the_size_refusal(settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    team = make_centre()
    lead = Client()
    lead.force_login(lead_login(team))
    content = b"interval_start,calls,aht_s\n" + b"2030-01-07T09:00,1,100\n" * 100_000

    page = lead.post(
        f"/o/{team.organization.slug}/contact-centre/teams/{team.slug}/volumes/",
        {"file": SimpleUploadedFile("v.csv", content)},
    )

    assert page.status_code == 200
    assert "uploads are limited to 1 MB" in page.content.decode()
    assert not IntervalVolume.objects.exists()


def test_past_the_limit_an_upload_is_counted_but_no_longer_kept_on_disk(settings):
    from servicechain.uploads import CappedTemporaryFileUploadHandler

    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    chunk, sent = 64 * 1024, 8 * 1024 * 1024
    handler = CappedTemporaryFileUploadHandler()
    handler.new_file("file", "huge.csv", "text/csv", sent)
    for start in range(0, sent, chunk):
        handler.receive_data_chunk(b"x" * chunk, start)

    upload = handler.file_complete(sent)

    assert upload.size == sent, "the size sent, so the import refuses it by size"
    assert len(upload.read()) == settings.MAX_UPLOAD_BYTES
    upload.close()
