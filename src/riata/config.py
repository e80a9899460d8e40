"""The workflow's configuration: validation against the schema with clear messages, and a preview.

Used by ``riata check --config FILE`` and by the workflow itself (workflow/rules/common.smk), so a
misspelt key or a bad value is reported the same way, with the nearest valid key, before anything runs.
The schema comes from :mod:`riata.settings` (:func:`riata.settings.config_schema`).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import jsonschema
import pandas as pd
import yaml

from riata.errors import RiataError
from riata.io.clinical import OUTCOME, OUTCOME_TIME, ClinicalTable, read_clinical
from riata.settings import FEATURE_SET_SOURCES, SECTIONS, ClinicalSpec, SplitSettings, config_schema, from_config


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


def validate_config(config: dict, *, source: str = "config") -> dict:
    """Check ``config`` against the schema and fill in defaults; returns the completed config.

    Errors are RiataErrors naming the key: unknown keys get the nearest valid key, bad values the
    schema's expectation, and a cohort name that would leave results/ is refused.
    """
    schema = config_schema()
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
        raise RiataError(f"{source}: {key}: {error.message}{_quoting_hint(error)}")
    for settings_class in SECTIONS:  # the checks across settings of each section
        try:
            from_config(settings_class, completed[settings_class.section])
        except RiataError as problem:
            raise RiataError(f"{source}: {problem}") from None
    _check_inputs(completed, source)
    _check_knockoff_feature_sets(config, completed, source)
    return completed


def _check_knockoff_feature_sets(given: dict, completed: dict, source: str) -> None:
    """Knockoff feature sets given in the config must be trained; the default ones are kept where trained."""
    trained = completed["training"]["feature_sets"]
    if "feature_sets" in (given.get("knockoffs") or {}):
        missing = [fs for fs in completed["knockoffs"]["feature_sets"] if fs not in trained]
        if missing:
            raise RiataError(f"{source}: knockoffs.feature_sets: {missing[0]!r} is not among training.feature_sets")
    else:
        completed["knockoffs"]["feature_sets"] = [fs for fs in completed["knockoffs"]["feature_sets"] if fs in trained]


def _quoting_hint(error: jsonschema.ValidationError) -> str:
    """For text the YAML reader turned into a boolean or a number: how to keep it text."""
    expected = error.validator_value if error.validator == "type" else []
    if "string" not in ([expected] if isinstance(expected, str) else expected):
        return ""
    if isinstance(error.instance, bool):
        return ("; YAML reads an unquoted yes, no, on, off, true or false as a boolean: put the value in quotes, "
                'e.g. "yes"')  # fmt: skip
    if isinstance(error.instance, int | float):
        return f'; YAML reads an unquoted number as a number: put the value in quotes, e.g. "{error.instance}"'
    return ""


def uses_genotypes(config: dict) -> bool:
    """Whether a (validated) config trains a feature set with genetic inputs."""
    return any(fs != "clinical" for fs in config["training"]["feature_sets"])


def _check_inputs(config: dict, source: str) -> None:
    """The input files a config needs, and feature sets its data can give."""
    if not config["simulate"]["enabled"]:
        if not config["clinical"].get("path"):
            raise RiataError(f"{source}: clinical.path is required unless simulate.enabled is true")
        if uses_genotypes(config) and not config["genotypes"].get("path"):
            raise RiataError(f"{source}: genotypes.path is required for the genetic feature sets")
    tabular = config["simulate"]["enabled"] and config["simulate"]["kind"] != "cohort"
    if tabular and uses_genotypes(config):
        raise RiataError(
            f"{source}: simulate.kind {config['simulate']['kind']} has no genotypes; "
            "set training.feature_sets to [clinical]"
        )


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (plain YAML keeps the last value)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise RiataError(f"line {key_node.start_mark.line + 1}: key {key!r} is given twice in one section; "
                                 "YAML would silently keep the last value")  # fmt: skip
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> dict:
    """A config file's mapping, parsed with duplicate keys refused (errors name the file and line)."""
    path = Path(path)
    if not path.is_file():
        raise RiataError(f"{path}: config file not found")
    try:
        return yaml.load(path.read_text(), Loader=_UniqueKeyLoader) or {}  # a SafeLoader subclass
    except yaml.YAMLError as error:
        raise RiataError(f"{path}: not valid YAML ({getattr(error, 'problem', error)})") from None
    except RiataError as error:
        raise RiataError(f"{path}: {error}") from None


def read_config(path: str | Path) -> dict:
    """A config file, validated and completed with defaults."""
    return validate_config(read_yaml(path), source=str(path))


