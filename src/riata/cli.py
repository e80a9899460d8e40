"""``riata <verb>``: one sub-command per module of :mod:`riata.commands`.

A :class:`~riata.errors.RiataError` or a file-system error (a path too long, a folder not writable) is printed
as one ``ERROR: <message>`` line and exits with status 2. Any other exception is a bug in riata: it is printed
as one ``ERROR:`` line too (exit status 1), with the traceback only when ``RIATA_TRACEBACK=1`` is set.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from riata import __version__
from riata.commands import COMMANDS, verb_of
from riata.errors import RiataError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riata", description="Which clinical and genetic variables does a neural network actually need?"
    )
    parser.add_argument("--version", action="version", version=f"riata {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for command in COMMANDS:
        summary = command.__doc__.strip().splitlines()[0]
        subparser = verbs.add_parser(verb_of(command), help=summary, description=summary)
        command.register_arguments(subparser)
        for options in command.CONFIG_OPTIONS:
            options.add_to(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s riata %(levelname)s %(message)s", stream=sys.stderr)
    for noisy in ("msprime", "matplotlib", "distributed", "numexpr"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``riata`` command; returns the exit status."""
    arguments = build_parser().parse_args(argv)
    configure_logging()
    try:
        arguments.run(arguments)
    except RiataError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"ERROR: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except Exception as error:
        if os.environ.get("RIATA_TRACEBACK") == "1":
            raise
        print(f"ERROR: riata {arguments.verb} failed unexpectedly ({type(error).__name__}: {error}); this is a bug "
              "in riata: please report it with the command (RIATA_TRACEBACK=1 shows where it failed)",
              file=sys.stderr)  # fmt: skip
        return 1
    return 0
