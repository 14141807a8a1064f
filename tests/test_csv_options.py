"""Real tables for `deltagrad train --csv`: sniffed delimiters, --drop for id/name columns, a hint, --help named."""

import json

import pytest

from deltagrad.cli import main
from deltagrad.data import DataError, load_csv, sniff_delimiter

ROWS = [("1", "ann", "1.0", "2", "p"), ("2", "bob", "2.0", "1", "q"), ("3", "cy", "1.5", "2", "p"),
        ("4", "di", "2.5", "1", "q"), ("5", "ed", "1.1", "2", "p"), ("6", "flo", "2.2", "1", "q")]


def _table(tmp_path, sep: str):
    p = tmp_path / "people.csv"
    p.write_text(sep.join(("id", "name", "a", "b", "cls")) + "\n" + "\n".join(sep.join(r) for r in ROWS) + "\n")
    return p


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(tmp_path, sep):
    p = _table(tmp_path, sep)
    assert sniff_delimiter(p.read_text()) == sep
    d = load_csv(p, "cls", drop=["name"])
    assert d.feature_names == ["id", "a", "b"] and d.X[1] == [2.0, 2.0, 1.0] and d.y == [0, 1, 0, 1, 0, 1]


def test_a_text_column_gets_a_drop_hint_and_drop_checks_its_names(tmp_path):
    p = _table(tmp_path, ";")
    with pytest.raises(DataError, match=r"column 'name': 'ann' is not a finite number \(an id or name column\? "
                                         r"leave it out with --drop name\)"):
        load_csv(p, "cls")
    with pytest.raises(DataError, match="--drop nope: no such column"):
        load_csv(p, "cls", drop=["name", "nope"])
    with pytest.raises(DataError, match="that is the target column"):
        load_csv(p, "cls", drop=["cls"])
    q = tmp_path / "nan.csv"
    q.write_text("a,cls\nnan,p\n1,q\n")
    with pytest.raises(DataError) as e:  # a bad number is not a text column: no --drop hint
        load_csv(q, "cls")
    assert "--drop" not in str(e.value)


def test_train_drops_columns_and_points_unknown_options_to_its_help(tmp_path, capsys):
    p = _table(tmp_path, "\t")
    out = tmp_path / "o"
    args = ["train", "--csv", str(p), "--target", "cls", "--epochs", "1", "--out", str(out), "--quiet"]
    assert main(args) == 2 and "--drop name" in capsys.readouterr().err and not out.exists()
    assert main([*args, "--drop", "name", "--drop", "id"]) == 0
    assert json.loads((out / "metrics.json").read_text())["features"] == ["a", "b"]
    capsys.readouterr()
    assert main(["train", "--bogus"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "deltagrad: error: unrecognized arguments: --bogus (see 'deltagrad train --help')"
    assert main(["train", "--drop", "x"]) == 2 and "--drop only applies with --csv" in capsys.readouterr().err