def describe_config(path: str | Path) -> str:
    """``riata check``: validate a config and describe what it would read (samples, outcome balance,
    covariates and their types, genotypes)."""
    config = read_config(path)
    lines = [f"{path}: valid; cohort {config['cohort']!r}, results in results/{config['cohort']}/"]
    if config["simulate"]["enabled"]:
        lines.append(f"simulated data ({config['simulate']['kind']}): no input files to read")
        return "\n".join(lines)
    table = read_clinical(config["clinical"]["path"], from_config(ClinicalSpec, config["clinical"]))
    lines += _describe_clinical(config, table)
    if uses_genotypes(config):
        lines += _describe_genotypes(config, table)
    else:
        _describe_split(config, table)
    if config["truth"]["path"]:
        lines.append(_describe_truth(config))
    return "\n".join(lines)


def _describe_truth(config: dict) -> str:
    """The truth file checked as the workflow's truth step checks it (SNP ids against the .bim when the analysis
    reads PLINK 1 genotypes)."""
    from riata.io.plink import plink_paths
    from riata.io.truth import read_checked_truth

    reads_bed = uses_genotypes(config) and config["genotypes"]["format"] == "bed"
    bim = plink_paths(config["genotypes"]["path"])["bim"] if reads_bed else None
    truth = read_checked_truth(config["truth"]["path"], config["clinical"]["path"], bim)
    counts = truth.groupby(["kind", "role"]).size()
    listed = ", ".join(f"{n} {role} {kind}" for (kind, role), n in counts.items())
    return f"truth {config['truth']['path']}: {listed}"


def _describe_clinical(config: dict, table: ClinicalTable) -> list[str]:
    frame, spec = table.frame, table.spec
    lines = [f"clinical table {config['clinical']['path']}: {len(frame)} samples with an outcome"]
    if spec.outcome_type == "continuous":
        values = frame[OUTCOME]
        lines.append(f"  outcome {spec.outcome}: mean {values.mean():.4g}, sd {values.std():.4g}, "
                     f"range {values.min():.4g} .. {values.max():.4g}")  # fmt: skip
    else:
        counts = frame[OUTCOME].value_counts().sort_index()
        balance = ", ".join(f"{table.classes[code]}: {n} ({100 * n / len(frame):.1f}%)" for code, n in counts.items())
        lines.append(f"  outcome {spec.outcome} ({spec.outcome_type}): {balance}")
    if spec.outcome_type == "survival":
        times = frame[OUTCOME_TIME]
        horizon = spec.horizon if spec.horizon is not None else "the training samples' median follow-up"
        lines.append(f"  time {spec.time_column}: median {times.median():.4g}, range {times.min():.4g} .. "
                     f"{times.max():.4g}; horizon {horizon}")  # fmt: skip
    declared = bool(config["clinical"]["numeric"] or config["clinical"]["categorical"])
    lines.append(f"  covariates ({'declared' if declared else 'inferred: declare them to change a type'}):")
    for column in spec.covariates:
        kind = "numeric" if column in spec.numeric else f"categorical, {frame[column].nunique()} levels"
        lines.append(f"    {column}: {kind}, {100 * frame[column].isna().mean():.1f}% missing")
    return lines


def _describe_genotypes(config: dict, table: ClinicalTable) -> list[str]:
    genotypes = config["genotypes"]
    if genotypes["format"] != "bed":
        _describe_split(config, table)
        return [f"genotypes {genotypes['path']} ({genotypes['format']}): converted to PLINK 1 by the workflow's "
                "first step"]  # fmt: skip
    from riata.io.plink import check_bed, plink_paths, read_bim, read_fam

    paths = plink_paths(genotypes["path"])  # read in the workflow's order: the split's files, then QC's
    fam = read_fam(paths["fam"], use_fid=table.spec.fid_column is not None)
    split = _describe_split(config, table, fam["sample_id"].tolist(), paths["fam"])
    n_variants = len(read_bim(paths["bim"]))
    check_bed(paths["bed"], len(fam), n_variants)
    if any("genetic" in FEATURE_SET_SOURCES[fs] for fs in config["training"]["feature_sets"]):
        from riata.embedding import check_embedding_size

        check_embedding_size(config["embedding"]["n_components"], int((split == "train").sum()), n_variants)
    in_both = len(split)
    return [
        f"genotypes {genotypes['path']}: {len(fam)} samples x {n_variants} variants",
        f"  samples: {in_both} in both files, {len(table.frame) - in_both} only in the clinical table, "
        f"{len(fam) - in_both} only genotyped",
    ]


def _describe_split(config: dict, table: ClinicalTable, genotype_ids: list[str] | None = None,
                    genotype_file: Path | None = None) -> pd.Series:  # fmt: skip
    """The split ``riata split`` would make (refused as it would refuse it)."""
    from riata.split import split_samples

    return split_samples(table.frame[OUTCOME], from_config(SplitSettings, config["split"]),
                         outcome_type=table.spec.outcome_type, clinical_file=config["clinical"]["path"],
                         genotype_ids=genotype_ids, genotype_file=genotype_file or "genotypes")  # fmt: skip
