"""Bundle the chosen model of a feature set and penalty, with its preprocessing, for scoring new patients."""

from __future__ import annotations

import argparse

from riata.commands.common import add_model_arguments
from riata.settings import ClinicalSpec, Options, TrainSettings

CLINICAL = Options(ClinicalSpec)
TRAINING = Options(TrainSettings)
CONFIG_OPTIONS = (CLINICAL, TRAINING)
MODEL_FILES = ("metrics.tsv", "inputs.tsv", "model.pt")


def register_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser, MODEL_FILES, "the seeds of one feature set and penalty: the one with the lowest "
                        "validation loss is bundled")  # fmt: skip
    parser.add_argument("--features", required=True, help="folder written by `riata features` (reads "
                        "preprocessing.json)")  # fmt: skip
    parser.add_argument("--qc", help="folder written by `riata qc` (reads variants.tsv; models with genetic inputs)")
    parser.add_argument("--loadings", help="loadings written by `riata embed` (models using components)")
    parser.add_argument("--eigenvalues", help="eigenvalues.tsv written by `riata embed` (the shrinkage factors)")
    parser.add_argument("--prs-weights", help="weights.tsv written by `riata score` (models using the prs)")
    parser.add_argument("--prs-candidates", help="candidates.tsv written by `riata score` (the score's scale)")
    parser.add_argument("--out-dir", required=True, help="bundle folder to write (replaced if it exists)")


def run(arguments: argparse.Namespace) -> None:
    import dataclasses
    import logging

    import numpy as np
    import torch

    import riata
    from riata.bundle import write_bundle
    from riata.io.results import read_features, read_inputs, read_model_metrics
    from riata.io.tables import atomic_directory

    clinical, training = CLINICAL.read(arguments), TRAINING.read(arguments)
    metrics = [read_model_metrics(folder) for folder in arguments.models]
    best = int(np.argmin([m["validation_loss"] for m in metrics]))
    folder, chosen = arguments.models[best], metrics[best]
    model = torch.load(f"{folder}/model.pt", weights_only=True)
    inputs = read_inputs(folder)
    used = (model["parameters"][0].abs().sum(dim=1) > 0).numpy()
    _, _, preprocessing = read_features(arguments.features, splits=())
    genetic, variants = _genetic_part(arguments, inputs[used], preprocessing)
    description = {
        "riata_version": riata.__version__,
        "feature_set": chosen["feature_set"], "penalty": chosen["penalty"], "seed": int(chosen["seed"]),
        "lambda": float(chosen["lambda"]), "validation_loss": float(chosen["validation_loss"]),
        "outcome": model["outcome"], "hidden_layers": list(model["hidden_layers"]),
        "inputs": inputs[["column", "variable", "source"]].to_dict(orient="records"),
        "selected": list(dict.fromkeys(inputs.loc[used, "variable"])),
        "clinical": _jsonable(dataclasses.asdict(clinical)), "training": _jsonable(dataclasses.asdict(training)),
        "preprocessing": {key: preprocessing[key] for key in ("numeric", "categorical") if key in preprocessing},
        "genetic": genetic,
    }  # fmt: skip
    if "baseline_hazard" in model:
        description["baseline_hazard"] = {key: np.asarray(values).tolist() for key, values in
                                          model["baseline_hazard"].items()}  # fmt: skip
    with atomic_directory(arguments.out_dir) as out_dir:
        write_bundle(out_dir, description, model["parameters"], variants)
    logging.getLogger("riata").info(
        "bundled %s/%s seed %d (lowest validation loss of %d seeds): %d of %d variables, %s variants",
        chosen["feature_set"], chosen["penalty"], chosen["seed"], len(metrics), len(description["selected"]),
        inputs["variable"].nunique(), "no" if variants is None else len(variants),
    )  # fmt: skip


def _jsonable(value):
    """Settings as JSON values: tuples become lists."""
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return list(value) if isinstance(value, tuple) else value


def _genetic_part(arguments: argparse.Namespace, used, preprocessing: dict):
    """The genetic parameters and the variants table (module doc of :mod:`riata.bundle`) of the used inputs
    ``used`` (rows of inputs.tsv), or ({}, None) for a model that uses none."""
    import pandas as pd

    from riata.bundle import VARIANT_IDS
    from riata.errors import RiataError
    from riata.io.tables import read_table
    from riata.io.variant_tables import read_loadings

    sources = set(used["source"])
    if not sources & {"genetic", "prs", "snp"}:
        return {}, None
    if not arguments.qc:
        raise RiataError("bundle: a model with genetic inputs needs --qc")
    statistics = read_table(f"{arguments.qc}/variants.tsv", usecols=[*VARIANT_IDS, "pass"],
                            dtype={"snp": str, "chrom": str})  # fmt: skip
    variants = statistics[statistics["pass"]].drop(columns="pass").reset_index(drop=True)
    needed = pd.Series(False, index=variants.index)
    genetic = {}
    components = used.loc[used["source"] == "genetic", "column"].tolist()
    if components:
        ids, loadings = read_loadings(_required(arguments.loadings, "--loadings"))
        if not ids["snp"].reset_index(drop=True).equals(variants["snp"]):
            raise RiataError(f"{arguments.loadings}: its variants are not the QC-passing variants of {arguments.qc}")
        positions = [int(c.rsplit("_", 1)[1]) for c in components]
        spectrum = read_table(_required(arguments.eigenvalues, "--eigenvalues")).set_index("component")
        scaling = preprocessing["genetic"]
        genetic["components"] = {
            "columns": components, "shrinkage": spectrum.loc[components, "shrinkage"].tolist(),
            "mean": [scaling["mean"][j] for j in positions], "scale": [scaling["scale"][j] for j in positions],
        }  # fmt: skip
        for j, column in zip(positions, components, strict=True):
            variants[f"loading_{j}"] = loadings[column].to_numpy()
        needed[:] = True
    variants["score_weight"] = 0.0
    if "prs" in sources:
        genetic["prs"] = _score_scale(arguments)
        weights = read_table(_required(arguments.prs_weights, "--prs-weights"), dtype={"snp": str})
        weight_of = weights.set_index("snp")["weight"]
        variants["score_weight"] = variants["snp"].map(weight_of).fillna(0.0)
        needed |= variants["snp"].isin(weight_of.index)
    snps = used.loc[used["source"] == "snp", "column"]
    variants["snp_input"] = variants["snp"].isin(snps)
    needed |= variants["snp_input"]
    genetic["snps"] = int(variants["snp_input"].sum())
    return genetic, variants[needed].reset_index(drop=True)


def _score_scale(arguments: argparse.Namespace) -> dict:
    from riata.io.tables import read_table

    candidates = read_table(_required(arguments.prs_candidates, "--prs-candidates"))
    chosen = candidates[candidates["chosen"].astype(str) == "True"].iloc[0]
    return {"mean": float(chosen["training_mean"]), "sd": float(chosen["training_sd"])}


def _required(value: str | None, option: str) -> str:
    from riata.errors import RiataError

    if not value:
        raise RiataError(f"bundle: the model's inputs need {option}")
    return value
