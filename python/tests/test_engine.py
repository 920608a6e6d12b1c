"""The engine from Python equals the program: every gamma subcommand's --json dict is
the Python result's to_dict(), for models with fixed and free parameters and LoRA+ rates."""
from fractions import Fraction

import pytest

import gammalab
from conftest import cli_json, run_cli

# (Python keyword arguments, the same model as CLI options)
MODELS = [
    (dict(scheme="A"), ["--scheme", "A"]),
    (dict(scheme="B", setting="network", readout="sp"), ["--scheme", "B", "--setting", "network", "--readout", "sp"]),
    (dict(scheme="A", eta=Fraction(-1, 2)), ["--scheme", "A", "--eta", "-1/2"]),
    (dict(scheme="AB", eta=-1, optimizer="sgd"), ["--scheme", "AB", "--eta", "-1", "--optimizer", "sgd"]),
    (dict(scheme="custom", sigma_A="free", sigma_B=gammalab.NEG_INF, eta=Fraction(-1, 2)),
     ["--scheme", "custom", "--sigma-A", "free", "--sigma-B", "-inf", "--eta", "-1/2"]),
    (dict(scheme="A", ratio=1), ["--scheme", "A", "--ratio", "1"]),                          # LoRA+ by ratio
    (dict(scheme="A", eta_A=-1, eta_B=0), ["--scheme", "A", "--eta-A", "-1", "--eta-B", "0"]),  # LoRA+ rates
    (dict(scheme="A", eta_A=-1, eta_B="free"), ["--scheme", "A", "--eta-A", "-1", "--eta-B", "free"]),
    (dict(scheme="inilora", alpha="free", eta=-1, subtract_initial=False),
     ["--scheme", "inilora", "--alpha", "free", "--eta", "-1", "--subtract-initial", "off"]),
    (dict(scheme="pissa", setting="network", readout="mup", eta=0.5),
     ["--scheme", "pissa", "--setting", "network", "--readout", "mup", "--eta", "0.5"]),
]


def ids(models):
    return [" ".join(cli) for _, cli in models]


@pytest.mark.parametrize("kwargs,cli", MODELS, ids=ids(MODELS))
def test_predict_equals_cli(kwargs, cli):
    for steps in (0, 4):
        assert gammalab.predict(**kwargs, steps=steps).to_dict() == cli_json("gamma", "predict", *cli, "--steps", str(steps))


@pytest.mark.parametrize("kwargs,cli", MODELS, ids=ids(MODELS))
def test_explain_equals_cli(kwargs, cli):
    assert gammalab.explain(**kwargs).to_dict() == cli_json("gamma", "explain", *cli)


ONE_FREE = [(k, c) for k, c in MODELS if len(gammalab.predict(**k).model.free_parameters) == 1]


@pytest.mark.parametrize("kwargs,cli", ONE_FREE, ids=ids(ONE_FREE))
def test_solve_equals_cli(kwargs, cli):
    assert gammalab.solve(**kwargs).to_dict() == cli_json("gamma", "solve", *cli)


def test_solve_models_cover_free_parameters_other_than_eta():
    assert {p for k, _ in ONE_FREE for p in gammalab.solve(**k).model.free_parameters} >= {"eta", "sigma_A", "eta_B", "alpha"}


@pytest.mark.parametrize("scheme", ["A", "B", "AB"])
@pytest.mark.parametrize("axes", [("eta_A", "eta_B"), ("eta", "sigma_B")])
def test_phase_equals_cli(scheme, axes):
    x, y = axes
    python = gammalab.phase(scheme=scheme, x=x, y=y, low=Fraction(-3), high="3/2")
    assert python.to_dict() == cli_json("gamma", "phase", "--scheme", scheme, "--x", x, "--y", y, "--low", "-3", "--high", "3/2")


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_table_equals_cli(optimizer):
    assert gammalab.table(optimizer=optimizer).to_dict() == cli_json("gamma", "table", "--optimizer", optimizer)


# ---------------------------------------------------------------- the values, typed

def test_theorems_as_regions():
    a = gammalab.solve(scheme="A")
    stable = a.verdicts.every_step.stable
    assert str(stable) == "(-inf, -1/2]"
    assert stable.contains(Fraction(-1, 2)) and stable.contains(-10) and not stable.contains(Fraction(-49, 100))
    assert stable.low == gammalab.NEG_INF and stable.high == Fraction(-1, 2)
    assert stable.intervals[0].high_closed and not stable.intervals[0].low_closed
    assert a.max_stable.value == Fraction(-1, 2) and a.max_stable.attained
    assert str(a.verdicts.from_settled.efficient) == "{-1/2}"
    assert a.verdicts.from_settled.efficient.contains(-0.5) and not a.verdicts.from_settled.efficient.contains(-1)
    b = gammalab.solve(scheme="B")
    assert str(b.verdicts.every_step.stable) == "(-inf, -1]" and b.max_stable.value == -1
    assert b.verdicts.from_settled.efficient.is_empty and not b.verdicts.from_settled.efficient
    # an open end and a union
    instability = a.verdicts.from_settled.internal_instability
    assert str(instability) == "(-1, -1/2]" and not instability.contains(-1) and instability.contains(Fraction(-3, 4))


