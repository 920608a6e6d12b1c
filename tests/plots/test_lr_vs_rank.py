"""plots/lr_vs_rank.py on a small summary written here: the figure is written, the points
against r are each rank's estimates at the largest width, and the figure plots them with
the axis labels and the engine exponents rank_slopes holds them against (read back from
the record its PNG carries); a sweep of one rank is refused with a message.

Run: /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/plots
"""
import json
import pathlib
import subprocess
import sys

PLOTS = pathlib.Path(__file__).resolve().parents[2] / "plots"
sys.path.insert(0, str(PLOTS))
import figure_files  # noqa: E402
import lr_vs_rank  # noqa: E402
from schema_documents import complete  # noqa: E402

WIDTHS = [32, 64]
RANKS = [1, 4, 16]
HORIZONS = [10, 30]


def slope(value, engine, axis, points, verdict="agrees"):
    local = [{f"from_{axis}": a, f"to_{axis}": b, "slope": value, "interval": None} for a, b in zip(points, points[1:])]
    return {"slope": value, "interval": [value - 0.1, value + 0.1], f"{axis}s_used": points, "bound": "f bounded",
            "engine": engine, "verdict_network": verdict, "verdict_module": verdict,
            f"finite_{axis}": {"local": local, f"large_{axis}s": points[1:], f"large_{axis}_slope": value,
                               f"large_{axis}_interval": None, "verdict": "steady", "evidence": "test"}}


def lr(scheme, multiplier, rank, width):
    """η* = 0.1 · r^(-1/2 under LoRA, 0 under rsLoRA) · n^-1/2, Init[B] twice Init[A]'s."""
    return 0.1 * (2 if scheme == "B" else 1) * rank ** (-0.5 if multiplier == "lora" else 0) * (width / 32) ** -0.5


def arm(scheme, multiplier, rank):
    engine = {"exact": "-1/2", "value": -0.5}
    widths = [{"width": w, "optimal_lr": lr(scheme, multiplier, rank, w), "optimal_lr_interval": None,
               "optimal_at_grid_edge": False, "max_stable_lr": None, "max_stable_lr_interval": None,
               "max_stable_at_grid_edge": False, "optimal_lr_half_window": None, "optimal_lr_twice_window": None,
               "optimal_flat": False} for w in WIDTHS]
    stability = [{"criterion": "output", "horizon": h,
                  "widths": [{"lr": 3 * lr(scheme, multiplier, rank, w), "interval": None, "at_grid_edge": w == 64}
                             for w in WIDTHS], "slope": slope(-0.5, engine, "width", WIDTHS)} for h in HORIZONS]
    return {"scheme": scheme, "init_sigma": None, "readout": "sp", "rank": rank, "multiplier": multiplier,
            "engine_max_stable_exponent": {"network": engine, "module": engine},
            "engine_bounds": {"f_bounded": engine, "Z_B_bounded": None}, "widths": widths,
            "slopes": {"optimal": slope(-0.5, engine, "width", WIDTHS), "max_stable": slope(-0.5, engine, "width", WIDTHS)},
            "stability": stability}


def rank_slopes(scheme, multiplier, width):
    exponent = {"exact": "-1/2", "value": -0.5} if multiplier == "lora" else {"exact": "0", "value": 0.0}
    verdict = "departs" if scheme == "B" else "agrees"
    return {"scheme": scheme, "init_sigma": None, "readout": "sp", "multiplier": multiplier, "width": width, "ranks": RANKS,
            "slopes": {"optimal": slope(exponent["value"], exponent, "rank", RANKS, verdict),
                       "max_stable": slope(exponent["value"], exponent, "rank", RANKS)},
            "stability": [{"criterion": "output", "horizon": h, "slope": slope(-0.25, exponent, "rank", RANKS)}
                          for h in HORIZONS]}


def write_directory(folder, ranks=RANKS):
    folder.mkdir()
    manifest = complete({"device": "cpu", "spec_hash": "0" * 16, "scheme_titles": {"A": "Init[A]", "B": "Init[B]"},
                         "spec": {"sweep": {"name": "rank", "scale": "quick"}}}, "manifest")
    combos = [(s, m) for m in ("lora", "rslora") for s in ("A", "B")]
    summary = {"loss_statistic": "final_train", "seeds": 2, "horizons": HORIZONS,
               "schemes": [arm(s, m, r) for s, m in combos for r in ranks],
               "rank_slopes": [rank_slopes(s, m, w) for s, m in combos for w in WIDTHS] if len(ranks) > 1 else []}
    summary = complete(summary, "summary")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder, summary


