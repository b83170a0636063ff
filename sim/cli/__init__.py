"""The ``tradesim`` command line: parse, call, print. No economics here.

One module per group of commands; each registers its commands on the group ``main`` here.
Only click and :mod:`sim.errors` are imported at module level so that ``tradesim --help``
stays fast; numpy, scipy and YAML are imported inside the commands.
"""

from __future__ import annotations

import click

from sim._version import __version__
from sim.cli.analysis import backcast, sensitivity
from sim.cli.compare import compare
from sim.cli.inspect import init, list_scenarios, show, sources, synth, validate
from sim.cli.output import export, plot
from sim.cli.run import run

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tradesim")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
def main(debug: bool) -> None:
    """Tradesim: simulate trade-policy scenarios on a quarterly path.

    \b
    Example:
        tradesim run scenarios/seafood-ban-lifted.yaml
        tradesim sources
    """
    from sim.allocator import reuse_freed_memory
    from sim.files import install_signal_cleanup

    install_signal_cleanup()
    reuse_freed_memory()


for _command in (
    run,
    validate,
    show,
    list_scenarios,
    init,
    synth,
    backcast,
    sources,
    compare,
    plot,
    sensitivity,
    export,
):
    main.add_command(_command)
