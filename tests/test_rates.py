"""Rates as people write them: fractions and percent strings, and a hint for bare percents."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.rates import RATE_FIELDS, parse_rate
from sim.scenario import load_scenario
from sim.scenarios import load_any_scenario

TARIFF = """\
name: {name}
start: 2023Q1
end: 2023Q4
policies:
  - id: duty
    type: tariff
    sector: seafood
    exporters: [JPN]
    importers: [CHN]
    rate: {rate}
    start: 2023Q2
"""


def tariff(tmp_path: Path, name: str, rate: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(TARIFF.format(name=name, rate=rate))
    return path


@pytest.mark.parametrize(
    ("written", "fraction"),
    [(0.25, 0.25), ("25%", 0.25), (" 25 % ", 0.25), ("500%", 5.0), ("-5%", -0.05), (1, 1.0),
     (-0.5, -0.5), ("0.5%", 0.005), ("1e2%", 1.0)],
)  # fmt: skip
def test_fractions_and_percents_parse_to_the_same_rate(written: object, fraction: float) -> None:
    assert parse_rate(written) == pytest.approx(fraction, rel=1e-15)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (25, "25 would be 2500%: a bare number is a fraction (0.25 is 25%); write '25%' or 0.25"),
        (
            1.5,
            "1.5 would be 150%: a bare number is a fraction (0.25 is 25%); write '1.5%' or 0.015",
        ),
        (-3, "-3 would be -300%: a bare number is a fraction (0.25 is 25%); write '-3%' or -0.03"),
        ("25", "expected a fraction (0.25) or a percent ('25%'), got '25'"),
        ("%", "expected a fraction (0.25) or a percent ('25%'), got '%'"),
        ("nan%", "expected a fraction (0.25) or a percent ('25%'), got 'nan%'"),
        ("inf%", "expected a fraction (0.25) or a percent ('25%'), got 'inf%'"),
        (True, "expected a fraction (0.25) or a percent ('25%'), got True"),
        (float("inf"), "expected a finite number, got inf"),
    ],
)
def test_bad_rates_are_refused_with_a_reason(written: object, message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_rate(written)
    assert str(error.value) == message


def test_rate_25_is_refused_in_one_line_naming_file_line_column_and_field(tmp_path: Path) -> None:
    path = tariff(tmp_path, "duty", "25")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {path}:10:11: policies[0].rate: 25 would be 2500%: a bare number is a "
        "fraction (0.25 is 25%); write '25%' or 0.25\n"
    )
    assert not out.exists()


def test_rate_25_percent_gives_the_bytes_of_rate_0_25(tmp_path: Path) -> None:
    runner = CliRunner()
    for name, rate in (("fraction", "0.25"), ("percent", '"25%"')):
        path = tariff(tmp_path, "duty", rate)
        result = runner.invoke(main, ["run", str(path), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    for table in ("flows.csv", "prices.csv", "welfare.csv", "summary.csv"):
        percent = (tmp_path / "percent" / "duty" / table).read_bytes()
        assert percent == (tmp_path / "fraction" / "duty" / table).read_bytes(), table


def test_500_percent_is_a_rate_of_5(tmp_path: Path) -> None:
    scenario = load_scenario(tariff(tmp_path, "duty", '"500%"'))
    assert scenario.policies[0].rate == 5.0


@pytest.mark.parametrize(
    ("field", "policy", "written", "value"),
    [
        ("coverage", "type: ban", '"91%"', 0.91),
        ("cost", "type: trade_cost", '"2%"', 0.02),
        ("change", "type: demand_shock", '"-5%"', -0.05),
        ("increase", "type: tariff", '"10%"', 0.10),
        ("tax_equivalent", "type: export_control", '"150%"', 1.5),
    ],
)
def test_every_rate_field_takes_a_percent(
    tmp_path: Path, field: str, policy: str, written: str, value: float
) -> None:
    assert field in RATE_FIELDS
    text = TARIFF.format(name="p", rate="0").replace("type: tariff", policy)
    text = text.replace("    rate: 0\n", f"    {field}: {written}\n")
    if policy == "type: demand_shock":
        text = text.replace("    exporters: [JPN]\n", "")
    path = tmp_path / "p.yaml"
    path.write_text(text + "demand_growth: {CHN: '3%'}\n")
    scenario = load_scenario(path)
    assert getattr(scenario.policies[0], field) == pytest.approx(value, rel=1e-15)
    assert scenario.demand_growth == {"CHN": 0.03}


def test_a_percent_outside_the_allowed_range_names_the_bound(tmp_path: Path) -> None:
    text = TARIFF.format(name="p", rate="0").replace("type: tariff", "type: ban")
    path = tmp_path / "p.yaml"
    path.write_text(text.replace("    rate: 0\n", "    coverage: '150%'\n"))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {path}:10:15: policies[0].coverage: '150%' is above the allowed maximum 1 (100%)\n"
    )


def test_a_gravity_tariff_takes_a_percent(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        "name: g\nmodel: gravity\ndataset: gegravity-sample-2006\npolicies:\n"
        "  - {id: t, type: tariff, rate: '25%', exporters: CHN, importers: USA}\n"
    )
    (policy,) = load_any_scenario(path).policies
    assert policy.rate == 0.25
