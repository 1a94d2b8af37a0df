"""Imports are atomic: a file with any bad row changes nothing and says where and what."""

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import Workbook

from servicechain.org import services
from servicechain.org.imports import ImportFailed
from servicechain.org.models import Customer, Employee, Interaction, Transaction, Unit
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

UNITS = """external_id,name,parent_external_id,kind
ROOT,Northwind,,organisation
N,North,ROOT,region
S1,Store One,N,store
S2,Store Two,N,store
"""
EMPLOYEES = """external_id,unit_external_id,first_name,last_name,email,job_title,job_family,hire_date,leave_date,is_manager
E1,S1,Ada,Lovelace,ada@example.com,Advisor,frontline,2021-03-01,,false
E2,S1,Alan,Turing,,Manager,manager,2019-01-15,,true
E3,S2,Grace,Hopper,,Advisor,frontline,2022-06-01,2024-01-31,no
"""
CUSTOMERS = """external_id,name,email,owner_employee_external_id
C1,Customer One,c1@example.com,E1
C2,Customer Two,,
"""
INTERACTIONS = """external_id,customer_external_id,employee_external_id,unit_external_id,channel,started_at,duration_s
I1,C1,E1,S1,phone,2026-03-01T09:30:00Z,300
I2,C2,E2,,chat,2026-03-01T10:00:00+01:00,120
"""
TRANSACTIONS = """external_id,customer_external_id,employee_external_id,amount,occurred_at
T1,C1,E1,19.99,2026-03-01T09:45:00Z
T2,C2,,1250.00,2026-03-02T12:00:00Z
"""


