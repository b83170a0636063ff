"""The options several commands share: declared once, the same in every command."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.cli.options import (
    QUIET_HELP,
    SCHEDULER_HELP,
    SEED_HELP,
    WORKERS_HELP,
    chosen_seed,
)

COMMANDS = dict(main.commands)


def options_named(name: str) -> dict[str, click.Option]:
    """``--name`` of every command that has it, by command."""
    found = {}
    for command_name, command in COMMANDS.items():
        for param in command.params:
            if isinstance(param, click.Option) and f"--{name}" in param.opts:
                found[command_name] = param
    return found


def describe(option: click.Option) -> tuple[object, ...]:
    """What must not differ between two commands' copies of one shared option."""
    return (
        option.name,
        tuple(option.opts),
        option.default,
        option.is_flag,
        option.required,
        repr(option.type),
        option.metavar,
        option.help,
    )


@pytest.mark.parametrize(
    ("name", "commands", "help_text"),
    [
        ("seed", {"run", "sensitivity", "synth"}, SEED_HELP),
        ("workers", {"run", "sensitivity"}, WORKERS_HELP),
        ("scheduler", {"run", "sensitivity"}, SCHEDULER_HELP),
        ("quiet", {"run", "sensitivity"}, QUIET_HELP),
    ],
)
def test_a_shared_option_is_the_same_in_every_command(
    name: str, commands: set[str], help_text: str
) -> None:
    found = options_named(name)
    assert set(found) == commands
    assert {describe(option) for option in found.values()} == {describe(found[min(commands)])}
    assert all(option.help == help_text for option in found.values())


def test_seed_has_one_default_rule() -> None:
    for command, option in options_named("seed").items():
        # no default: every command applies chosen_seed, never a fixed number of its own
        assert option.default is None, command
        assert not option.show_default, command
        assert "Without it a new seed is chosen" in (option.help or "")


def test_force_and_out_are_declared_alike_wherever_they_occur() -> None:
    for command, option in options_named("force").items():
        assert option.is_flag, command
        assert option.help, command
    outs = options_named("out")
    assert set(outs) == {"run", "init", "synth", "compare", "plot", "sensitivity", "export"}
    for command, option in outs.items():
        assert option.name == "out", command
        assert isinstance(option.type, click.Path), command
        assert option.type.type is Path, command
    # only run writes a folder; every other --out is one file
    assert not outs["run"].type.file_okay
    assert all(not o.type.dir_okay for c, o in outs.items() if c != "run")


def test_format_defaults_to_its_first_choice_everywhere() -> None:
    for command, option in options_named("format").items():
        assert isinstance(option.type, click.Choice), command
        assert option.default == option.type.choices[0], command
        assert option.name == "fmt", command


def test_chosen_seed_keeps_a_given_seed_and_draws_a_new_one_otherwise() -> None:
    assert chosen_seed(0) == 0
    assert chosen_seed(7) == 7
    drawn = {chosen_seed(None) for _ in range(5)}
    assert all(0 <= seed < 2**32 for seed in drawn)
    # five draws from 2**32 seeds: equal ones would mean the seed is not drawn at all
    assert len(drawn) > 1


def synth(folder: Path, *seed: str) -> tuple[str, bytes]:
    target = folder / "data.yaml"
    args = ["synth", "--regions", "3", "--sectors", "1", "--out", str(target), *seed]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output, target.read_bytes() + (folder / "data.flows.csv").read_bytes()


def test_synth_without_a_seed_shows_the_seed_that_repeats_it(tmp_path: Path) -> None:
    output, first = synth(tmp_path / "a")
    shown = re.search(r"seed (\d+)\)$", output.strip())
    assert shown is not None, output
    _, repeated = synth(tmp_path / "b", "--seed", shown.group(1))
    assert repeated.replace(b"/b/", b"/a/") == first


def test_synth_still_takes_its_old_output_spelling(tmp_path: Path) -> None:
    for spelling in ("-o", "--output"):
        target = tmp_path / f"{spelling.strip('-')}.yaml"
        args = ["synth", "--regions", "2", "--sectors", "1", "--seed", "0", spelling, str(target)]
        assert CliRunner().invoke(main, args).exit_code == 0
        assert target.exists()


def test_the_sample_sizes_sensitivity_states_are_the_ones_it_uses() -> None:
    from sim.sensitivity import DEFAULT_SAMPLES

    text = options_named("samples")["sensitivity"].help or ""
    assert f"Morris trajectories (default {DEFAULT_SAMPLES['morris']})" in text
    assert f"(default {DEFAULT_SAMPLES['sobol']})" in text
