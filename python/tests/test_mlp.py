"""The deep MLP engine from Python equals the program: gammalab.mlp(...).to_dict() is
`gammalab gamma mlp --json`, with exact exponents as attributes."""
from fractions import Fraction

import pytest

import gammalab
from conftest import cli_json

CASES = [
    (dict(parametrization="mup", optimizer="adam"), ["--parametrization", "mup", "--optimizer", "adam"]),
    (dict(parametrization="sp", alignment="none", layers=4), ["--parametrization", "sp", "--alignment", "none", "--layers", "4"]),
    (dict(parametrization="custom", a=[Fraction(-1, 2), 0, Fraction(1, 2)], b=Fraction(1, 2), c=0),
     ["--parametrization", "custom", "--a", "-1/2,0,1/2", "--b", "1/2", "--c", "0"]),
    (dict(parametrization="ntk", predict=True, explain=True), ["--parametrization", "ntk", "--predict", "--explain"]),
]


@pytest.mark.parametrize("keywords, cli", CASES, ids=[" ".join(cli) for _, cli in CASES])
def test_mlp_equals_the_program(keywords, cli):
    assert gammalab.mlp(**keywords).to_dict() == cli_json("gamma", "mlp", *cli)


def test_mlp_values_are_exact():
    result = gammalab.mlp("mup", optimizer="adam", alignment="full")
    assert result.stable and result.feature_learning
    assert result.r == 0
    assert [result.groups[g].max_stable for g in ("input", "hidden", "readout")] == [
        Fraction(-1, 2), Fraction(-1), Fraction(-1, 2)]
    assert gammalab.mlp("sp", optimizer="sgd").r is None  # not stable: no r
    assert gammalab.mlp("ntk").r == Fraction(1, 2)


def test_mlp_table_equals_the_program():
    table = gammalab.mlp_table(layers=2)
    assert table.to_dict() == cli_json("gamma", "mlp", "--table", "--layers", "2")
    assert len(table.rows) == 16


def test_mlp_bad_input_names_the_argument():
    with pytest.raises(gammalab.InputError, match="--alignment: unknown alignment 'partial'") as error:
        gammalab.mlp(alignment="partial")
    assert error.value.argument == "alignment"
    with pytest.raises(gammalab.InputError, match="--layers: '1'"):
        gammalab.mlp(layers=1)