def test_fixed_model_has_boolean_verdicts_and_exact_exponents():
    r = gammalab.predict(scheme="A", eta=Fraction(-1, 2))
    assert r.verdicts.every_step.stable is True and r.verdicts.every_step.feature_learning is False
    assert r.steps[0].exponents["A"] == Fraction(-1, 2) and r.steps[0].exponents["B"] == gammalab.NEG_INF
    assert r.steps[3].exponents["Z_A"] == Fraction(1, 2)
    assert r.max_stable_eta.value == Fraction(-1, 2)
    assert r.model.sigma_B == gammalab.NEG_INF and r.model.eta_A == Fraction(-1, 2)
    assert r.exponents().loc["Z_A", "t=3"] == Fraction(1, 2)


def test_symbolic_exponents_print_like_the_cli_and_evaluate():
    r = gammalab.predict(scheme="A")
    z_a = r.steps[2].exponents["Z_A"]
    assert isinstance(z_a, gammalab.SymbolicExponent)
    assert str(z_a) == cli_json("gamma", "predict", "--scheme", "A")["steps"][2]["exponents"]["Z_A"] == "max(0, eta + 1)"
    assert z_a.free == ["eta"]
    assert z_a(eta=Fraction(-1, 2)) == Fraction(1, 2) and z_a(eta=-2) == 0 and z_a.at({"eta": "-3/4"}) == Fraction(1, 4)
    # agrees with the engine's own numbers at that point
    fixed = gammalab.predict(scheme="A", eta=Fraction(-1, 4))
    for t in range(len(r.steps)):
        for key, value in r.steps[t].exponents.items():
            expected = fixed.steps[t].exponents[key]
            got = value(eta=Fraction(-1, 4)) if isinstance(value, gammalab.SymbolicExponent) else value
            assert got == expected, (t, key)
    # forms with fractions and two parameters
    e = gammalab.SymbolicExponent("max(-(1/2)*eta_A + 2*eta_B - 1/2, -eta_B)")
    assert e(eta_A=1, eta_B=1) == 1 and e(eta_A=0, eta_B=-1) == 1 and e.free == ["eta_A", "eta_B"]
    with pytest.raises(ValueError, match="eta_B"):
        e(eta_A=0)


@pytest.mark.parametrize("value,text", [(Fraction(-1, 2), "-1/2"), (Fraction(3, 4), "3/4"), (0, "0"), (Fraction(-2), "-2"),
                                        (gammalab.NEG_INF, "-inf"), (Fraction(7, 3), "7/3")])
def test_fraction_round_trip(value, text):
    # in as a Fraction, out as the same Fraction (or NEG_INF), printed as the CLI prints it
    r = gammalab.predict(scheme="custom", sigma_A=value, sigma_B=-1, eta=-2, steps=1)
    assert r.model.sigma_A == value
    assert isinstance(r.model.sigma_A, float if value == gammalab.NEG_INF else Fraction)
    assert r.steps[0].exponents["A"] == value
    assert gammalab.exponent_text(r.model.sigma_A) == text == r.to_dict()["model"]["sigma_A"]
    assert gammalab.exponent(text) == value


def test_decimal_floats_are_read_exactly():
    assert gammalab.predict(scheme="A", eta=-0.75).model.eta_A == Fraction(-3, 4)
    assert gammalab.predict(scheme="A", eta=0.1).model.eta_A == Fraction(1, 10)


def test_phase_vertices_are_fractions():
    p = gammalab.phase(scheme="A", x="eta_A", y="eta_B")
    assert p.box == (Fraction(-2), Fraction(1))
    efficient = p.from_settled["efficient"]
    assert [poly.vertices for poly in efficient] == [[(Fraction(1), Fraction(-2)), (Fraction(-1), Fraction(0))]]


def test_vocabulary_is_the_cores_and_names_match_in_any_case():
    vocabulary = gammalab.vocabulary()
    names = {concept: [term["name"] for term in terms] for concept, terms in vocabulary.items()
             if isinstance(terms, list) and concept not in ("verdicts", "engine_keys")}
    assert names["windows"] == ["every_step", "definition_5", "from_settled"]
    assert names["statistical_verdicts"] == ["agrees", "departs", "inconclusive", "undetermined"]
    assert names["trend_verdicts"] == ["converging", "steady", "moving away", "curved", "inconclusive", "undetermined"]
    assert names["multipliers"] == ["lora", "rslora"]
    assert names["scales"] == ["quick", "paper", "custom"]
    assert "B" in names["schemes"] and "custom" in names["schemes"]
    p = gammalab.phase(scheme="A", x="eta_A", y="eta_B")
    assert set(names["windows"]) <= set(p.fields())
    b = gammalab.solve(scheme="B").to_dict()
    assert gammalab.solve(scheme="b").to_dict() == b
    assert gammalab.solve(scheme="Init[B]").to_dict() == b
    assert gammalab.table(multiplier="RsLoRA").to_dict() == gammalab.table(multiplier="rslora").to_dict()
    assert gammalab.table(multiplier="1/2").to_dict()["multiplier"] == "rslora"


