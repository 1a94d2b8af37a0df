"""Why someone left — leave type, reason, regretted loss — imported with the employees,
checked by one rule (import, model and admin alike), and in the person's own export."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from servicechain.org import services
from servicechain.org.imports import ImportFailed
from servicechain.org.models import Employee
from servicechain.org.selectors import personal_data
from tests.factories import EmployeeFactory, OrganizationFactory, make_unit

pytestmark = pytest.mark.django_db

UNITS = """external_id,name,parent_external_id,kind
ROOT,Northwind,,organisation
S1,Store One,ROOT,store
"""
HEADER = "external_id,unit_external_id,hire_date,leave_date,leave_type,leave_reason,regretted\n"


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def org(tmp_path):
    organization = OrganizationFactory(slug="northwind")
    services.import_file(
        organization=organization, kind="units", path=write(tmp_path, "units.csv", UNITS)
    )
    return organization


def import_employees(org, tmp_path, rows: str):
    path = write(tmp_path, "employees.csv", HEADER + rows)
    return services.import_file(organization=org, kind="employees", path=path)


def test_leave_type_reason_and_regretted_are_imported_with_the_employees(org, tmp_path):
    import_employees(
        org,
        tmp_path,
        "E1,S1,2021-03-01,2025-02-28,voluntary,pay,true\n"
        "E2,S1,2020-01-15,2025-05-31,involuntary,redundancy,\n"
        "E3,S1,2022-06-01,,,,\n"
        "E4,S1,2022-06-01,2025-01-10,,,\n",
    )
    people = {e.external_id: e for e in Employee.objects.filter(organization=org)}
    assert (people["E1"].leave_type, people["E1"].leave_reason, people["E1"].regretted) == (
        "voluntary",
        "pay",
        True,
    )
    assert (people["E2"].leave_type, people["E2"].leave_reason, people["E2"].regretted) == (
        "involuntary",
        "redundancy",
        None,
    )
    assert (people["E3"].leave_type, people["E3"].regretted) == ("", None)
    assert people["E4"].leave_date == dt.date(2025, 1, 10) and people["E4"].leave_type == ""


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("E1,S1,2021-03-01,,voluntary,,", "leave_type", "leave_date is empty"),
        ("E1,S1,2021-03-01,,,,false", "regretted", "leave_date is empty"),
        ("E1,S1,2021-03-01,2025-01-01,voluntary,redundancy,", "leave_reason", "involuntary"),
        ("E1,S1,2021-03-01,2025-01-01,involuntary,performance,yes", "regretted", "voluntary"),
        ("E1,S1,2021-03-01,2025-01-01,,pay,", "leave_type", "is empty"),
        ("E1,S1,2021-03-01,2025-01-01,resigned,,", "leave_type", "is not one of"),
        ("E1,S1,2021-03-01,2025-01-01,voluntary,boredom,", "leave_reason", "is not one of"),
        ("E1,S1,2021-03-01,2025-01-01,voluntary,pay,perhaps", "regretted", "yes/no"),
    ],
)
def test_a_bad_leave_row_names_its_row_and_column_and_nothing_is_imported(
    org, tmp_path, row, column, message
):
    with pytest.raises(ImportFailed) as failure:
        import_employees(org, tmp_path, "E0,S1,2020-01-01,,,,\n" + row + "\n")
    [error] = failure.value.errors
    assert (error.row, error.column) == (3, column)
    assert message in error.message
    assert not Employee.objects.filter(organization=org).exists()


def test_the_model_checks_the_same_rule():
    unit = make_unit(OrganizationFactory(), "Store")
    person = EmployeeFactory.build(
        unit=unit, leave_date=dt.date(2025, 1, 1), leave_type="involuntary", regretted=True
    )
    with pytest.raises(ValidationError) as error:
        person.full_clean()
    assert "voluntary leavers only" in str(error.value.message_dict["regretted"])


def test_a_person_sees_their_own_leave_reason_in_their_export():
    unit = make_unit(OrganizationFactory(), "Store")
    person = EmployeeFactory(
        unit=unit,
        leave_date=dt.date(2025, 3, 31),
        leave_type="voluntary",
        leave_reason="career",
        regretted=False,
    )
    record = personal_data(person)["employee"]
    assert (record["leave_type"], record["leave_reason"], record["regretted"]) == (
        "voluntary",
        "career",
        False,
    )
