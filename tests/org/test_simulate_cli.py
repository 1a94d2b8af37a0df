import json

from servicechain.cli import main


def test_simulate_writes_csvs_and_ground_truth(tmp_path, capsys):
    out = tmp_path / "org"
    assert (
        main(["simulate", "--units", "8", "--months", "3", "--seed", "3", "--out", str(out)]) == 0
    )
    for name in ("units", "employees", "customers", "interactions", "transactions"):
        assert (out / f"{name}.csv").stat().st_size > 0
    truth = json.loads((out / "ground_truth.json").read_text())
    assert truth["seed"] == 3
    assert "ground_truth.json" in capsys.readouterr().out
