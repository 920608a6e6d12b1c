"""plots/lr_vs_width.py on small result directories written here: both figures are
written, the loss curves hold the seed means of the grid's runs, and the figure plots what
summary.json says (read back from the record its PNG carries: panels, axis labels, the
points, their intervals and the engine's exponents), also with one readout, no stability
entries and null slopes.

Run: /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/plots
"""
import csv
import json
import math
import pathlib
import subprocess
import sys

import pytest

PLOTS = pathlib.Path(__file__).resolve().parents[2] / "plots"
sys.path.insert(0, str(PLOTS))
import figure_files  # noqa: E402
from schema_documents import complete  # noqa: E402
import lr_vs_width  # noqa: E402
import result_files  # noqa: E402

WIDTHS = [16, 32, 64]
RATES = [0.01, 0.1, 1.0]
HORIZONS = [10, 30]
SEEDS = 2


def final_loss(scheme, width, lr, seed):
    """A loss whose optimum is at η = 0.1; η = 1 diverges for seed 1 at width 64."""
    if lr == 1.0 and width == 64 and seed == 1:
        return math.inf
    return math.exp(-3 + abs(math.log10(lr) + 1) - 0.1 * seed - (scheme == "B"))


def runs_rows(readouts):
    rows = []
    for readout in readouts:
        for scheme in ("A", "B"):
            for width in WIDTHS:
                for seed in range(SEEDS):
                    for round_, lr in [(0, lr) for lr in RATES] + [(1, 0.3)]:
                        loss = final_loss(scheme, width, lr, seed)
                        row = {"id": len(rows), "scheme": scheme, "width": width, "teacher": 0, "seed": seed, "lr_A": lr, "lr_B": lr,
                               "initial_train_loss": 1.0, "final_train_loss": loss, "final_test_loss": loss,
                               "mean_last_train_loss": loss, "max_train_loss": 1.0, "diverged": int(math.isinf(loss)),
                               "diverged_step": 5 if math.isinf(loss) else 0, "steps_done": 30, "fit_residual": 0,
                               "init_sigma": 0, "readout": readout, "rank": 4, "multiplier": "lora",
                               "round": round_}
                        for horizon in HORIZONS:
                            row[f"max_train_loss_at_{horizon}"] = 1.0
                            row[f"rms_Z_B_at_{horizon}"] = 0.5
                        rows.append(row)
    return rows


def slope(value, engine, bound="stable", verdict="agrees"):
    local = [{"from_width": a, "to_width": b, "slope": value, "interval": [value - 0.2, value + 0.2]}
             for a, b in zip(WIDTHS, WIDTHS[1:])]
    return {"slope": value, "interval": [value - 0.1, value + 0.1], "widths_used": WIDTHS, "bound": bound,
            "engine": engine, "verdict_network": verdict, "verdict_module": verdict,
            "finite_width": {"local": local, "large_widths": WIDTHS[1:], "large_width_slope": value,
                             "large_width_interval": None, "verdict": "steady", "evidence": "test"}}


# A slope that could not be fitted, as the analysis writes it.
NOTHING = {"slope": None, "interval": None, "widths_used": [], "bound": "stable", "engine": None,
           "verdict_network": "undetermined", "verdict_module": "undetermined",
           "finite_width": {"local": [], "large_widths": [], "large_width_slope": None, "large_width_interval": None,
                            "verdict": "undetermined", "evidence": ""}}


