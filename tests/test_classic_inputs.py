"""Reading the classic models' input tables: both forms, and every error message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lsr_sim.classic.inputs import COLUMNS, read_actor_table, split_issues
from lsr_sim.errors import InputError

EC_CSV = Path(__file__).resolve().parents[1] / "data" / "classic" / "bdm1994_ec_emissions.csv"
HEADER = "actor,capability,position,salience"


@pytest.fixture
def write_csv(tmp_path: Path):
    def write(text: str | bytes, name: str = "table.csv") -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


def test_the_shipped_ec_table() -> None:
    table = read_actor_table(EC_CSV)
    assert list(table.columns) == list(COLUMNS)
    assert table["actor"].tolist() == [
        "Netherlands", "Belgium", "Luxembourg", "Germany", "France",
        "Italy", "UK", "Ireland", "Denmark", "Greece",
    ]  # fmt: skip
    assert table["capability"].tolist() == [
        0.08,
        0.08,
        0.03,
        0.16,
        0.16,
        0.16,
        0.16,
        0.05,
        0.05,
        0.08,
    ]
    assert table["position"].tolist() == [4, 7, 4, 4, 10, 10, 10, 7, 4, 7]
    assert table["salience"].tolist() == [0.8, 0.4, 0.2, 0.8, 0.6, 0.6, 0.9, 0.1, 1.0, 0.7]
    assert table.attrs["source"] == str(EC_CSV)
    assert pd.api.types.is_float_dtype(table["capability"])


def test_headers_in_any_case_order_spacing_bom_blank_lines_extra_columns(write_csv) -> None:
    path = write_csv(
        "\ufeff Salience ,ACTOR,Position,capability,notes\n0.5, A ,0,1,first\n\n1,B,10,2.5e0,\n"
    )
    table = read_actor_table(path)
    assert list(table.columns) == list(COLUMNS)
    assert table.to_dict("list") == {
        "actor": ["A", "B"],
        "capability": [1.0, 2.5],
        "position": [0.0, 10.0],
        "salience": [0.5, 1.0],
    }


def test_long_form(write_csv) -> None:
    path = write_csv(
        "issue,actor,capability,position,salience\n"
        "budget,A,1,0,0.5\nbudget,B,2,10,1\nborder,A,1,3,0.2\nborder,B,2,5,0.9\n"
    )
    table = read_actor_table(path)
    assert list(table.columns) == ["issue", *COLUMNS]
    parts = split_issues(table)
    assert list(parts) == ["budget", "border"]
    assert parts["border"].to_dict("list") == {
        "actor": ["A", "B"],
        "capability": [1.0, 2.0],
        "position": [3.0, 5.0],
        "salience": [0.2, 0.9],
    }
    single = split_issues(read_actor_table(EC_CSV))
    assert list(single) == [""] and len(single[""]) == 10


def test_negative_positions_and_edge_values_are_fine(write_csv) -> None:
    table = read_actor_table(write_csv(f"{HEADER}\nA,0,-3.5,0\nB,1,+2,1\nC,.5,1.,1.0\n"))
    assert table["position"].tolist() == [-3.5, 2.0, 1.0]


def error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        read_actor_table(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "file is empty; expected a CSV table with the header " + HEADER),
        ("\n\n", "file is empty; expected a CSV table with the header " + HEADER),
        (HEADER + "\n", "has a header but no actors; add one row per actor under " + HEADER),
        (HEADER + "\n\n\n", "has a header but no actors; add one row per actor under " + HEADER),
        (
            "actor,capability,positon,salience\nA,1,2,.5\nB,1,2,.5\n",
            "position: column missing (did you mean 'positon'?); the header needs " + HEADER,
        ),
        (
            "actor,capability,position\nA,1,2\nB,1,2\n",
            "salience: column missing; the header needs " + HEADER,
        ),
        (
            "actor;capability;position;salience\nA;1;2;.5\n",
            "actor: column missing; the file seems to use ';' between fields: separate them "
            "with commas",
        ),
        (
            "actor,capability,position,salience,Position\nA,1,2,.5,1\nB,1,2,.5,1\n",
            "line 1, position: the column appears twice in the header; keep one",
        ),
        (
            HEADER + "\nA,1,2,.5\nB,high,2,.5\n",
            "line 3, capability: 'high' is not a number; write a decimal number such as 0.8",
        ),
        (
            HEADER + "\nA,1,2,.5\nB,1,2,80%\n",
            "line 3, salience: '80%' is not a number; write a decimal number such as 0.8",
        ),
        (
            HEADER + "\nA,1,inf,.5\nB,1,2,.5\n",
            "line 2, position: 'inf' is not a number; write a decimal number such as 0.8",
        ),
        (
            HEADER + "\nA,1,nan,.5\nB,1,2,.5\n",
            "line 2, position: 'nan' is not a number; write a decimal number such as 0.8",
        ),
        (HEADER + "\nA,1,2,.5\n\nB,1,,.5\n", "line 4, position: is empty; give a number"),
        (HEADER + "\nA,1,2,.5\nB,1,2\n", "line 3, salience: is empty; give a number"),
        (HEADER + "\n,1,2,.5\nB,1,2,.5\n", "line 2, actor: is empty; give the actor's name"),
        (
            HEADER + "\nA,1,2,.5\nB,1,2,.5,7\n",
            "is not a valid CSV table (Expected 4 fields in line 3, saw 5); give each row the "
            "header's columns",
        ),
        (
            HEADER + "\nA,-0.1,2,.5\nB,1,2,.5\n",
            "line 2, capability: -0.1 is negative; capability must be >= 0",
        ),
        (
            HEADER + "\nA,1,2,80\nB,1,2,.5\n",
            "line 2, salience: 80 is outside [0, 1]; give salience as a share (0.8 for 80)",
        ),
        (
            HEADER + "\nA,1,2,.5\nB,1,2,-0.2\n",
            "line 3, salience: -0.2 is outside [0, 1]; give salience as a share",
        ),
        (
            HEADER + "\nA,1,2,.5\nB,1,3,.5\n\nA,2,4,.1\n",
            "line 5, actor: 'A' appears again (first at line 2); give each actor one row",
        ),
        (
            HEADER + "\nA,1,2,.5\n",
            "has 1 actor; the classic models need at least 2 (one row each)",
        ),
        (
            HEADER + "\nA,0,2,.5\nB,1,3,0\n",
            "every actor has capability or salience 0; at least one actor needs both above 0 "
            "for the weighted forecasts",
        ),
    ],
)
def test_errors_one_issue(write_csv, text: str, expected: str) -> None:
    assert error(write_csv(text)) == expected


LONG = "issue,actor,capability,position,salience\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            LONG + "p,A,1,2,.5\np,B,1,2,.5\nq,A,1,2,.5\nq,A,1,3,.5\n",
            "line 5, actor: 'A' appears again on issue 'q' (first at line 4); give each actor "
            "one row per issue",
        ),
        (
            LONG + "p,A,1,2,.5\np,B,1,2,.5\np,C,1,2,.5\nq,A,1,2,.5\nq,B,1,2,.5\n",
            "issue 'q': actor 'C' has no row (it has one on issue 'p'); give every actor a row "
            "on every issue",
        ),
        (
            LONG + "p,A,1,2,.5\np,B,1,2,.5\nq,A,1,2,.5\n",
            "issue 'q': has 1 actor; the classic models need at least 2 (one row each)",
        ),
        (
            LONG + "p,A,1,2,.5\np,B,1,2,.5\nq,A,0,2,.5\nq,B,1,2,0\n",
            "issue 'q': every actor has capability or salience 0; at least one actor needs "
            "both above 0 for the weighted forecasts",
        ),
        (LONG + " ,A,1,2,.5\np,B,1,2,.5\n", "line 2, issue: is empty; give the issue's name"),
    ],
)
def test_errors_long_form(write_csv, text: str, expected: str) -> None:
    assert error(write_csv(text)) == expected


def test_errors_of_the_file_itself(tmp_path: Path, write_csv) -> None:
    assert error(tmp_path / "missing.csv") == "file not found; check the path"
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert error(folder) == "is a folder; expected a CSV file"
    binary = write_csv(b"actor,capability\n\xff\xfe\x00", "binary.csv")
    assert error(binary).startswith("cannot be read as UTF-8 text (invalid start byte at byte")


def test_the_error_is_an_input_error_with_its_parts(write_csv) -> None:
    path = write_csv(HEADER + "\nA,1,2,.5\nB,1,2,2\n")
    with pytest.raises(InputError) as info:
        read_actor_table(path)
    assert info.value.source == str(path)
    assert info.value.path == "line 3, salience"
    assert isinstance(info.value, ValueError)


def test_split_issues_keeps_each_issue_whole() -> None:
    long = pd.DataFrame({"issue": ["p", "p", "q", "q"], "actor": ["A", "B", "A", "B"],
                         "capability": [1.0] * 4, "position": [0.0, 1, 2, 3],
                         "salience": [0.5] * 4})  # fmt: skip
    parts = split_issues(long)
    assert {k: v["actor"].tolist() for k, v in parts.items()} == {"p": ["A", "B"], "q": ["A", "B"]}
    assert all("issue" not in part for part in parts.values())


def test_the_shipped_baseline_table_is_the_baseline_scenario() -> None:
    """data/classic/lsr_baseline_actors.csv is scenarios/baseline.yaml as the model compiles
    it (regenerate it with the command in data/classic/README.md when the scenario changes)."""
    from lsr_sim.model.compiled import compile_scenario
    from lsr_sim.scenario import load_scenario

    root = Path(__file__).resolve().parents[1]
    table = read_actor_table(root / "data" / "classic" / "lsr_baseline_actors.csv")
    c = compile_scenario(load_scenario(root / "scenarios" / "baseline.yaml"))
    assert list(dict.fromkeys(table["issue"])) == list(c.issues)
    assert list(dict.fromkeys(table["actor"])) == list(c.actors)
    for column, expected in (
        ("position", c.ideal),
        ("salience", np.clip(c.salience, 0.0, 1.0)),
        ("capability", np.repeat(c.capability[:, None], len(c.issues), axis=1)),
    ):
        wide = table.pivot(index="actor", columns="issue", values=column)
        wide = wide.reindex(index=list(c.actors), columns=list(c.issues))
        np.testing.assert_array_equal(wide.to_numpy(), expected)
