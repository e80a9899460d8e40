"""The workflow's config schema and riata's own defaults must agree, and the shipped configs validate."""

from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from riata.cli import build_parser
from riata.settings import EmbeddingSettings, SimulationSettings, TrainSettings

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())


def schema_defaults(section):
    return {name: spec.get("default") for name, spec in SCHEMA["properties"][section]["properties"].items()}


@pytest.mark.parametrize(
    ("section", "settings_class"),
    [("simulate", SimulationSettings), ("training", TrainSettings), ("embedding", EmbeddingSettings)],
)
def test_settings_defaults_equal_the_schema_defaults(section, settings_class):
    defaults = schema_defaults(section)
    for field in settings_class.__dataclass_fields__.values():
        expected = list(field.default) if isinstance(field.default, tuple) else field.default
        assert defaults[field.name] == expected, field.name


@pytest.mark.parametrize(
    ("verb", "section", "names"),
    [
        ("split", "split", ["validation_share", "test_share", "seed", "min_matched"]),
        ("qc", "qc", ["min_sample_call_rate", "min_call_rate", "min_maf", "min_hwe_p"]),
        ("qc", "genotypes", ["block_variants"]),
    ],
)
def test_command_line_defaults_equal_the_schema_defaults(verb, section, names):
    subparser = build_parser()._subparsers._group_actions[0].choices[verb]
    defaults = schema_defaults(section)
    for name in names:
        assert subparser.get_default(name) == defaults[name], name


def test_every_schema_key_has_a_description():
    def walk(properties, where):
        for name, spec in properties.items():
            assert spec.get("description"), f"{where}{name}"
            if "properties" in spec:
                walk(spec["properties"], f"{where}{name}.")

    walk(SCHEMA["properties"], "")


@pytest.mark.parametrize("config_file", sorted((ROOT / "config").glob("*.yaml")))
def test_shipped_configs_validate(config_file):
    config = yaml.safe_load(config_file.read_text())
    validate(config, str(ROOT / "workflow" / "schemas" / "config.schema.yaml"))
    assert config["training"]["patience"] >= 0  # defaults were filled in


def test_the_workflow_expects_the_files_riata_train_writes():
    from riata.steps import SEED_FILES

    common = (ROOT / "workflow" / "rules" / "common.smk").read_text()
    listed = common.split("SEED_FILES = [", 1)[1].split("]", 1)[0]
    assert [name.strip().strip('",') for name in listed.split() if name.strip()] == list(SEED_FILES)