def full_arm(readout, scheme):
    """An arm with every field filled, its stability at both horizons."""
    engine = {"exact": "-1/2", "value": -0.5}
    bounds = {"f_bounded": engine, "Z_B_bounded": {"exact": "-1", "value": -1.0}}
    widths = [{"width": w, "optimal_lr": 0.1 * (w / 16) ** -0.5, "optimal_lr_interval": [0.05, 0.2],
               "optimal_at_grid_edge": w == 64, "max_stable_lr": 1.0, "max_stable_lr_interval": None,
               "max_stable_at_grid_edge": True, "optimal_lr_half_window": 0.1, "optimal_lr_twice_window": 0.1,
               "optimal_flat": False, "best_mean_log_loss": -3.0} for w in WIDTHS]
    stability = [{"criterion": criterion, "horizon": horizon,
                  "widths": [{"lr": 0.5, "interval": [0.4, 0.6], "at_grid_edge": False} for _ in WIDTHS],
                  "slope": slope(-0.4, bounds[key], bound)}
                 for criterion, key, bound in (("output", "f_bounded", "f bounded"), ("internal", "Z_B_bounded", "Z_B bounded"))
                 for horizon in HORIZONS]
    return {"readout": readout, "scheme": scheme, "init_sigma": None, "rank": 4, "multiplier": "lora",
            "engine_max_stable_exponent": {"network": engine, "module": engine},
            "engine_bounds": bounds,
            "widths": widths, "slopes": {"optimal": slope(-0.45, engine), "max_stable": NOTHING},
            "stability": stability}


def empty_arm(readout, scheme):
    """An arm with nothing estimated: null rates, slopes and engine, no stability entries."""
    widths = [{"width": w, "optimal_lr": None, "optimal_lr_interval": None, "optimal_at_grid_edge": False,
               "max_stable_lr": None, "max_stable_lr_interval": None, "max_stable_at_grid_edge": False,
               "optimal_lr_half_window": None, "optimal_lr_twice_window": None, "optimal_flat": False}
              for w in WIDTHS]
    nothing = NOTHING
    return {"readout": readout, "scheme": scheme, "init_sigma": None, "rank": 4, "multiplier": "lora",
            "engine_max_stable_exponent": {"network": None, "module": None},
            "engine_bounds": {"f_bounded": None, "Z_B_bounded": None},
            "widths": widths, "slopes": {"optimal": nothing, "max_stable": nothing}, "stability": []}


