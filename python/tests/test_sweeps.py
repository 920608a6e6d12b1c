"""Sweeps from Python write what the program writes; load gives the documented frames."""
import json
from fractions import Fraction
import math
import pathlib

import pandas
import pytest

import gammalab
from conftest import run_cli

# A sweep small enough for a test: 2 widths × 2 seeds × 2 schemes × 3 rates, 30 steps, curves.
SPEC = {
    "sweep": {"name": "tiny", "widths": [16, 32], "seeds": 2, "schemes": ["A", "B"], "steps": 30},
    "learning_rate": {"values": [1e-3, 1e-2, 0.1]},
    "data": {"train_size": 32, "test_size": 16},
    "record": {"curves": True, "every": 10},
    "analysis": {"bootstrap": 50},
}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    python = gammalab.sweep(SPEC, out=folder / "python", device="cpu", threads=2, progress=False)
    (folder / "tiny.toml").write_text(gammalab.spec_text(SPEC))
    run_cli("sweep", str(folder / "tiny.toml"), "-o", str(folder / "cli"), "--device", "cpu", "--threads", "1", "--quiet")
    return folder, python


def test_dict_sweep_writes_the_clis_runs_csv(swept):
    folder, _ = swept
    python = (folder / "python" / "runs.csv").read_text()
    assert python == (folder / "cli" / "runs.csv").read_text()
    assert len(python.splitlines()) == 1 + 2 * 2 * 2 * 3
    assert (folder / "python" / "curves.csv").read_text() == (folder / "cli" / "curves.csv").read_text()
    summary = json.loads((folder / "python" / "summary.json").read_text())
    assert summary == json.loads((folder / "cli" / "summary.json").read_text())


def test_spec_text_is_the_dict():
    text = gammalab.spec_text({"sweep": {"name": "x", "widths": [8, 16], "flag": True}, "learning_rate": {"min": 1e-05}})
    assert text == '[sweep]\nname = "x"\nwidths = [8, 16]\nflag = true\n\n[learning_rate]\nmin = 1e-05\n'


def test_load_gives_documented_columns_and_dtypes(swept):
    _, result = swept
    horizons = [f"{prefix}{h}" for h in (10, 30) for prefix in gammalab.HORIZON_COLUMNS]  # 30 steps: horizons 10 and 30
    assert list(result.runs.columns) == list(gammalab.RUNS_DTYPES) + horizons
    assert {c: str(t) for c, t in result.runs.dtypes.items()} == dict(gammalab.RUNS_DTYPES, **{c: "float64" for c in horizons})
    assert list(result.curves.columns) == list(gammalab.CURVES_DTYPES)
    assert {c: str(t) for c, t in result.curves.dtypes.items()} == gammalab.CURVES_DTYPES
    assert len(result.runs) == 24 and sorted(result.runs["scheme"].unique()) == ["A", "B"]
    assert sorted(result.runs["width"].unique()) == [16, 32]
    assert sorted(result.curves["step"].unique()) == [1, 10, 20, 30]  # the first step, then every 10
    # the frame holds the file's numbers exactly
    lines = (result.directory / "runs.csv").read_text().splitlines()
    first = dict(zip(lines[0].split(","), lines[1].split(",")))
    assert result.runs.iloc[0]["final_train_loss"] == float(first["final_train_loss"])
    assert result.runs.iloc[0]["lr_A"] == float(first["lr_A"])


def test_runs_carry_their_teacher_and_teacher_0_is_the_sweep_of_one(swept, tmp_path):
    _, one = swept
    spec = dict(SPEC, data={**SPEC["data"], "teachers": 2})
    two = gammalab.sweep(spec, out=tmp_path / "two", device="cpu", threads=2, progress=False)
    assert two.runs["teacher"].value_counts().to_dict() == {0: 24, 1: 24}
    assert one.runs["teacher"].tolist() == [0] * 24
    teacher_0 = two.runs[two.runs["teacher"] == 0].reset_index(drop=True)
    pandas.testing.assert_frame_equal(teacher_0, one.runs)
    teacher_1 = two.runs[two.runs["teacher"] == 1].reset_index(drop=True)
    assert (teacher_1["initial_train_loss"] != teacher_0["initial_train_loss"]).all()  # its own data set and students


