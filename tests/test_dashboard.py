"""The dashboard, in process: the scenarios it offers, uploads, the live run, what each panel
shows, the ensemble, the exports, the page, the Host/Origin guard and the command.

These pass even if a browser showed nothing; the real browser test, with the running server,
is ``tests/test_dashboard_browser.py``.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
import yaml
from cli_helpers import one_error, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from lsr_sim.cli import main
from lsr_sim.dashboard import views
from lsr_sim.dashboard.asgi import LoopbackGuard, allowed_hosts, allowed_origins
from lsr_sim.dashboard.ensemble import QUANTILES, outcomes, run_ensemble
from lsr_sim.dashboard.export import EXPORTS, export_bytes, export_filename, reproduce_command
from lsr_sim.dashboard.model import (
    Catalog,
    Knobs,
    LiveRun,
    apply_knobs,
    default_knobs,
    scenario_choices,
    scenario_from_upload,
    upload_name,
)
from lsr_sim.dashboard.server import (
    HOST,
    _stop_with_parent,
    check_port,
    server_env,
    solara_command,
)
from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.errors import InputError, ScenarioError
from lsr_sim.experiment import collect_tables, run_many
from lsr_sim.limits import MAX_FILE_BYTES
from lsr_sim.model import NegotiationModel
from lsr_sim.scenario import load_scenario, scenario_from_dict, scenario_hash

if TYPE_CHECKING:
    import ipywidgets as w

# Solara and its widgets take seconds to import: the tests of the page import them when they
# run, so that collecting the test suite stays quick.

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
VARIANTS = sorted((ROOT / "scenarios" / "variants").glob("*.yaml"))


@contextmanager
def no_disk_reads(what: str) -> Iterator[None]:
    """Fail if anything opens or reads a file in the block."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"{what} made the server read a file")

    with pytest.MonkeyPatch.context() as patch:
        for name in ("open", "read_bytes", "read_text"):
            patch.setattr(Path, name, refuse)
        patch.setattr("builtins.open", refuse)
        yield


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.from_path(BASELINE)


@pytest.fixture(scope="module")
def base(catalog: Catalog) -> Any:
    return catalog["baseline.yaml"]


# ------------------------------------------------------------------------------- scenarios


def test_the_catalog_is_the_scenario_then_its_variants(catalog: Catalog) -> None:
    assert list(catalog) == ["baseline.yaml", *(f"variants/{p.name}" for p in VARIANTS)]
    assert list(catalog) == list(scenario_choices(BASELINE))
    for label, path in scenario_choices(BASELINE).items():
        assert scenario_hash(catalog[label]) == scenario_hash(load_scenario(path))
    assert catalog.first == "baseline.yaml" and not catalog.left_out


@pytest.mark.parametrize(
    "label",
    ["/etc/passwd", "../baseline.yaml", "scenarios/baseline.yaml", str(BASELINE), "", None, 3],
)
def test_a_label_outside_the_catalog_is_refused_without_reading_anything(
    catalog: Catalog, label: Any
) -> None:
    with (
        no_disk_reads("a label from the page"),
        pytest.raises(InputError, match="is not one of this dashboard's scenarios"),
    ):
        catalog.scenario(label)