def test_writes_the_figure(tmp_path):
    folder, _ = write_directory(tmp_path / "result")
    done = subprocess.run([sys.executable, str(PLOTS / "lr_vs_rank.py"), str(folder)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for suffix in ("png", "svg"):
        assert (folder / "figures" / f"lr_vs_rank.{suffix}").stat().st_size > 0


def test_points_are_each_ranks_estimate_at_the_largest_width(tmp_path):
    _, summary = write_directory(tmp_path / "result")
    arms = [a for a in summary["schemes"] if a["scheme"] == "B" and a["multiplier"] == "lora"]
    points = [lr_vs_rank.estimate_at(a, 64, lr_vs_rank.MEASURES[0])[0]["lr"] for a in arms]
    assert points == [lr("B", "lora", r, 64) for r in RANKS]
    output, width_slope = lr_vs_rank.estimate_at(arms[0], 64, lr_vs_rank.MEASURES[1])
    assert output["at_grid_edge"] and output["lr"] == 3 * lr("B", "lora", 1, 64)  # the last horizon's entry
    assert width_slope["widths_used"] == WIDTHS


def test_the_figure_plots_each_ranks_estimate_with_the_engines_exponent(tmp_path):
    folder, summary = write_directory(tmp_path / "result")
    lr_vs_rank.main(folder)
    record = figure_files.plotted_record(folder / "figures" / "lr_vs_rank.png")
    titles = [p["title"] for p in record["panels"]]
    assert titles == ["optimal η\nLoRA (α/r), n = 64", "maximal stable η, output criterion\nLoRA (α/r), n = 64",
                      "optimal η\nrsLoRA (α/√r), n = 64", "maximal stable η, output criterion\nrsLoRA (α/√r), n = 64",
                      "optimal η\nagainst width, r = 4", "maximal stable η, output criterion\nagainst width, r = 4"]
    assert [(p["xlabel"], p["ylabel"], p["xscale"], p["yscale"]) for p in record["panels"]] == \
        [("rank r", "learning rate η", "log", "log")] * 4 + [("width n", "learning rate η", "log", "log")] * 2
    assert {p["group"] for p in record["panels"]} == {"standard readout (paper's)"}
    by_label = {s["label"]: s for s in record["panels"][0]["series"]}
    # Init[B] under LoRA: its optimum at n = 64 for each rank, held against r^(-1/2).
    optimal = by_label["Init[B]; engine r^(-1/2)"]
    assert optimal["x"] == RANKS and optimal["y"] == [lr("B", "lora", r, 64) for r in RANKS]
    assert optimal["y"] == [lr_vs_rank.estimate_at(a, 64, lr_vs_rank.MEASURES[0])[0]["lr"] for a in summary["schemes"]
                            if a["scheme"] == "B" and a["multiplier"] == "lora"]
    assert by_label["Init[B]: engine r^(-1/2)"]["x"] == RANKS  # the engine's line through them
    rslora = {s["label"] for s in record["panels"][2]["series"]}
    assert "Init[A]; engine r^(0)" in rslora  # rsLoRA's exponent, from rank_slopes
    output = {s["label"]: s for s in record["panels"][1]["series"]}["Init[B]; engine r^(-1/2)"]
    assert output["y"] == [3 * lr("B", "lora", r, 64) for r in RANKS]  # the last horizon's edges
    widths = {s["label"]: s for s in record["panels"][4]["series"]}["Init[A], rslora; engine n^(-1/2)"]
    assert widths["x"] == WIDTHS and widths["y"] == [lr("A", "rslora", 4, w) for w in WIDTHS]
    svg = (folder / "figures" / "lr_vs_rank.svg").read_text()
    assert "agrees" not in svg and "departs" not in svg  # verdicts are the terminal's, the report's and the page's


def test_one_rank_is_refused(tmp_path):
    folder, _ = write_directory(tmp_path / "result", ranks=[4])
    done = subprocess.run([sys.executable, str(PLOTS / "lr_vs_rank.py"), str(folder)], capture_output=True, text=True)
    assert done.returncode != 0 and "trained one rank" in done.stderr


def test_figures_of_one_adapter_refuse_a_sweep_over_ranks(tmp_path):
    folder, _ = write_directory(tmp_path / "result")
    for script in ("schemes_vs_width.py", "loss_vs_lr.py"):
        done = subprocess.run([sys.executable, str(PLOTS / script), str(folder)], capture_output=True, text=True)
        assert done.returncode != 0 and "the sweep trained 6 (rank, multiplier) pairs" in done.stderr, script