def test_load_refuses_a_runs_csv_edited_after_the_sweep(swept, tmp_path):
    import shutil
    _, result = swept
    edited = tmp_path / "edited"
    shutil.copytree(result.directory, edited)
    lines = (edited / "runs.csv").read_text().splitlines(keepends=True)
    cells = lines[1].split(",")
    loss = lines[0].split(",").index("final_train_loss")
    cells[loss] = repr(float(cells[loss]) * 1.5)
    lines[1] = ",".join(cells)
    (edited / "runs.csv").write_text("".join(lines))
    with pytest.raises(gammalab.InputError, match="runs.csv"):
        gammalab.load(edited)
    assert len(gammalab.load(result.directory).runs) == 24  # the intact one still loads


def test_load_summary_as_objects(swept):
    _, result = swept
    summary = result.summary
    assert summary.seeds == 2 and summary.bootstrap_resamples == 50
    a = summary.scheme("A")
    assert a.engine_max_stable_exponent == {"network": Fraction(-3, 4), "module": Fraction(-1, 2)}
    assert str(a.engine_max_stable_exponent["network"]) == "-3/4"
    assert [w.width for w in a.widths] == [16, 32]
    assert set(a.slopes) == {"optimal", "max_stable"}
    optimal = a.slopes["optimal"]
    assert optimal.verdict_network in {"agrees", "departs", "inconclusive", "undetermined"}
    assert optimal.margin == summary.margin == 0.125
    assert optimal.finite_width["verdict"] in {"converging", "steady", "moving away", "curved", "inconclusive", "undetermined"}
    # Two widths: no trend to read, no γ∞ to fit.
    assert optimal.finite_width["verdict"] == "undetermined" and optimal.infinite_width is None
    assert summary.multiplicity["expected_by_chance"] == pytest.approx(0.025 * summary.multiplicity["slopes"])
    frame = a.widths_frame()
    assert list(frame["width"]) == [16, 32] and "optimal_lr_low" in frame.columns
    assert summary.to_dict() == json.loads((result.directory / "summary.json").read_text())


def test_load_without_curves_and_bad_directory(tmp_path, swept):
    folder, _ = swept
    with pytest.raises(ValueError) as caught:
        gammalab.load(tmp_path)
    assert caught.value.argument == "directory"


def test_bad_spec_raises_naming_the_key(tmp_path):
    bad = {"sweep": {"widths": [16], "seeds": 1, "schemes": ["A"], "stepz": 3}}
    with pytest.raises(ValueError, match="stepz"):
        gammalab.sweep(bad, out=tmp_path / "x", device="cpu", progress=False)
    assert not (tmp_path / "x").exists()
    with pytest.raises(ValueError) as caught:
        gammalab.sweep(SPEC, out=tmp_path / "y", device="tpu", progress=False)
    assert caught.value.argument == "device"


def test_figures_return_the_scripts_figure(swept):
    import matplotlib.figure

    _, result = swept
    figure = gammalab.figures.lr_vs_width(result)
    assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes) >= 2
    assert not (result.directory / "figures" / "lr_vs_width.png").exists()  # nothing written unless asked
    gammalab.figures.norms_over_training(result, save=True)
    assert (result.directory / "figures" / "norms_over_training.png").exists()
    phase = gammalab.figures.phase_diagram(gammalab.phase(scheme="A", x="eta_A", y="eta_B"),
                                           gammalab.phase(scheme="B", x="eta_A", y="eta_B"))
    assert len([a for a in phase.axes if a.get_title()]) == 2


