"""Tests for lsr_sim.plotting, on small synthetic run tables."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from lsr_sim import plotting

ACTORS = ["Lebanon", "Syria", "Saudi"]
ISSUES = ["border", "detainees"]
START = pd.Timestamp("2024-12-08")
N_STEPS = 10
DATES = pd.date_range(START, periods=N_STEPS, freq="7D")
STATUSES = ["open", "open", "on_table", "on_table", "agreed"] + ["implementing"] * 5


def _trust_value(step: int, truster: str, trustee: str) -> float:
    # Distinct, deterministic values per pair that rise over time and stay in [0, 1].
    base = 0.1 + 0.1 * (ACTORS.index(truster) * 2 + ACTORS.index(trustee))
    return min(1.0, base + 0.03 * step)


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    trust = pd.DataFrame(
        [
            {
                "step": step,
                "date": DATES[step],
                "truster": a,
                "trustee": b,
                "trust": _trust_value(step, a, b),
            }
            for step in range(N_STEPS)
            for a, b in itertools.permutations(ACTORS, 2)
        ]
    )
    issues = pd.DataFrame(
        [
            {
                "step": step,
                "date": DATES[step],
                "issue": issue,
                "status": STATUSES[step] if issue == "border" else "open",
                "position": 0.5,
                "progress": max(0.0, (step - 5) * 0.2) if issue == "border" else 0.0,
            }
            for step in range(N_STEPS)
            for issue in ISSUES
        ]
    )
    events = pd.DataFrame(
        {
            "step": [2, 4, 4, 6],
            "date": [DATES[2], DATES[4], DATES[4], DATES[6]],
            "event": ["jeddah_talks", "joint_statement", "border_committee", "shelling"],
            "kind": ["meeting", "statement", "meeting", "incident"],
            "origin": ["scheduled", "scheduled", "scheduled", "incident"],
            "description": ["talks", "statement", "committee", "cross-border shelling"],
            "actors": ["Lebanon,Syria,Saudi", "Lebanon,Syria", "Lebanon,Syria", "Syria"],
            "issues": ["border", "", "border", "border"],
        }
    )
    quantities = pd.DataFrame(
        [
            {
                "step": step,
                "date": DATES[step],
                "issue": "detainees",
                "quantity": "transferred",
                "unit": "persons",
                "total": 300.0,
                "delivered": 30.0 * step,
            }
            for step in range(N_STEPS)
        ]
    )
    links = pd.DataFrame(
        {
            "source": ["Lebanon", "Saudi"],
            "target": ["Syria", "Lebanon"],
            "type": ["channel", "patronage"],
            "weight": [1.0, 0.5],
        }
    )
    actors = pd.DataFrame(
        {
            "name": ACTORS,
            "role": ["principal", "principal", "mediator"],
            "capability": [0.6, 0.8, 1.0],
        }
    )
    return {
        "trust": trust,
        "issues": issues,
        "events": events,
        "quantities": quantities,
        "links": links,
        "actors": actors,
    }


def _data_lines(ax: Axes) -> list:
    """Lines with a legend label, i.e. data series rather than event markers."""
    return [line for line in ax.lines if not line.get_label().startswith("_")]


def _x_dates(line) -> list[pd.Timestamp]:
    nums = np.asarray(line.get_xdata(orig=False), dtype=float)
    return [pd.Timestamp(d).tz_localize(None) for d in mdates.num2date(nums)]


def _trust_edges(ax: Axes) -> dict[str, FancyArrowPatch]:
    return {
        p.get_gid().removeprefix("trust:"): p
        for p in ax.patches
        if isinstance(p, FancyArrowPatch) and (p.get_gid() or "").startswith("trust:")
    }


def _is_date_axis(ax: Axes) -> bool:
    return isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter) and (
        ax.xaxis.get_converter() is not None
    )


# --------------------------------------------------------------------------- plot_trust


def test_trust_one_line_per_pair_with_dates(tables):
    ax = plotting.plot_trust(tables["trust"])
    lines = _data_lines(ax)
    assert len(lines) == 6
    labels = {line.get_label() for line in lines}
    assert labels == {f"{a} → {b}" for a, b in itertools.permutations(ACTORS, 2)}
    assert _x_dates(lines[0]) == list(DATES)
    assert _is_date_axis(ax)
    assert ax.get_ylim() == (0.0, 1.0)
    # Colours differ between pairs.
    assert len({tuple(line.get_color()) for line in lines}) == 6


def test_trust_line_values_match_table(tables):
    ax = plotting.plot_trust(tables["trust"], pairs=[("Syria", "Saudi")])
    (line,) = _data_lines(ax)
    expected = [_trust_value(s, "Syria", "Saudi") for s in range(N_STEPS)]
    np.testing.assert_allclose(line.get_ydata(), expected)


def test_trust_pairs_restriction_keeps_order(tables):
    pairs = [("Syria", "Lebanon"), ("Lebanon", "Syria")]
    ax = plotting.plot_trust(tables["trust"], pairs=pairs)
    assert [line.get_label() for line in _data_lines(ax)] == [
        "Syria → Lebanon",
        "Lebanon → Syria",
    ]


def test_trust_unknown_pair_raises_naming_it(tables):
    with pytest.raises(ValueError, match=r"Lebanon → Iran") as info:
        plotting.plot_trust(tables["trust"], pairs=[("Lebanon", "Iran")])
    assert "valid pairs" in str(info.value)
    assert "Syria → Saudi" in str(info.value)


def test_trust_marks_scheduled_events_only(tables):
    ax = plotting.plot_trust(tables["trust"], events=tables["events"])
    assert len(_data_lines(ax)) == 6
    event_lines = [line for line in ax.lines if line.get_label() == "_scheduled event"]
    # Two scheduled events share a date, and the incident is not marked.
    assert sorted(_x_dates(line)[0] for line in event_lines) == [DATES[2], DATES[4]]
    assert "scheduled event" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_trust_uses_given_ax(tables):
    fig = Figure()
    ax = fig.subplots()
    assert plotting.plot_trust(tables["trust"], ax=ax) is ax


def test_trust_legend_for_twenty_pairs():
    actors = [f"A{i}" for i in range(5)]
    trust = pd.DataFrame(
        [
            {"step": s, "date": DATES[s], "truster": a, "trustee": b, "trust": 0.5}
            for s in range(3)
            for a, b in itertools.permutations(actors, 2)
        ]
    )
    ax = plotting.plot_trust(trust)
    lines = _data_lines(ax)
    assert len(lines) == 20
    assert len({tuple(line.get_color()) for line in lines}) == 20
    assert ax.get_legend()._ncols == 2


def test_missing_column_error_names_table_and_column(tables):
    with pytest.raises(ValueError, match=r"trust table is missing.*trustee"):
        plotting.plot_trust(tables["trust"].drop(columns="trustee"))


def test_empty_table_raises(tables):
    with pytest.raises(ValueError, match=r"trust table is empty"):
        plotting.plot_trust(tables["trust"].iloc[0:0])
    with pytest.raises(ValueError, match=r"quantities table is empty"):
        plotting.plot_quantities(tables["quantities"].iloc[0:0])


# --------------------------------------------------------------------------- plot_network


def test_network_defaults_to_last_step(tables):
    ax = plotting.plot_network(tables["trust"])
    assert "2025-02-09" in ax.get_title()  # DATES[-1]
    edges = _trust_edges(ax)
    assert len(edges) == 6


def test_network_uses_trust_of_chosen_date(tables):
    # A date between steps 3 and 4 selects step 3.
    ax = plotting.plot_network(tables["trust"], date="2025-01-01")
    assert "2024-12-29" in ax.get_title()
    assert "step 3" in ax.get_title()
    edges = _trust_edges(ax)
    assert set(edges) == {f"{a}→{b}" for a, b in itertools.permutations(ACTORS, 2)}
    trust_at_3 = {f"{a}→{b}": _trust_value(3, a, b) for a, b in itertools.permutations(ACTORS, 2)}
    by_trust = sorted(edges, key=trust_at_3.__getitem__)
    widths = [edges[k].get_linewidth() for k in by_trust]
    assert widths == sorted(widths)
    assert widths[0] < widths[-1]


def test_network_edges_change_with_date(tables):
    early = _trust_edges(plotting.plot_network(tables["trust"], date=DATES[0]))
    late = _trust_edges(plotting.plot_network(tables["trust"], date=DATES[-1]))
    assert all(late[k].get_linewidth() > early[k].get_linewidth() for k in early)


def test_network_date_before_start_raises(tables):
    with pytest.raises(ValueError, match=r"before the first step"):
        plotting.plot_network(tables["trust"], date="2024-12-01")


def test_network_with_links_and_actors(tables):
    fig = Figure()
    ax = fig.subplots()
    out = plotting.plot_network(
        tables["trust"], links=tables["links"], actors=tables["actors"], ax=ax
    )
    assert out is ax
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"principal", "mediator", "channel link", "patronage link"} <= set(legend)
    # Node size follows capability: the sorted order is Lebanon, Saudi, Syria.
    (nodes,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    sizes = dict(zip(sorted(ACTORS), nodes.get_sizes(), strict=True))
    assert sizes["Lebanon"] < sizes["Syria"] < sizes["Saudi"]


def test_network_missing_link_column(tables):
    with pytest.raises(ValueError, match=r"links table is missing.*weight"):
        plotting.plot_network(tables["trust"], links=tables["links"].drop(columns="weight"))


# --------------------------------------------------------------------------- issues


def test_issue_timeline_lanes_and_segments(tables):
    ax = plotting.plot_issue_timeline(tables["issues"], events=tables["events"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["detainees", "border"]
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid()]
    gids = sorted(p.get_gid() for p in bars)
    assert gids == [
        "status:border:agreed",
        "status:border:implementing",
        "status:border:on_table",
        "status:border:open",
        "status:detainees:open",
    ]
    # The detainees lane runs from the first date for ten weekly steps.
    (detainees,) = [p for p in bars if p.get_gid() == "status:detainees:open"]
    start = mdates.num2date(detainees.get_x()).replace(tzinfo=None)
    assert pd.Timestamp(start) == START
    assert detainees.get_width() == pytest.approx(7 * N_STEPS)
    assert _is_date_axis(ax)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:4] == ["open", "on_table", "agreed", "implementing"]
    assert {"progress", "scheduled event", "incident"} <= set(legend)


def test_issue_timeline_event_labels(tables):
    ax = plotting.plot_issue_timeline(tables["issues"], events=tables["events"])
    labels = [t.get_text() for t in ax.texts]
    # One label per scheduled date; the shared date counts the extra event.
    assert labels == ["jeddah_talks", "joint_statement +1"]
    incidents = [line for line in ax.lines if line.get_label() == "_incident"]
    assert len(incidents) == 1
    assert _x_dates(incidents[0]) == [DATES[6]]


def _crowded_events(n: int) -> pd.DataFrame:
    """`n` scheduled events with long names, a day apart from the first date, plus one on
    the last date (the labels would pile up, and the last one run off the right edge)."""
    dates = [*pd.date_range(START, periods=n, freq="1D"), DATES[-1]]
    return pd.DataFrame(
        {
            "date": dates,
            "event": [f"a_rather_long_event_name_{i}" for i in range(n + 1)],
            "origin": "scheduled",
            "issues": "",
        }
    )


def _label_boxes(ax: Axes) -> list:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = plotting.figure_of(ax)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_gid() == "event label" and t.get_visible()]
    return [t.get_window_extent(renderer) for t in labels]


@pytest.mark.parametrize("n", [1, 4, 12])
@pytest.mark.parametrize("figsize", [(11, 3.9), (6, 3)])
def test_issue_timeline_event_labels_neither_overlap_nor_clip(tables, n, figsize):
    fig = Figure(figsize=figsize, layout="constrained")
    ax = plotting.plot_issue_timeline(
        tables["issues"], events=_crowded_events(n), ax=fig.subplots()
    )
    boxes = _label_boxes(ax)
    assert boxes, "no event label is shown"
    if n <= 4 and figsize[0] > 10:
        assert len(boxes) == n + 1  # room for all of them: none is hidden
    frame = ax.get_window_extent()
    lanes_top = ax.transData.transform((0, len(ISSUES) - 0.5))[1]
    for box in boxes:
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, "a label runs off the Axes"
        assert box.y1 <= frame.y1 and box.y0 >= lanes_top, "a label leaves the label band"
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), f"labels overlap: {a} and {b}"


def test_issue_timeline_labels_in_the_summary_page_do_not_overlap(tables):
    events = pd.concat([tables["events"], _crowded_events(6)], ignore_index=True)
    fig = plotting.plot_summary({**tables, "events": events})
    ax = fig.axes[2]
    assert ax.get_title() == "Issues: status over time"
    boxes = _label_boxes(ax)
    assert len(boxes) >= 3
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)


def test_issue_timeline_shortens_a_label_rather_than_overlap(tables):
    fig = Figure(figsize=(4, 2.5), layout="constrained")
    ax = plotting.plot_issue_timeline(
        tables["issues"], events=_crowded_events(12), ax=fig.subplots()
    )
    _label_boxes(ax)
    shown = [t.get_text() for t in ax.texts if t.get_gid() == "event label" and t.get_visible()]
    assert any(text.endswith("…") for text in shown)


def test_issue_timeline_uses_given_ax_without_events(tables):
    fig = Figure()
    ax = fig.subplots()
    assert plotting.plot_issue_timeline(tables["issues"], ax=ax) is ax
    assert not ax.texts


def test_issue_timeline_missing_column(tables):
    with pytest.raises(ValueError, match=r"issues table is missing.*status"):
        plotting.plot_issue_timeline(tables["issues"].drop(columns="status"))


# --------------------------------------------------------------------------- quantities


def test_quantities_share_with_units(tables):
    ax = plotting.plot_quantities(tables["quantities"])
    (line,) = _data_lines(ax)
    assert line.get_label() == "detainees: transferred (of 300 persons)"
    np.testing.assert_allclose(line.get_ydata(), [0.1 * s for s in range(N_STEPS)])
    assert _x_dates(line) == list(DATES)
    assert ax.get_ylim()[0] == 0.0


# --------------------------------------------------------------------------- summary/save


def test_summary_figure(tables):
    fig = plotting.plot_summary(tables, title="Test run")
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() == "Test run"
    titles = [ax.get_title() for ax in fig.axes]
    assert "Trust between principals" in titles
    assert any(t.startswith("Trust network on 2025-02-09") for t in titles)
    trust_ax = fig.axes[0]
    assert [line.get_label() for line in _data_lines(trust_ax)] == [
        "Lebanon → Syria",
        "Syria → Lebanon",
    ]


def test_no_pyplot_figures_created(tables):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plotting.plot_summary(tables)
    plotting.plot_trust(tables["trust"])
    assert plt.get_fignums() == before


def test_summary_optional_tables_and_empty_quantities(tables):
    minimal = {k: tables[k] for k in ("trust", "issues", "events")}
    minimal["quantities"] = tables["quantities"].iloc[0:0]
    fig = plotting.plot_summary(minimal)
    assert "Run summary: 2024-12-08" in fig.get_suptitle()
    assert any("No quantities" in t.get_text() for ax in fig.axes for t in ax.texts)


def test_summary_missing_required_table(tables):
    with pytest.raises(ValueError, match=r"missing required table.*quantities"):
        plotting.plot_summary({k: tables[k] for k in ("trust", "issues", "events")})


def test_save_figures_writes_reproducible_pngs(tables, tmp_path):
    first = plotting.save_figures(tables, tmp_path / "a")
    names = [p.name for p in first]
    assert names == [
        "trust.png",
        "network_2024-12-08.png",
        "network_2025-02-09.png",
        "issues.png",
        "quantities.png",
        "summary.png",
    ]
    for path in first:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(data) > 1000
        assert b"Software" not in data
    # No temporary files left behind.
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(names)
    # Permissions follow the umask like any new file (no 0600 left over from a temp file).
    reference = tmp_path / "a" / "reference.bin"
    reference.write_bytes(b"x")
    assert {p.stat().st_mode for p in first} == {reference.stat().st_mode}
    second = plotting.save_figures(tables, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_save_figures_custom_dates_and_overwrite(tables, tmp_path):
    paths = plotting.save_figures(tables, tmp_path, dates=["2025-01-01", "2025-01-01"], dpi=40)
    assert [p.name for p in paths if p.name.startswith("network_")] == ["network_2025-01-01.png"]
    again = plotting.save_figures(tables, tmp_path, dates=["2025-01-01"], dpi=40)
    assert again == paths


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_save_figures_vector_formats_reproducible(tables, tmp_path, fmt):
    first = plotting.save_figures(tables, tmp_path / "a", fmt=fmt)
    second = plotting.save_figures(tables, tmp_path / "b", fmt=fmt)
    assert all(p.suffix == f".{fmt}" for p in first)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_save_figures_rejects_bad_input(tables, tmp_path):
    with pytest.raises(ValueError, match="unsupported format"):
        plotting.save_figures(tables, tmp_path, fmt="bmp")
    with pytest.raises(ValueError, match="before the first step"):
        plotting.save_figures(tables, tmp_path / "x", dates=["2020-01-01"])
    assert not (tmp_path / "x").exists()