def test_a_variant_that_does_not_load_is_left_out_and_said_why(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"  # beside a copy of the baseline's observations
    (folder / "variants").mkdir(parents=True)
    shutil.copytree(BASELINE.parents[1] / "observations", tmp_path / "observations")
    base = folder / "base.yaml"
    base.write_text(BASELINE.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "variants" / "broken.yaml").write_text("name: [\n", encoding="utf-8")
    (folder / "variants" / "ok.yaml").write_text(
        "extends: ../base.yaml\nname: ok\n", encoding="utf-8"
    )
    catalog = Catalog.from_path(base)
    assert list(catalog) == ["base.yaml", "variants/ok.yaml"]
    assert catalog.left_out["variants/broken.yaml"].startswith(
        f"{folder / 'variants' / 'broken.yaml'}: YAML syntax error at line 2"
    )
    with pytest.raises(ScenarioError):
        Catalog.from_path(folder / "variants" / "broken.yaml")


# ------------------------------------------------------------------------------- uploads


@pytest.mark.parametrize("path", [BASELINE, *VARIANTS], ids=lambda p: p.name)
def test_an_uploaded_file_gives_the_scenario_the_file_gives(path: Path, catalog: Catalog) -> None:
    # The variants say `extends: ../baseline.yaml`: it names the catalog's baseline.
    # An upload's own calibration section is left out: it names files (its observations),
    # and the page reads nothing on disk; a run does not read it.
    uploaded = scenario_from_upload(path.read_bytes(), path.name, catalog)
    expected = load_scenario(path)
    if "calibration" in yaml.safe_load(path.read_text(encoding="utf-8")):
        expected = expected.model_copy(update={"calibration": None})
    assert scenario_hash(uploaded) == scenario_hash(expected)


BAD_UPLOADS = [
    b"name: [\n",
    b"",
    b"- a\n- list\n",
    b"name: a\nname: b\n",
    b"name: caf\xe9\n",
    b"extends: ../baseline.yaml\nrun: {steps: -3}\n",
    b"extends: ../baseline.yaml\nactors: {Riyadh: {capability: 0}}\n",
    b"extends: ../baseline.yaml\nrun: {stepz: 3}\n",
    b"extends: ../baseline.yaml\nevents: {x: {date: 2025-02-30, kind: k, description: d}}\n",
    b"name: x\n" + b"#" * MAX_FILE_BYTES,
]


@pytest.mark.parametrize("data", BAD_UPLOADS, ids=range(len(BAD_UPLOADS)))
def test_a_bad_upload_gets_the_line_the_cli_prints_for_that_file(
    data: bytes,
    catalog: Catalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The same bytes in a file of the same name, beside a copy of the baseline.
    (tmp_path / "scenarios" / "variants").mkdir(parents=True)
    (tmp_path / "scenarios" / "baseline.yaml").write_bytes(BASELINE.read_bytes())
    shutil.copytree(BASELINE.parents[1] / "observations", tmp_path / "observations")
    (tmp_path / "scenarios" / "variants" / "mine.yaml").write_bytes(data)
    monkeypatch.chdir(tmp_path / "scenarios" / "variants")
    code, _, err = run_cli(capsys, "validate", "mine.yaml")
    assert code == 2
    with pytest.raises(ScenarioError) as upload:
        scenario_from_upload(data, "mine.yaml", catalog)
    assert f"error: {upload.value}" == f"error: {one_error(err)}"


@pytest.mark.parametrize(
    "target", ["/etc/passwd", "../../../../etc/hosts", "missing.yaml", "~/.ssh/id_rsa"]
)
def test_an_upload_extends_only_the_catalog_and_reads_nothing_on_disk(
    target: str, catalog: Catalog
) -> None:
    data = f"extends: {target}\nname: x\n".encode()
    with no_disk_reads("an upload"), pytest.raises(ScenarioError) as exc:
        scenario_from_upload(data, "evil.yaml", catalog)
    message = str(exc.value)
    assert message.startswith("evil.yaml: extends: ") and "baseline.yaml" in message
    assert len(message.splitlines()) == 1


def test_an_upload_is_named_by_its_last_part_only() -> None:
    assert upload_name("../../etc/passwd") == "passwd"
    assert upload_name("C:\\Users\\me\\a.yaml") == "a.yaml"
    assert upload_name("a\x00\x1b[31m.yaml") == "a[31m.yaml"
    assert len(upload_name("x" * 500)) == 80


# ------------------------------------------------------------------------------- knobs


def test_knobs_map_onto_the_scenario(base: Any) -> None:
    assert default_knobs(base) == Knobs(mediation=0.7, veto_strength=1.9, trust_memory=0.94)
    new = apply_knobs(base, Knobs(mediation=0.25, veto_strength=2.5, trust_memory=0.9))
    assert new.actors["Riyadh"].capability == 0.25  # the mediator
    assert (new.dynamics.veto_strength, new.dynamics.trust_memory) == (2.5, 0.9)
    assert base.actors["Riyadh"].capability == 0.7  # the original is untouched
    assert new.actors["Hezbollah"] == base.actors["Hezbollah"]
    assert new.events == base.events and new.network == base.network


def test_knobs_refuse_bad_values_and_say_what_changed(base: Any) -> None:
    assert Knobs(0.30000000000000004, 1.5, 0.94).mediation == 0.3  # slider float noise
    for bad in ({"seed": -1}, {"seed": 1.5}, {"mediation": float("inf")}, {"mediation": "x"}):
        with pytest.raises(InputError):
            Knobs(**{"mediation": 0.7, "veto_strength": 1.5, "trust_memory": 0.94, **bad})
    with pytest.raises(ScenarioError, match=r"actors\.Riyadh\.capability"):
        apply_knobs(base, Knobs(mediation=0.0, veto_strength=1.0, trust_memory=0.94))
    old, new = Knobs(0.7, 1.5, 0.94), Knobs(0.3, 1.5, 0.9, seed=4)
    assert old.changes(new) == ["mediation 0.7 → 0.3", "trust_memory 0.94 → 0.9", "seed 0 → 4"]
    assert old.changes(old) == []
    assert (old.seed_for(base), new.seed_for(base)) == (20241208, 4)


# ------------------------------------------------------------------------------- the live run


@settings(max_examples=25, deadline=None)
@given(chunks=st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=8))
def test_a_run_stops_exactly_at_its_last_step(chunks: list[int]) -> None:
    data = load_scenario(BASELINE).model_dump(mode="json", by_alias=True)
    data["run"]["steps"], data["events"] = 9, {}  # nine weeks, none of the dated events
    data.pop("calibration", None)
    short = scenario_from_dict(data, "short")
    live = LiveRun("short", short, default_knobs(short))
    total = 0
    for chunk in chunks:
        done = live.advance(chunk)
        assert done == min(chunk, 9 - total)
        total += done
        assert live.week == total <= 9
    assert live.finished == (total == 9)
    assert live.advance(1000) == 9 - total and live.week == 9 and live.finished
    assert live.advance(1) == 0 and live.model.steps == 9


def test_the_live_run_is_the_library_s_run(base: Any) -> None:
    knobs = Knobs(0.4, 2.0, 0.02, seed=5)
    live = LiveRun("baseline.yaml", base, knobs)
    plain = NegotiationModel(apply_knobs(base, knobs), rng=5)
    live.advance(25)
    for _ in range(25):
        plain.step()
    np.testing.assert_array_equal(live.model.trust, plain.trust)
    assert live.model.event_log == plain.event_log
    assert live.date == plain.date and live.seed == 5
    assert live.tables().trust.equals(collect_tables(plain, seed=5, steps=25).trust)


# ------------------------------------------------------------------------------- panels


@pytest.fixture(scope="module")
def played(base: Any) -> LiveRun:
    live = LiveRun("baseline.yaml", base, default_knobs(base))
    live.advance(60)
    return live


def test_the_view_holds_what_the_tables_hold(played: LiveRun) -> None:
    view = views.RunView.of(played.model)
    tables = played.tables()
    assert view.week == 60 and len(view.dates()) == 61
    for (a, b), rows in tables.trust.groupby(["truster", "trustee"]):
        np.testing.assert_array_equal(view.trust_of(a, b), rows.sort_values("step")["trust"])
    status = tables.issues.pivot(index="step", columns="issue", values="status")
    names = np.array(STATUS_NAMES)[view.status]
    for k, issue in enumerate(view.issues):
        assert list(names[:, k]) == list(status[issue])
    assert [e["event"] for e in view.events] == list(tables.events["event"])
    dates = pd.to_datetime(view.dates(), unit="ms")
    assert list(dates) == list(tables.trust.drop_duplicates("step")["date"])


def test_rewind_shows_what_the_run_showed_at_that_week(base: Any, played: LiveRun) -> None:
    again = LiveRun("baseline.yaml", base, default_knobs(base))
    again.advance(23)
    then = views.RunView.of(again.model)
    rewound = views.RunView.of(played.model).at(23)
    for draw in (views.network_option, views.trust_option, views.issues_option):
        assert draw(rewound) == draw(then), draw.__name__
    assert views.status_html(rewound, "k") == views.status_html(then, "k")
    assert views.events_html(rewound) == views.events_html(then)


def test_options_are_plain_json_and_the_layout_never_moves(played: LiveRun) -> None:
    view = views.RunView.of(played.model)
    for draw in (
        views.network_option,
        views.trust_option,
        views.issues_option,
        views.quantities_option,
    ):
        option = draw(view)
        assert json.loads(json.dumps(option)) == option, draw.__name__
    nodes = [(n["name"], n["x"], n["y"]) for n in views.network_option(view)["series"][0]["data"]]
    early = views.network_option(view.at(1))["series"][0]["data"]
    assert nodes == [(n["name"], n["x"], n["y"]) for n in early]
    # Capability is the node size: Riyadh (0.7) is drawn larger than Beirut (0.45).
    size = {n["name"]: n["symbolSize"] for n in views.network_option(view)["series"][0]["data"]}
    assert size["Riyadh"] > size["Beirut"]


def test_edges_are_as_wide_and_coloured_as_their_trust(played: LiveRun) -> None:
    view = views.RunView.of(played.model)
    links = views.network_option(view)["series"][0]["links"]
    arrows = {(x["source"], x["target"]): x for x in links if x["symbol"][1] == "arrow"}
    n = len(view.actors)
    assert len(arrows) == n * (n - 1)
    t = float(view.trust_of("Beirut", "Damascus")[-1])
    edge = arrows[("Beirut", "Damascus")]
    assert edge["value"] == round(t, 3)
    assert edge["lineStyle"]["width"] == round(0.5 + 4.5 * t, 2)
    dashed = [x for x in links if x["symbol"][1] == "none"]
    assert {x["lineStyle"]["type"] for x in dashed} == {"dashed"}
    network = load_scenario(BASELINE).network
    pairs = {
        (kind, frozenset((a, b)))
        for kind, sources in network.items()
        for a, targets in sources.items()
        for b, weight in targets.items()
        if weight > 0
    }
    assert len(dashed) == len(pairs)  # one per pair and link type in the baseline's network


def test_issue_lanes_follow_the_status_week_by_week(played: LiveRun) -> None:
    # A hand-made history: one issue open for 2 weeks, on the table for 2, agreed for 1.
    view = views.RunView.of(played.model).at(4)
    status = np.zeros((5, len(view.issues)), dtype=int)
    status[:, 0] = [0, 0, 1, 1, 2]
    option = views.issues_option(replace(view, status=status, events=()))
    day = 86_400_000
    start = view.dates()[0]
    lanes = [
        (s["name"], s["data"]) for s in option["series"] if s.get("yAxisIndex") == 0 and s["data"]
    ]
    first = [(name, data) for name, data in lanes if data[0][1] == 0]
    assert first == [
        ("open", [[start, 0], [start + 14 * day, 0]]),
        ("on_table", [[start + 14 * day, 0], [start + 28 * day, 0]]),
        ("agreed", [[start + 28 * day, 0], [start + 35 * day, 0]]),
    ]
    assert option["yAxis"][0]["data"] == list(view.issues)


def test_text_panels_escape_and_show_the_latest_events_first(played: LiveRun) -> None:
    view = views.RunView.of(played.model)
    events = [dict(e) for e in view.events]
    events[-1]["description"] = "<script>alert(1)</script>"
    html = views.events_html(replace(view, events=tuple(events)), count=3)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<li>") == 3
    assert html.index(str(events[-1]["event"])) < html.index(str(events[-2]["event"]))
    status = views.status_html(view, "<b>knobs</b>")
    assert "&lt;b&gt;knobs" in status and "370 prisoners" in status
    assert f"rapprochement index <b>{view.rapprochement[-1]:.2f}</b>" in status
    assert views.events_html(view.at(0)) == (
        "<p class='lsr-no-events' style='margin: 0'>No events yet.</p>"
    )


def test_compare_aligns_the_runs_on_one_date_axis(base: Any, catalog: Catalog) -> None:
    runs = []
    for label in ("baseline.yaml", "variants/riyadh_steps_back.yaml"):
        live = LiveRun(label, catalog[label], default_knobs(catalog[label]))
        live.advance(live.total)
        runs.append((label, views.RunView.of(live.model)))
    option, height = views.compare_option(runs)
    spans = {(x["min"], x["max"]) for x in option["xAxis"]}
    assert len(spans) == 1  # every panel on the same dates
    # Two trust panels (Beirut → Damascus, Damascus → Beirut), then one lane panel per run.
    assert len(option["grid"]) == 2 + 2 and height > 600
    trust = [s for s in option["series"] if s.get("xAxisIndex") == 0]
    assert [s["name"] for s in trust] == ["baseline.yaml", "variants/riyadh_steps_back.yaml"]
    assert trust[0]["data"] != trust[1]["data"]  # the variant changes the run


# ------------------------------------------------------------------------------- ensemble


def test_the_ensemble_s_outcomes_are_the_live_run_s_for_its_seed(base: Any) -> None:
    live = LiveRun("baseline.yaml", base, default_knobs(base))
    live.advance(live.total)
    mine = outcomes(live.history(), live.scenario)
    ensemble = run_many(live.scenario, [live.seed], live.total, history=True)
    assert ensemble.history is not None and list(ensemble.summary["engine"]) == ["batch"]
    theirs = outcomes(ensemble.history, live.scenario)
    assert list(mine) == [
        "rapprochement index",
        "mean trust",
        "trust Beirut → Damascus",
        "trust Damascus → Beirut",
        "issues agreed or beyond",
    ]
    for label in mine:
        np.testing.assert_allclose(mine[label], theirs[label], atol=1e-12, err_msg=label)
    settled = int(mine["issues agreed or beyond"][0, -1])
    status = live.model.status
    assert settled == int(np.isin(status, (2, 3, 4)).sum())


def test_the_ensemble_bands_are_ordered_quantiles(base: Any) -> None:
    ensemble = run_ensemble(base, seed=7, runs=40)
    assert ensemble.engine == "batch" and ensemble.runs == 40 and ensemble.note == ""
    for label, q in ensemble.bands.items():
        assert q.shape == (len(QUANTILES), base.run.steps + 1), label
        assert np.all(np.diff(q, axis=0) >= -1e-12), label
    again = run_ensemble(base, seed=7, runs=40)
    for label in ensemble.bands:
        np.testing.assert_array_equal(ensemble.bands[label], again.bands[label])
    dates = list(range(base.run.steps + 1))
    option, _ = views.fan_option(dates, ensemble.bands, {}, 40)
    assert json.loads(json.dumps(option)) == option


# ------------------------------------------------------------------------------- exports


def test_an_export_reproduces_with_the_command_it_gives(
    played: LiveRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = played.tables()
    everything = zipfile.ZipFile(io.BytesIO(export_bytes(result, "all")))
    names = set(everything.namelist())
    assert {"manifest.json", "scenario.yaml", "tables/trust.csv", "figures/trust.svg"} <= names
    assert "figures/trust.png" in names
    everything.extractall(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    command = reproduce_command(result)
    assert manifest["command"] == command and manifest["seed"] == played.seed
    assert command[2:7] == ["scenario.yaml", "--seed", str(played.seed), "--steps", "60"]
    monkeypatch.chdir(tmp_path)
    code, _, _ = run_cli(capsys, *command[1:-1], "again")
    assert code == 0
    for table in ("trust", "issues", "events", "deals", "quantities", "summary"):
        assert (tmp_path / "again" / "tables" / f"{table}.csv").read_bytes() == (
            tmp_path / "tables" / f"{table}.csv"
        ).read_bytes(), table


def test_each_export_is_what_it_says(played: LiveRun) -> None:
    result = played.tables()
    tables = zipfile.ZipFile(io.BytesIO(export_bytes(result, "tables"))).namelist()
    assert sorted(tables) == sorted(
        f"tables/{n}.csv" for n in ("trust", "issues", "quantities", "events", "deals", "summary")
    )
    for fmt in ("png", "svg"):
        files = zipfile.ZipFile(io.BytesIO(export_bytes(result, f"figures-{fmt}"))).namelist()
        assert files and all(f.endswith(f".{fmt}") for f in files), files
    text = export_bytes(result, "scenario").decode()
    assert "capability: 0.7" in text and "extends" not in text
    assert json.loads(export_bytes(result, "manifest"))["steps"] == 60
    assert export_bytes(result, "tables") == export_bytes(result, "tables")  # reproducible
    assert export_filename(result, "all") == f"baseline-week60-seed{played.seed}-export.zip"
    assert set(EXPORTS) == {"tables", "figures-png", "figures-svg", "scenario", "manifest", "all"}
    with pytest.raises(KeyError):
        export_bytes(result, "../../etc/passwd")


# ------------------------------------------------------------------------------- the page


def _widgets(root: w.Widget) -> Iterator[w.Widget]:
    """Every widget under `root`."""
    import ipywidgets as w

    yield root
    for name in ("children", "items"):
        kids = getattr(root, name, None)
        if isinstance(kids, list | tuple):
            for kid in kids:
                if isinstance(kid, w.Widget):
                    yield from _widgets(kid)


def _button(root: w.Widget, label: str) -> Any:
    import ipyvuetify as v

    (button,) = [x for x in _widgets(root) if isinstance(x, v.Btn) and x.children == [label]]
    return button


@pytest.fixture()
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[w.Widget, Any]]:
    import solara

    from lsr_sim.dashboard import app

    monkeypatch.setenv("LSR_SIM_DASHBOARD_SCENARIO", str(BASELINE))
    sessions: list[Any] = []
    real = app.Session

    def remember(catalog: Catalog) -> Any:
        sessions.append(real(catalog))
        return sessions[-1]

    monkeypatch.setattr(app, "Session", remember)
    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    try:
        yield box, sessions[0]
    finally:
        rc.close()


def test_page_steps_to_the_end_says_finished_and_resets_keeping_the_settings(
    page: tuple[w.Widget, Any],
) -> None:
    import ipyvuetify as v

    box, session = page
    assert session.date.value == "2024-12-08"
    assert session.step.value.startswith("week 0 of 160")
    _button(box, "Step").click()
    assert session.step.value.startswith("week 1 of 160") and session.frames >= 2
    slider = [x for x in _widgets(box) if isinstance(x, v.Slider) and "Seed" in str(x.label)]
    slider[0].v_model = 9
    assert any(
        "Press Reset to apply: seed 0 → 9" in str(getattr(x, "children", "")) for x in _widgets(box)
    )
    _button(box, "End").click()
    assert session.live.week == 160 and session.step.value.startswith("week 160 of 160")
    text = " ".join(str(getattr(x, "children", "")) for x in _widgets(box))
    assert "Run finished: week 160 of 160 (2028-01-02)" in text
    assert _button(box, "Step").disabled and _button(box, "▶ Play").disabled
    _button(box, "Reset").click()
    assert session.live.week == 0 and session.live.seed == 9  # the edited seed is kept
    assert not _button(box, "Step").disabled
    text = " ".join(str(getattr(x, "children", "")) for x in _widgets(box))
    for leftover in ("Page 0", "Time:", "Use Threads", "Render Interval"):
        assert leftover not in text


def _classes(root: w.Widget) -> set[str]:
    found: set[str] = set()
    for x in _widgets(root):
        found |= set((getattr(x, "class_", None) or "").split())
        found |= set(getattr(x, "_dom_classes", ()))
        found |= set(((getattr(x, "attributes", None) or {}).get("class") or "").split())
    return found


def test_every_tab_renders(page: tuple[w.Widget, Any]) -> None:
    import ipyvuetify as v

    box, _ = page
    (tabs,) = [x for x in _widgets(box) if isinstance(x, v.Tabs)]
    expected = {
        1: "lsr-compare-card",
        2: "lsr-ensemble-card",
        3: "lsr-export-command",
        4: "lsr-upload",
        0: "lsr-status",
    }
    for index, name in expected.items():
        tabs.v_model = index
        assert name in _classes(box), name


def test_rewind_does_not_run_the_model(page: tuple[w.Widget, Any]) -> None:
    _, session = page
    session.advance(12)
    trust = session.charts["trust"].option
    session.rewind.v_model = 4  # what dragging the slider does
    assert session.live.week == 12 and session.view_week == 4
    assert session.date.value == "2025-01-05" and "rewound" in session.step.value
    assert session.charts["trust"].option != trust
    session.rewind.v_model = 12
    assert session.view_week is None and session.charts["trust"].option == trust


# ------------------------------------------------------------------------------- the guard


def _scope(kind: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": kind,
        "path": "/jupyter/api/kernels/x/channels",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }


def _through_guard(scope: dict[str, Any]) -> tuple[bool, list[dict[str, Any]]]:
    reached: list[bool] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    asyncio.run(LoopbackGuard(app, 8765)(scope, receive, send))
    return bool(reached), sent


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST:8765"]
)
def test_the_guard_lets_the_page_through(host: str) -> None:
    origin = f"http://{host.lower()}"
    assert _through_guard(_scope("http", {"host": host}))[0]
    assert _through_guard(_scope("websocket", {"host": host, "origin": origin}))[0]
    assert _through_guard(_scope("lifespan", {}))[0]


@pytest.mark.parametrize(
    ("kind", "headers"),
    [
        ("http", {"host": "evil.example"}),
        ("http", {"host": "evil.example:8765"}),
        ("http", {"host": "127.0.0.1:9999"}),
        ("http", {"host": "127.0.0.1"}),
        ("http", {}),
        ("http", {"host": "127.0.0.1:8765", "origin": "http://evil.example"}),
        ("websocket", {"host": "127.0.0.1:8765", "origin": "http://evil.example"}),
        ("websocket", {"host": "127.0.0.1:8765", "origin": "null"}),
        ("websocket", {"host": "127.0.0.1:8765"}),
        ("websocket", {"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:9999"}),
        ("websocket", {"host": "rebound.example:8765", "origin": "http://rebound.example:8765"}),
    ],
)
def test_the_guard_refuses_foreign_hosts_and_origins(kind: str, headers: dict[str, str]) -> None:
    reached, sent = _through_guard(_scope(kind, headers))
    assert not reached
    if kind == "http":
        assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 403
    else:
        assert [m["type"] for m in sent] == ["websocket.close"]  # before accept: HTTP 403


def test_allowed_names_are_the_loopback_ones_with_the_port() -> None:
    assert allowed_hosts(8800) == {"127.0.0.1:8800", "localhost:8800", "[::1]:8800"}
    assert allowed_origins(8800) == {
        "http://127.0.0.1:8800",
        "http://localhost:8800",
        "http://[::1]:8800",
    }


# ------------------------------------------------------------------------------- command and server


def test_cli_dashboard_refuses_a_missing_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "missing.yaml"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: missing.yaml: file not found; check the path"


def test_cli_dashboard_refuses_a_bad_scenario_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASELINE}\nrun: {{steps: -3}}\n", encoding="utf-8")
    assert main(["dashboard", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}: run.steps") and len(err.strip().splitlines()) == 1


def test_cli_dashboard_refuses_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dashboard", str(BASELINE), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: command line: --port: cannot listen on 127.0.0.1:{port}")
    assert main(["dashboard", "--port", "0"]) == 2  # argparse: must be > 0
    with pytest.raises(InputError, match="--port"):
        check_port(70000)