def test_arms_are_chosen_by_every_field_and_an_ambiguous_request_is_refused(swept):
    _, result = swept
    document = result.summary.to_dict()
    mup = json.loads(json.dumps(document["schemes"][0]))
    mup["readout"] = "mup"
    document["schemes"].append(mup)  # a second arm of scheme A, with the μP readout
    summary = gammalab.Summary(document)
    with pytest.raises(ValueError, match="2 arms have scheme='A'; say which with readout"):
        summary.arm("A")
    with pytest.raises(ValueError, match="2 arms"):
        summary.scheme("A")
    assert summary.arm("A", readout="mup").readout == "mup"
    assert summary.arm("A", readout="sp").arm == {"readout": "sp", "scheme": "A", "init_sigma": None, "rank": 4,
                                                  "multiplier": "lora"}
    with pytest.raises(ValueError, match="no arm has scheme='C'"):
        summary.arm("C")


def test_every_repr_fits_a_screen(swept):
    _, result = swept
    shown = [result, result.summary, result.summary.schemes[0], gammalab.solve(scheme="A"),
             gammalab.predict(scheme="A", steps=4), gammalab.explain(scheme="A", steps=2), gammalab.table(),
             gammalab.phase(scheme="A", x="eta_A", y="eta_B")]
    for value in shown:
        text = repr(value)
        assert len(text.splitlines()) <= 20, f"{type(value).__name__}: {len(text.splitlines())} lines"
        assert len(text) < 3000, f"{type(value).__name__}: {len(text)} characters"
    assert "<table>" in gammalab.solve(scheme="A")._repr_html_()


def test_table_is_a_dataframe_with_exact_values():
    table = gammalab.table()
    frame = table.frame()
    assert isinstance(frame, pandas.DataFrame)
    a_module = frame[(frame["scheme"] == "A") & (frame["setting"] == "module")].iloc[0]
    assert a_module["max_stable_eta"] == Fraction(-1, 2) and isinstance(a_module["max_stable_eta"], Fraction)
    assert a_module["width_exponent"] == table.scheme("A")["module"]["max_stable_law"].width_exponent
    assert len(frame) == 3 * len(table.schemes)  # module, network sp, network mup
    overview = table.overview()
    assert list(overview.columns) == ["σ_A", "σ_B", *table.schemes[0].columns]
    assert set(table.schemes[0].columns) == {"module", "network sp", "network mup"}
    assert overview.loc["A", "module"] == table.scheme("A")["module"]["max_stable_law"].text
    assert str(table).splitlines()[3].split()[0] == table.schemes[0].scheme  # title, header, index name, then the rows


def test_scaling_law_fields_match_the_cli():
    law = gammalab.solve(scheme="A").max_stable_law
    assert law.width_exponent == Fraction(-1, 2) and law.rank_exponent == 0
    assert law.to_dict()["width_exponent"] == "-1/2"


def test_slopes_are_the_results_views_rows(swept):
    _, result = swept
    slopes = result.slopes()
    assert isinstance(slopes, pandas.DataFrame) and len(slopes) > 0
    assert {"readout", "scheme", "rank", "multiplier", "measure", "slope", "engine", "verdict"} <= set(slopes.columns)
    optimal_a = slopes[(slopes["scheme"] == "A") & (slopes["measure"] == "optimal")].iloc[0]
    assert optimal_a["engine"] == Fraction(-3, 4) and isinstance(optimal_a["engine"], Fraction)
    assert optimal_a["slope"] == pytest.approx(result.summary.arm("A").slopes["optimal"].slope)
    assert optimal_a["verdict"] == result.summary.arm("A").slopes["optimal"].verdict_network
    assert optimal_a["margin"] == 0.125 and optimal_a["trend"] == "undetermined"
    assert {"tells_apart", "curvature", "gamma_infinity", "gamma_infinity_verdict", "holm_p"} <= set(slopes.columns)
    # The replicate counts: the summary's numbers, summed; missing where there are none.
    stand_ins = result.summary.arm("A").slopes["optimal"].stand_ins
    expected = stand_ins["flat"] + stand_ins["clamped"]
    assert (optimal_a["stand_ins"] == expected) if expected else pandas.isna(optimal_a["stand_ins"])
    assert len(result.summary.widths()) == 2 * 2  # two arms × two widths


