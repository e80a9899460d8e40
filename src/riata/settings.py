"""Settings dataclasses whose fields carry their own help text, turned into command-line options."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, TypeVar

Settings = TypeVar("Settings")


def setting(default: Any, help: str) -> Any:  # noqa: A002 - mirrors argparse's keyword
    """A dataclass field with a default and the help text its command-line option shows."""
    if isinstance(default, list | tuple):
        return dataclasses.field(default=tuple(default), metadata={"help": help})
    return dataclasses.field(default=default, metadata={"help": help})


def add_settings_arguments(parser: argparse.ArgumentParser, settings_class: type) -> None:
    """Add one ``--field-name`` option per field of ``settings_class``, typed by its default."""
    group = parser.add_argument_group(f"{settings_class.__name__} options")
    for field in dataclasses.fields(settings_class):
        option = "--" + field.name.replace("_", "-")
        help_text = f"{field.metadata.get('help', '')} (default: {field.default})"
        if isinstance(field.default, tuple):
            group.add_argument(option, type=int, nargs="*", default=field.default, help=help_text)
        elif field.default is None:
            group.add_argument(option, type=float, default=None, help=help_text)
        else:
            group.add_argument(option, type=type(field.default), default=field.default, help=help_text)


def settings_from_arguments(arguments: argparse.Namespace, settings_class: type[Settings]) -> Settings:
    """Build ``settings_class`` from the options added by :func:`add_settings_arguments`."""
    values = {}
    for field in dataclasses.fields(settings_class):
        value = getattr(arguments, field.name)
        values[field.name] = tuple(value) if isinstance(field.default, tuple) else value
    return settings_class(**values)
