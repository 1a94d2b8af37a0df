import pytest

from servicechain.cli import main
from servicechain.org.models import Unit
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_import_command_imports_and_reports(tmp_path, capsys):
    OrganizationFactory(slug="acme")
    path = tmp_path / "units.csv"
    path.write_text("external_id,name,parent_external_id\nR,Root,\nA,Area,R\n")
    assert main(["import", "units", str(path), "--org", "acme"]) == 0
    assert "imported 2 units rows (2 new, 0 updated)" in capsys.readouterr().out
    assert Unit.objects.get(external_id="A").parent.external_id == "R"


def test_import_command_exits_non_zero_with_row_errors(tmp_path, capsys):
    OrganizationFactory(slug="acme")
    path = tmp_path / "units.csv"
    path.write_text("external_id,name,parent_external_id\nR,Root,\nA,Area,NOPE\n")
    assert main(["import", "units", str(path), "--org", "acme"]) == 1
    err = capsys.readouterr().err
    assert "rejected with 1 error" in err and "row 3, column 'parent_external_id'" in err
    assert not Unit.objects.exists()


def test_import_dry_run_writes_nothing(tmp_path, capsys):
    OrganizationFactory(slug="acme")
    path = tmp_path / "units.csv"
    path.write_text("external_id,name\nR,Root\n")
    assert main(["import", "units", str(path), "--org", "acme", "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out
    assert not Unit.objects.exists()


def test_import_into_unknown_organisation_says_how_to_create_it(tmp_path, capsys):
    path = tmp_path / "units.csv"
    path.write_text("external_id,name\nR,Root\n")
    assert main(["import", "units", str(path), "--org", "ghost"]) == 2
    assert "create_organisation ghost" in capsys.readouterr().err
