"""The workflow's configuration: validation against the schema with clear messages, and a preview.

Used by ``riata check --config FILE`` and by the workflow itself (workflow/rules/common.smk), so a
misspelt key or a bad value is reported the same way, with the nearest valid key, before anything runs.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import jsonschema
import yaml

from riata.errors import RiataError

SCHEMA = Path("workflow") / "schemas" / "config.schema.yaml"


def find_schema(start: str | os.PathLike) -> Path:
    """The workflow's schema: in ``start`` or a folder above it, else in this source tree."""
    for folder in [Path(start).resolve(), *Path(start).resolve().parents, Path(__file__).resolve().parents[2]]:
        if (folder / SCHEMA).is_file():
            return folder / SCHEMA
    raise RiataError(f"cannot find {SCHEMA} above {start}; run riata check from the workflow's folder")


def load_schema(path: str | os.PathLike | None = None) -> dict:
    return yaml.safe_load(Path(path or find_schema(Path.cwd())).read_text())


def _unknown_keys(config: dict, schema: dict, where: str, source: str) -> None:
    """Raise for the first key the schema does not know, naming the nearest valid key."""
    properties = schema.get("properties", {})
    for key, value in config.items():
        if key not in properties:
            nearest = difflib.get_close_matches(str(key), list(properties), n=1, cutoff=0.5)
            hint = f" (did you mean '{where}{nearest[0]}'?)" if nearest else f" (valid keys: {', '.join(properties)})"
            raise RiataError(f"{source}: unknown key '{where}{key}'{hint}")
        if isinstance(value, dict) and properties[key].get("type") == "object":
            _unknown_keys(value, properties[key], f"{where}{key}.", source)


def _fill_defaults(config: dict, schema: dict) -> None:
    for key, spec in schema.get("properties", {}).items():
        if key not in config and "default" in spec:
            config[key] = spec["default"] if not isinstance(spec["default"], dict) else {}
        if isinstance(config.get(key), dict) and spec.get("type") == "object":
            _fill_defaults(config[key], spec)


def validate_config(config: dict, *, source: str = "config", schema: dict | None = None) -> dict:
    """Check ``config`` against the schema and fill in defaults; returns the completed config.

    Errors are RiataErrors naming the key: unknown keys get the nearest valid key, bad values the
    schema's expectation, and a cohort name that would leave results/ is refused.
    """
    schema = schema or load_schema()
    if not isinstance(config, dict):
        raise RiataError(f"{source}: the configuration must be a mapping of keys to values")
    _unknown_keys(config, schema, "", source)
    completed = yaml.safe_load(yaml.safe_dump(config))  # a deep copy
    _fill_defaults(completed, schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(completed), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        key = ".".join(str(p) for p in error.path) or "(top level)"
        if error.validator == "pattern" and key == "cohort":
            raise RiataError(
                f"{source}: cohort {error.instance!r} must be a plain name (letters, digits, '_', '.', '-'; "
                "no '/' or leading '.'), so results stay under results/"
            )
        raise RiataError(f"{source}: {key}: {error.message}")
    _check_values(completed, source)
    return completed


def _check_values(config: dict, source: str) -> None:
    """Checks across keys that a schema cannot express."""
    split = config["split"]
    if split["validation_share"] + split["test_share"] >= 1:
        raise RiataError(
            f"{source}: split.validation_share + split.test_share is "
            f"{split['validation_share'] + split['test_share']:g}; it must be below 1"
        )
    if not config["simulate"]["enabled"]:
        if not config["clinical"].get("path"):
            raise RiataError(f"{source}: clinical.path is required unless simulate.enabled is true")
        genetic = any(fs in ("genetic", "clinical_genetic") for fs in config["training"]["feature_sets"])
        if genetic and not config["genotypes"].get("path"):
            raise RiataError(f"{source}: genotypes.path is required for the genetic feature sets")
    tabular = config["simulate"]["enabled"] and config["simulate"]["kind"] != "cohort"
    if tabular and any(fs != "clinical" for fs in config["training"]["feature_sets"]):
        raise RiataError(
            f"{source}: simulate.kind {config['simulate']['kind']} has no genotypes; "
            "set training.feature_sets to [clinical]"
        )