def test_server_command_binds_loopback_only() -> None:
    command = solara_command(8765)
    assert command == [sys.executable, "-m", "lsr_sim.dashboard.asgi", "--port", "8765"]
    from lsr_sim.dashboard.asgi import main as serve_main

    assert "HOST" in serve_main.__code__.co_names  # uvicorn gets server.HOST, 127.0.0.1
    assert HOST == "127.0.0.1"
    env = server_env(BASELINE, base={"PYTHONWARNINGS": "default"})
    assert env["LSR_SIM_DASHBOARD_SCENARIO"] == str(BASELINE)
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["PYTHONWARNINGS"].startswith("default,")


# A stand-in for the server: listens on 127.0.0.1 until SIGTERM, like uvicorn.
_FAKE_SERVER = """
import signal, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
signal.pause()
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _start_dashboard(port: int) -> subprocess.Popen[str]:
    """`serve` (what ``lsr-sim dashboard`` runs) with `_FAKE_SERVER` for the server, in a
    session of its own, once it has printed that the dashboard is ready."""
    fake = [sys.executable, "-c", _FAKE_SERVER, str(port)]
    code = (
        "import sys; from lsr_sim.dashboard.server import serve; "
        f"sys.exit(serve({str(BASELINE)!r}, {port}, command={fake!r}))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert (
            lines[1].strip() == f"dashboard ready: open http://127.0.0.1:{port} (Ctrl-C stops it)"
        )
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return process


def _port_freed(port: int, timeout: float) -> bool:
    """Wait up to `timeout` seconds for nothing to listen on `port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            check_port(port)
            return True
        except InputError:
            time.sleep(0.2)
    return False


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_ctrl_c_stops_the_server_cleanly(how: str) -> None:
    port = _free_port()
    process = _start_dashboard(port)
    try:
        if how == "ctrl-c":  # a terminal sends SIGINT to its foreground process group
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.terminate()
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0
    assert out.strip() == "dashboard stopped", out
    assert _port_freed(port, timeout=10), f"port {port} still in use: the child was left running"


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """State, parent pid and start time of process `pid` from /proc; None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after "pid (comm)": comm may hold anything
    return fields[0], int(fields[1]), int(fields[19])


def _children(pid: int) -> list[tuple[int, int]]:
    """(pid, start time) of each live child of `pid`, scanning /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            state, parent, start = stat
            if parent == pid and state != "Z":
                found.append((int(entry.name), start))
    return found


def _running(pid: int, start: int) -> bool:
    """Whether process `pid`, started at `start`, still runs (a zombie has stopped)."""
    stat = _proc_stat(pid)
    return stat is not None and stat[2] == start and stat[0] != "Z"


_LINUX_ONLY = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="needs Linux's prctl(PR_SET_PDEATHSIG); elsewhere the server outlives a SIGKILL",
)


@_LINUX_ONLY
def test_killing_the_command_outright_stops_the_server() -> None:
    port = _free_port()
    process = _start_dashboard(port)
    child: int | None = None
    start = 0
    try:
        (child, start), *others = _children(process.pid)
        assert not others, others
        os.kill(process.pid, signal.SIGKILL)  # no signal handler of serve() can run
        process.wait(timeout=10)
        deadline = time.monotonic() + 30
        while _running(child, start) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _running(child, start), "the server's child outlived `lsr-sim dashboard`"
        assert _port_freed(port, timeout=10), f"port {port} still in use"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if child is not None and _running(child, start):  # without the fix: the orphan
            os.killpg(child, signal.SIGKILL)  # it leads a process group of its own
        assert process.stdout is not None
        process.stdout.close()


@_LINUX_ONLY
def test_the_server_does_not_start_when_its_parent_is_already_gone() -> None:
    show = (
        "import ctypes; sig = ctypes.c_int(-1); "
        "ctypes.CDLL(None).prctl(2, ctypes.byref(sig)); print(sig.value)"
    )
    done = subprocess.run(
        _stop_with_parent([sys.executable, "-c", show]), capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, f"{int(signal.SIGTERM)}\n"), done.stderr
    gone = _stop_with_parent([sys.executable, "-c", show], parent=os.getppid())
    done = subprocess.run(gone, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (-signal.SIGTERM, ""), done.stderr


def test_importing_builds_nothing_and_the_cli_does_not_import_solara() -> None:
    code = (
        "import sys, lsr_sim.cli, lsr_sim.dashboard.server, lsr_sim.dashboard.model\n"
        "import lsr_sim.dashboard.views, lsr_sim.dashboard.export, lsr_sim.dashboard.ensemble\n"
        "assert not {'solara', 'mesa'} & set(sys.modules), 'lsr-sim --help would be slow'\n"
        "import lsr_sim.dashboard.app  # must not read the (missing) scenario on import\n"
    )
    env = {**os.environ, "LSR_SIM_DASHBOARD_SCENARIO": "no/such/file.yaml"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