def write_directory(folder, readouts):
    folder.mkdir()
    manifest = complete({"device": "cpu", "spec_hash": "0" * 16, "scheme_titles": {"A": "Init[A]", "B": "Init[B]"},
                         "spec": {"sweep": {"name": "test", "scale": "quick", "schemes": ["A", "B"], "seeds": list(range(SEEDS))},
                                  "model": {"readout": readouts}, "optimizer": {"kind": "adam"}}}, "manifest")
    summary = {"loss_statistic": "final_train", "seeds": SEEDS, "horizons": HORIZONS, "optimum_window": 0.1,
               "edge_factor": 2.0, "internal_bound": 100.0, "stable_factor": 1.0,
               "schemes": [arm for r in readouts for arm in (full_arm(r, "A"), empty_arm(r, "B"))]}
    summary = complete(summary, "summary")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "summary.json").write_text(json.dumps(summary))
    rows = runs_rows(readouts)
    with (folder / "runs.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


@pytest.mark.parametrize("readouts", [["mup"], ["sp", "mup"]])
def test_writes_both_figures(tmp_path, readouts):
    folder = write_directory(tmp_path / "result", readouts)
    done = subprocess.run([sys.executable, str(PLOTS / "lr_vs_width.py"), str(folder)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name in ("lr_vs_width", "loss_vs_lr_per_width"):
        for suffix in ("png", "svg"):
            assert (folder / "figures" / f"{name}.{suffix}").stat().st_size > 0


def test_reader_types_the_horizon_columns(tmp_path):
    folder = write_directory(tmp_path / "result", ["sp"])
    row = result_files.runs(folder)[0]
    assert row["readout"] == "sp" and row["round"] == 0 and row["rank"] == 4 and row["multiplier"] == "lora"
    assert row["max_train_loss_at_10"] == 1.0 and row["rms_Z_B_at_30"] == 0.5


def test_loss_curves_are_the_seed_means_of_the_grid(tmp_path):
    folder = write_directory(tmp_path / "result", ["sp"])
    curves = lr_vs_width.seed_means(result_files.runs(folder), "final_train_loss", set(range(SEEDS)), 1)
    assert sorted(curves) == [("sp", scheme, 0.0, 4, "lora", w) for scheme in ("A", "B") for w in WIDTHS]
    curve = curves[("sp", "A", 0.0, 4, "lora", 32)]
    assert [lr for lr, _, _ in curve] == RATES  # the refinement round's η = 0.3 is left out
    assert curve[1][1] == pytest.approx(-3 - 0.05) and all(complete for _, _, complete in curve)
    lr, mean, complete = curves[("sp", "A", 0.0, 4, "lora", 64)][-1]
    assert (lr, complete) == (1.0, False) and mean == pytest.approx(-2)  # seed 1 diverged: seed 0's alone
    seed_one = lr_vs_width.seed_means(result_files.runs(folder), "final_train_loss", {1}, 1)
    assert seed_one[("sp", "A", 0.0, 4, "lora", 32)][1] == (0.1, pytest.approx(-3.1), True)  # a spec of some of the seeds


def panel(record, group, title):
    return next(p for p in record["panels"] if p["group"] == group and p["title"] == title)


def flat(pairs):
    return [value for pair in pairs for value in pair]


def series(panel_record, label):
    return next(s for s in panel_record["series"] if s["label"] == label)


def test_the_figure_plots_what_the_summary_says(tmp_path):
    folder = write_directory(tmp_path / "result", ["sp", "mup"])
    lr_vs_width.main(folder)
    record = figure_files.plotted_record(folder / "figures" / "lr_vs_width.png")
    assert record["title"].startswith("test (quick scale, cpu), optimizer adam: loss final_train, 2 seeds")
    titles = ["optimal η", "maximal stable η, output criterion, step 30", "maximal stable η, internal criterion, step 30",
              "local slopes (optimal, output criterion)"]
    assert [(p["group"], p["title"]) for p in record["panels"]] == [(g, t) for g in ("standard readout (paper's)", "μP readout")
                                                                    for t in titles]
    assert {(p["xlabel"], p["ylabel"]) for p in record["panels"][:3]} == {("width n", "learning rate η")}
    assert record["panels"][3]["ylabel"] == "local slope of log η against log n"
    for readout, group in (("sp", "standard readout (paper's)"), ("mup", "μP readout")):
        full = result_files.summary(folder)["schemes"][["sp", "mup"].index(readout) * 2]
        optimal = series(panel(record, group, titles[0]), "Init[A]; engine n^(-1/2)")
        assert optimal["x"] == WIDTHS and optimal["y"] == [w["optimal_lr"] for w in full["widths"]]
        assert flat(optimal["y_interval"]) == pytest.approx(flat(w["optimal_lr_interval"] for w in full["widths"]))
        internal = series(panel(record, group, titles[2]), "Init[A]; engine n^(-1)")  # Z_B bounded's exponent
        assert internal["y"] == [p["lr"] for p in full["stability"][3]["widths"]]  # the last horizon's entry
        engine = series(panel(record, group, titles[0]), "Init[A]: engine n^(-1/2)")  # through the points inside the grid
        assert engine["x"] == WIDTHS[:2] and engine["y"][0] / engine["y"][1] == pytest.approx(2 ** 0.5)
        slopes = series(panel(record, group, titles[3]), "Init[A] optimal")
        assert slopes["y"] == [-0.45, -0.45] and flat(slopes["y_interval"]) == pytest.approx([-0.65, -0.25] * 2)
        assert series(panel(record, group, titles[3]), "Init[A]: engine -1/2 (optimal, output)")["y"] == [-0.5, -0.5]
        # Init[B] estimated nothing: it draws no series at all.
        assert not any((s["label"] or "").startswith("Init[B]") for p in record["panels"] for s in p["series"])


def test_the_figure_draws_no_verdicts(tmp_path):
    """The verdicts belong to the terminal, the report and the page, not to the image."""
    folder = write_directory(tmp_path / "result", ["sp"])
    lr_vs_width.main(folder)
    svg = (folder / "figures" / "lr_vs_width.svg").read_text()
    assert "agrees" not in svg and "departs" not in svg
    assert [m.kind for m in lr_vs_width.measures(result_files.summary(folder)["schemes"][1])] == ["optimal"]
