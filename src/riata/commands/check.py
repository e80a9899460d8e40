"""Validate a workflow config and preview its inputs, or print the schema configs are checked against."""

from __future__ import annotations

import argparse

CONFIG_OPTIONS = ()


def register_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--config", help="config YAML file: validated (a misspelt key gets the nearest valid one), "
                      "then its inputs are read and described")  # fmt: skip
    what.add_argument(
        "--schema",
        action="store_true",
        help="print the config's JSON schema (every key: type, default, allowed values, meaning)",
    )


def run(arguments: argparse.Namespace) -> None:
    import yaml

    from riata.config import describe_config
    from riata.settings import config_schema

    if arguments.schema:
        print(yaml.safe_dump(config_schema(), sort_keys=False, width=120), end="")
    else:
        print(describe_config(arguments.config))