def write(tmp_path, name, content, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


@pytest.fixture
def org():
    return OrganizationFactory(slug="northwind")


@pytest.fixture
def seeded(org, tmp_path):
    for kind, content in [
        ("units", UNITS),
        ("employees", EMPLOYEES),
        ("customers", CUSTOMERS),
        ("interactions", INTERACTIONS),
        ("transactions", TRANSACTIONS),
    ]:
        services.import_file(
            organization=org, kind=kind, path=write(tmp_path, f"{kind}.csv", content)
        )
    return org


def snapshot(org):
    return [
        list(model.objects.filter(organization=org).order_by("pk").values())
        for model in (Unit, Employee, Customer, Interaction, Transaction)
    ]


def rejected(org, tmp_path, kind, content, name=None, **kwargs) -> ImportFailed:
    before = snapshot(org)
    path = write(tmp_path, name or f"{kind}.csv", content, **kwargs)
    with pytest.raises(ImportFailed) as failure:
        services.import_file(organization=org, kind=kind, path=path)
    assert snapshot(org) == before, "a rejected file must change nothing"
    return failure.value


def test_a_full_organisation_imports_with_tree_and_references(seeded):
    store = Unit.objects.get(organization=seeded, external_id="S1")
    assert store.parent.external_id == "N" and store.depth == 2
    assert Unit.objects.subtree(store.parent).count() == 3
    assert Employee.objects.get(external_id="E3").leave_date == dt.date(2024, 1, 31)
    assert Customer.objects.get(external_id="C1").owner.external_id == "E1"
    chat = Interaction.objects.get(external_id="I2")
    assert chat.unit.external_id == "S1", "without a unit, the serving employee's unit is used"
    assert chat.started_at == dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    assert Transaction.objects.get(external_id="T2").amount == Decimal("1250.00")


def test_reimport_upserts_by_external_id(seeded, tmp_path):
    report = services.import_file(
        organization=seeded,
        kind="employees",
        path=write(tmp_path, "e.csv", EMPLOYEES.replace("Ada,Lovelace", "Ada,Byron")),
    )
    assert (report.created, report.updated) == (0, 3)
    assert Employee.objects.get(external_id="E1").last_name == "Byron"
    assert Employee.objects.filter(organization=seeded).count() == 3


def test_dry_run_checks_everything_and_writes_nothing(org, tmp_path):
    report = services.import_file(
        organization=org, kind="units", path=write(tmp_path, "u.csv", UNITS), dry_run=True
    )
    assert report.rows == 4 and report.created == 4 and report.dry_run
    assert not Unit.objects.filter(organization=org).exists()


def test_missing_column_is_named(seeded, tmp_path):
    failure = rejected(seeded, tmp_path, "employees", "external_id,first_name\nE9,Zed\n")
    messages = {(e.row, e.column) for e in failure.errors}
    assert (1, "unit_external_id") in messages and (1, "hire_date") in messages


def test_unparseable_date_names_file_row_and_column(seeded, tmp_path):
    bad = EMPLOYEES + "E4,S1,Bad,Date,,Advisor,frontline,31/12/2023,,false\n"
    failure = rejected(seeded, tmp_path, "employees", bad, name="people.csv")
    (error,) = failure.errors
    assert (error.file, error.row, error.column) == ("people.csv", 5, "hire_date")
    assert "YYYY-MM-DD" in error.message


def test_unknown_unit_and_employee_are_reported(seeded, tmp_path):
    bad = INTERACTIONS + "I3,C1,E404,NOPE,phone,2026-03-01T09:30:00Z,10\n"
    failure = rejected(seeded, tmp_path, "interactions", bad)
    found = {(e.row, e.column) for e in failure.errors}
    assert found == {(4, "employee_external_id"), (4, "unit_external_id")}
    assert any("unknown employee 'E404'" in e.message for e in failure.errors)


def test_duplicate_id_points_at_the_first_occurrence(seeded, tmp_path):
    bad = TRANSACTIONS + "T1,C2,,5.00,2026-03-03T12:00:00Z\n"
    failure = rejected(seeded, tmp_path, "transactions", bad)
    (error,) = failure.errors
    assert error.row == 4 and error.column == "external_id" and "row 2" in error.message


def test_duplicates_are_found_across_batches(org, tmp_path, monkeypatch):
    from servicechain.org.importers import UnitImporter

    monkeypatch.setattr(UnitImporter, "batch_size", 2)
    bad = UNITS + "S1,Again,N,store\n"
    failure = rejected(org, tmp_path, "units", bad)
    assert [(e.row, e.column) for e in failure.errors] == [(6, "external_id")]


def test_non_utf8_file_is_rejected_with_advice(seeded, tmp_path):
    latin = "external_id,name,email,owner_employee_external_id\nC9,Ren\xe9e,,\n"
    failure = rejected(seeded, tmp_path, "customers", latin, encoding="latin-1")
    assert "not UTF-8" in failure.errors[0].message and failure.errors[0].row == 2


def test_empty_file_and_header_only_file_are_rejected(org, tmp_path):
    assert "empty" in rejected(org, tmp_path, "units", "").errors[0].message
    assert (
        "no data rows" in rejected(org, tmp_path, "units", "external_id,name\n").errors[0].message
    )


def test_one_bad_row_among_many_good_ones_rolls_back_everything(seeded, tmp_path):
    rows = "".join(f"X{i},C1,E1,S1,phone,2026-03-0{1 + i % 9}T08:00:00Z,60\n" for i in range(7000))
    bad = INTERACTIONS + rows + "X-bad,C1,E1,S1,carrier-pigeon,2026-03-01T08:00:00Z,60\n"
    failure = rejected(seeded, tmp_path, "interactions", bad)
    assert [(e.row, e.column) for e in failure.errors] == [(7004, "channel")]
    assert Interaction.objects.filter(organization=seeded).count() == 2


def test_bad_amount_and_negative_duration(seeded, tmp_path):
    failure = rejected(
        seeded, tmp_path, "transactions", TRANSACTIONS + "T3,C1,,12.345,2026-03-01T09:45:00Z\n"
    )
    assert failure.errors[0].column == "amount" and "decimal places" in failure.errors[0].message
    failure = rejected(
        seeded,
        tmp_path,
        "interactions",
        INTERACTIONS + "I3,C1,E1,S1,phone,2026-03-01T09:30:00Z,-5\n",
    )
    assert failure.errors[0].column == "duration_s"


def test_unit_parents_may_come_after_children_but_must_exist(org, tmp_path):
    reordered = "external_id,name,parent_external_id\nS1,Store,N\nN,North,ROOT\nROOT,Root,\n"
    services.import_file(organization=org, kind="units", path=write(tmp_path, "u.csv", reordered))
    assert Unit.objects.get(organization=org, external_id="S1").depth == 2
    failure = rejected(org, tmp_path, "units", "external_id,name,parent_external_id\nX,X,GHOST\n")
    assert (failure.errors[0].row, failure.errors[0].column) == (2, "parent_external_id")


def test_cycles_in_the_unit_tree_are_rejected(org, tmp_path):
    failure = rejected(
        org, tmp_path, "units", "external_id,name,parent_external_id\nA,A,B\nB,B,A\n"
    )
    assert {e.row for e in failure.errors} == {2, 3}
    assert all("cycle" in e.message for e in failure.errors)


def test_xlsx_imports_like_csv(org, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["external_id", "name", "parent_external_id", "kind"])
    sheet.append(["ROOT", "Root", None, "organisation"])
    sheet.append([101, "Numeric id", "ROOT", "store"])
    path = tmp_path / "units.xlsx"
    workbook.save(path)
    report = services.import_file(organization=org, kind="units", path=path)
    assert report.created == 2
    assert Unit.objects.get(organization=org, external_id="101").parent.external_id == "ROOT"


def test_xlsx_dates_and_errors_carry_row_numbers(seeded, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["external_id", "unit_external_id", "hire_date"])
    sheet.append(["E7", "S1", dt.datetime(2020, 5, 1)])
    sheet.append(["E8", "S1", "not a date"])
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    failure = rejected(seeded, tmp_path, "employees", path.read_bytes(), name="people.xlsx")
    assert [(e.row, e.column) for e in failure.errors] == [(3, "hire_date")]


def test_a_file_that_is_not_a_workbook_is_rejected(org, tmp_path):
    failure = rejected(org, tmp_path, "units", b"plain text", name="units.xlsx")
    assert "not a valid .xlsx" in failure.errors[0].message


def test_unsupported_extension_is_rejected(org, tmp_path):
    failure = rejected(org, tmp_path, "units", "{}", name="units.json")
    assert "unsupported file type" in failure.errors[0].message