def _copy(result, tmp_path, name):
    import shutil
    copy = tmp_path / name
    shutil.copytree(result.directory, copy)
    return copy


def test_load_refuses_what_the_cli_readers_refuse(swept, tmp_path):
    _, result = swept
    # A running directory (no checksums yet) with a nan loss: every C++ reader refuses it.
    running = _copy(result, tmp_path, "running")
    manifest = json.loads((running / "manifest.json").read_text())
    manifest["status"] = "running"
    (running / "manifest.json").write_text(json.dumps(manifest))
    lines = (running / "runs.csv").read_text().splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[lines[0].split(",").index("final_train_loss")] = "nan"
    lines[1] = ",".join(cells)
    (running / "runs.csv").write_text("".join(lines))
    with pytest.raises(gammalab.InputError, match="column 'final_train_loss': nan is out of range"):
        gammalab.load(running)
    # A broken summary.json is named, not a bare JSONDecodeError.
    broken = _copy(result, tmp_path, "broken")
    (broken / "summary.json").write_text("{")
    with pytest.raises(gammalab.InputError, match="summary.json is not valid JSON") as caught:
        gammalab.load(broken)
    assert str(broken / "summary.json") in str(caught.value)
    # A manifest key of the wrong type names the file and the key.
    typed = _copy(result, tmp_path, "typed")
    manifest = json.loads((typed / "manifest.json").read_text())
    manifest["shard"] = 5
    (typed / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(gammalab.InputError, match="shard is 5; accepted: a shard as K/N"):
        gammalab.load(typed)


@pytest.mark.parametrize("options,error,argument", [
    ({"threads": -1}, ValueError, "threads"),
    ({"threads": "2"}, TypeError, "threads"),
    ({"threads": 2.0}, TypeError, "threads"),
    ({"device": None}, TypeError, "device"),
    ({"resume": "yes"}, TypeError, "resume"),
])
def test_sweep_options_are_refused_before_anything_runs(tmp_path, options, error, argument):
    with pytest.raises(error) as caught:
        gammalab.sweep(SPEC, out=tmp_path / "x", progress=False, **options)
    assert str(caught.value).startswith(argument + ":") and "accepted" in str(caught.value)
    assert "incompatible function arguments" not in str(caught.value)
    assert not (tmp_path / "x").exists()


def test_sweep_messages_speak_python(swept):
    _, result = swept
    with pytest.raises(gammalab.InputError) as caught:
        gammalab.sweep(SPEC, out=result.directory, device="cpu", threads=1, progress=False)
    assert caught.value.argument == "out"
    assert "pass resume=True to continue" in str(caught.value) and "--resume" not in str(caught.value)


def test_spec_text_escapes_keys_and_strings():
    import tomllib

    spec = {"sweep": {"name": 'a "quoted"\\ name\n', "a=b": 1, "two\nlines": 2, "widths": [8]}, "odd table": {}}
    assert tomllib.loads(gammalab.spec_text(spec)) == spec
    with pytest.raises(TypeError, match="not a string"):
        gammalab.spec_text({"sweep": {5: 1}})


def test_a_key_with_an_equals_sign_is_refused_by_name(tmp_path):
    bad = {table: dict(keys) for table, keys in SPEC.items()}
    bad["sweep"]["steps = 3\nseeds"] = 2
    with pytest.raises(ValueError, match=r"\[sweep\] steps = 3\\nseeds: unknown key"):
        gammalab.sweep(bad, out=tmp_path / "x", device="cpu", progress=False)