def test_table_rows():
    t = gammalab.table()
    a = t.scheme("A")
    assert a.columns == ["module", "network mup", "network sp"] or set(a.columns) == {"module", "network sp", "network mup"}
    assert a["network sp"]["max_stable_eta"].value == Fraction(-3, 4)
    assert str(a["module"]["internal_instability"]) == "(-1, -1/2]"
    assert a.sigma_B == gammalab.NEG_INF


def test_explain_lines():
    e = gammalab.explain(scheme="A", eta=Fraction(-1, 2), steps=2)
    assert {line.t for line in e.derivation} >= {0, 1, 2}  # at least the steps asked for
    z_a = [line for line in e.derivation if line.t == 2 and line.quantity == "Z_A"]
    assert z_a and z_a[0].result == Fraction(1, 2) and "LLN" in z_a[0].rule


# ---------------------------------------------------------------- bad input

BAD = [
    (lambda: gammalab.solve(scheme="Q"), "scheme", "--scheme"),
    (lambda: gammalab.solve(scheme="A", eta="-1//2"), "eta", "--eta"),
    (lambda: gammalab.predict(scheme="A", eta_A="x", eta_B=0), "eta_A", "--eta-A"),
    (lambda: gammalab.predict(scheme="custom", sigma_A=-1), "sigma_B", "--sigma-B"),
    (lambda: gammalab.predict(scheme="A", setting="moduel"), "setting", "--setting"),
    (lambda: gammalab.predict(scheme="A", readout="sp"), "readout", "--readout"),
    (lambda: gammalab.predict(scheme="A", optimizer="lion"), "optimizer", "--optimizer"),
    (lambda: gammalab.predict(scheme="A", ratio="a"), "ratio", "--ratio"),
    (lambda: gammalab.predict(scheme="A", alpha="1/0"), "alpha", "--alpha"),
    (lambda: gammalab.predict(scheme="A", subtract_initial="maybe"), "subtract_initial", "--subtract-initial"),
    (lambda: gammalab.predict(scheme="A", steps=65), "steps", "--steps"),
    (lambda: gammalab.predict(scheme="A", steps=10**20), "steps", "--steps"),
    (lambda: gammalab.predict(scheme="A", steps="2"), "steps", "--steps"),
    (lambda: gammalab.solve(scheme="A", eta=-1), "eta", "--eta"),
    (lambda: gammalab.phase(scheme="A", x="eta_A", y="eta_A"), "y", "--y"),
    (lambda: gammalab.phase(scheme="A", x="beta", y="eta_A"), "x", "--x"),
    (lambda: gammalab.phase(scheme="A", x="eta_A", y="eta_B", low=1, high=0), "high", "--high"),
    (lambda: gammalab.table(optimizer="lion"), "optimizer", "--optimizer"),
]


@pytest.mark.parametrize("call,argument,option", BAD, ids=[b[1] + str(i) for i, b in enumerate(BAD)])
def test_bad_input_raises_value_error_naming_the_argument(call, argument, option):
    with pytest.raises(ValueError) as caught:
        call()
    assert isinstance(caught.value, gammalab.InputError)
    assert caught.value.argument == argument
    assert str(caught.value).startswith(option + ":")


@pytest.mark.parametrize("python,cli", [
    (lambda: gammalab.solve(scheme="Q"), ["solve", "--scheme", "Q"]),
    (lambda: gammalab.solve(scheme="A", eta="-1//2"), ["solve", "--scheme", "A", "--eta", "-1//2"]),
    (lambda: gammalab.predict(scheme="custom", sigma_A=-1), ["predict", "--scheme", "custom", "--sigma-A", "-1"]),
    (lambda: gammalab.solve(scheme="A", eta=-1), ["solve", "--scheme", "A", "--eta", "-1"]),
    (lambda: gammalab.phase(scheme="A", x="eta_A", y="eta_A"), ["phase", "--scheme", "A", "--x", "eta_A", "--y", "eta_A"]),
])
def test_bad_input_message_is_the_clis(python, cli):
    status, _, stderr = run_cli("gamma", *cli, check=False)
    assert status == 2
    with pytest.raises(ValueError) as caught:
        python()
    assert stderr.strip() == "gammalab: " + str(caught.value)


def test_readme_python_lines_work(source, capsys):
    readme = (source / "README.md").read_text()
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(block.strip().splitlines()) == 3
    exec(compile(block, "README.md", "exec"), {})
    assert capsys.readouterr().out == "-1\n1/2\n"
    one_liner = [line for line in readme.splitlines() if line.startswith("$ PYTHONPATH=build/python /usr/bin/python3 -c")][0]
    code = one_liner.split(' -c "', 1)[1].rstrip('"')
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == "(-inf, -1/2]\n"


def test_a_float_in_exponent_notation_is_read_as_its_decimal():
    r = gammalab.predict(scheme="A", eta=1e-05, steps=1)
    assert r.model.eta_A == r.model.eta_B == Fraction(1, 100000)
