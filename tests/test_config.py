"""Settings are defined once (riata.settings): the config schema, the verbs' options and the options the
workflow passes all come from them, every config setting reaches a verb, and the shipped configs validate."""

import argparse
import dataclasses
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from riata.commands import COMMANDS, config_options, verb_of
from riata.config import validate_config
from riata.errors import RiataError
from riata.settings import SECTIONS, ClinicalSpec, Options, SplitSettings, TrainSettings, config_schema

ROOT = Path(__file__).resolve().parents[1]


def changed_value(field, kind):
    """A valid value of a setting other than its default."""
    spec, default = field.metadata, field.default
    if kind.is_list:
        values = {str: ("A", "B"), int: (7, 5), float: (0.01, 0.3)}[kind.python]
        return list(spec["choices"][:1] if spec["choices"] else values)
    if spec["choices"]:
        return next(choice for choice in spec["choices"] if choice != default)
    if default is None or default is dataclasses.MISSING:  # nullable, or required
        return {float: 2.5, str: "local", int: 3}[kind.python]
    if kind.python is bool:
        return not default
    if kind.python is int:
        return default + 1
    if kind.python is float:
        return default / 2 if default else 0.5
    return f"{default}_other"


def command(verb):
    return next(c for c in COMMANDS if verb_of(c) == verb)


def changed_section(settings_class):
    section = {field.name: changed_value(field, kind) for field, kind in settings_class.fields()}
    if settings_class is ClinicalSpec:  # a time column is only for survival outcomes; a covariate has one type
        section |= {"outcome_type": "survival", "time_column": "follow_up", "categorical": ["C"]}
    return section


@pytest.mark.parametrize("options", [o for c in COMMANDS for o in c.CONFIG_OPTIONS], ids=repr)
def test_options_a_rule_passes_give_the_verb_the_config_values(options):
    section = changed_section(options.settings)
    parser = argparse.ArgumentParser()
    options.add_to(parser)
    settings = options.read(parser.parse_args(options.words(section)))
    for field, kind in options.fields():
        expected = tuple(section[field.name]) if kind.is_list else section[field.name]
        assert getattr(settings, field.name) == expected, field.name
        assert expected != (tuple(field.default) if kind.is_list else field.default), field.name


def test_every_config_setting_reaches_a_verb():
    """Each setting the workflow does not read itself is an option of at least one verb."""
    taken = {(o.settings.section, f.name) for c in COMMANDS for o in c.CONFIG_OPTIONS for f, _ in o.fields()}
    settings = {(s.section, f.name) for s in SECTIONS for f, _ in s.fields() if not f.metadata["workflow"]}
    assert settings - taken == set()
    features = {(o.settings.section, f.name) for o in command("features").CONFIG_OPTIONS for f, _ in o.fields()}
    assert ("clinical", "missing") in features


def test_a_rule_command_line_parses_with_the_verb_parser():
    from riata.cli import build_parser

    config = validate_config(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()))
    config["training"]["lambda_max"] = 0.5
    words = shlex.split(config_options("train", config))
    arguments = build_parser().parse_args(["train", "--features", "f", "--feature-set", "clinical", "--penalty",
                                           "l1", "--out-dir", "o", *words])  # fmt: skip
    settings = command("train").TRAINING.read(arguments)
    assert settings.lambda_max == 0.5 and settings.seeds == (1, 2, 3)
    assert settings.warm_start is False and settings.adaptive is True  # booleans of either default


def test_schema_describes_every_setting_with_its_default_and_bounds():
    schema = config_schema()
    training = schema["properties"]["training"]["properties"]
    assert training["learning_rate"] == {"type": "number", "exclusiveMinimum": 0, "default": 0.02,
                                         "description": "Learning rate."}  # fmt: skip
    assert training["lambda_max"]["type"] == ["number", "null"]
    assert training["penalties"]["items"]["enum"][-1] == "sparse_group_lasso"
    assert schema["properties"]["clinical"]["required"] == ["id_column", "outcome"]
    assert schema["required"] == ["cohort", "clinical"]

    def walk(properties, where):
        for name, spec in properties.items():
            assert spec.get("description"), f"{where}{name}"
            if "properties" in spec:
                walk(spec["properties"], f"{where}{name}.")

    walk(schema["properties"], "")


def test_riata_check_prints_the_schema():
    result = subprocess.run([sys.executable, "-m", "riata", "check", "--schema"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == config_schema()


@pytest.mark.parametrize("config_file", sorted((ROOT / "config").glob("*.yaml")))
def test_shipped_configs_validate(config_file):
    config = validate_config(yaml.safe_load(config_file.read_text()))
    assert config["training"]["patience"] >= 0  # defaults were filled in


def test_validation_runs_the_checks_across_settings():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["simulate"]["n_causal_snps"] = 10**6
    with pytest.raises(RiataError, match="config: simulate: n_causal_snps must be at most n_snps"):
        validate_config(config)


def test_settings_check_their_values_when_made():
    with pytest.raises(RiataError, match=r"training: every value of hidden_layers must be at least 1, got 0"):
        TrainSettings(hidden_layers=[16, 0])
    with pytest.raises(RiataError, match=r"training: seeds needs at least one value and no value twice"):
        TrainSettings(seeds=[1, 1])
    with pytest.raises(RiataError, match=r"split: validation_share \+ test_share is 1; it must be below 1"):
        SplitSettings(validation_share=0.5, test_share=0.5)
    with pytest.raises(RiataError, match="clinical: missing must be one of impute, refuse, got 'drop'"):
        ClinicalSpec(id_column="id", outcome="y", missing="drop")
    assert TrainSettings(hidden_layers=[8]).hidden_layers == (8,)  # lists are kept as tuples
    assert Options(ClinicalSpec, only=("outcome",)).fields()[0][0].name == "outcome"
