"""riata's own result files: every reader and writer of the tables the verbs pass to each other.

``split.tsv`` (sample_id, split), the QC folder, the embedding's components and spectrum, the features
folder (design tables per split, column metadata, fitted preprocessing) and each trained model's folder
(``seed<N>/``: :data:`SEED_FILES`). Writers take temporary paths from
:func:`riata.io.tables.atomic_outputs`, or write atomically themselves, so a failed step leaves nothing
that looks finished. Per-variant tables (loadings, association statistics) have their own module,
:mod:`riata.io.variant_tables`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from riata.errors import RiataError
from riata.io.clinical import OUTCOME, OUTCOME_TIME
from riata.io.tables import atomic_outputs, read_table
from riata.settings import SPLITS

if TYPE_CHECKING:
    from riata.features import DesignMatrices
    from riata.qc import QcResult
    from riata.tasks import Task
    from riata.train import SeedResult

QC_FILES = ("samples.tsv", "variants.tsv", "summary.tsv", "split.tsv")
FEATURE_FILES = {**{split: f"{split}.tsv" for split in SPLITS}, "columns": "columns.tsv",
                 "parameters": "preprocessing.json"}  # fmt: skip
SEED_FILES = (
    "metrics.tsv", "first_layer.tsv", "path.tsv", "predictions.tsv", "model.pt", "training.tsv",
    "first_layer_epochs.tsv", "first_layer.png", "stability_refits.tsv", "inputs.tsv",
)  # fmt: skip


def read_split(path: str | Path) -> pd.Series:
    """split.tsv as a Series: sample id -> train/validation/test."""
    table = read_table(path, dtype={"sample_id": str})
    if list(table.columns[:2]) != ["sample_id", "split"] or not table["split"].isin(SPLITS).all():
        raise RiataError(f"{path}: not a riata split table (columns sample_id, split)")
    return table.set_index("sample_id")["split"]


def write_split(split: pd.Series, path: str | Path) -> None:
    """A Series sample id -> split name as split.tsv (a path of its own, or a temporary one)."""
    split.rename_axis("sample_id").rename("split").reset_index().to_csv(path, sep="\t", index=False)


def write_qc(result: QcResult, out_dir: str | Path) -> None:
    """samples.tsv, variants.tsv, summary.tsv and split.tsv (the split without failing samples)."""
    with atomic_outputs([Path(out_dir) / name for name in QC_FILES]) as (samples, variants, summary, kept):
        result.samples.to_csv(samples, sep="\t", index=False, float_format="%.6g")
        result.variants.to_csv(variants, sep="\t", index=False, float_format="%.6g")
        result.summary.to_csv(summary, sep="\t", index=False)
        write_split(result.split, kept)


def read_variant_statistics(path: str | Path, columns: list[str]) -> pd.DataFrame:
    """Columns of QC's variants.tsv, one row per .bim variant."""
    return read_table(path, usecols=columns)


def write_components(path: Path, sample_ids: np.ndarray, splits: np.ndarray, scores: np.ndarray,
                     names: list[str]) -> None:  # fmt: skip
    """components.tsv: sample_id, split, then one column per component (scores: samples x components)."""
    components = pd.DataFrame(scores, columns=names)
    components.insert(0, "split", splits)
    components.insert(0, "sample_id", sample_ids)
    components.to_csv(path, sep="\t", index=False, float_format="%.7g")


def read_components(path: str | Path) -> pd.DataFrame:
    """The embedding's components: samples (index sample_id) x components."""
    return read_table(path, dtype={"sample_id": str}).set_index("sample_id").drop(columns="split")


def write_spectrum(path: Path, names: list[str], spectrum: dict[str, np.ndarray]) -> None:
    """eigenvalues.tsv: one row per component, one column per quantity (e.g. eigenvalue)."""
    pd.DataFrame({"component": names, **spectrum}).to_csv(path, sep="\t", index=False, float_format="%.7g")


def write_features(design: DesignMatrices, out_dir: str | Path) -> None:
    """The design tables per split, the column metadata and the fitted parameters."""
    out = Path(out_dir)
    with atomic_outputs([out / name for name in FEATURE_FILES.values()]) as paths:
        path_of = dict(zip(FEATURE_FILES, paths, strict=True))
        for split in SPLITS:
            design.tables[split].to_csv(path_of[split], sep="\t", float_format="%.7g")
        design.columns.to_csv(path_of["columns"], sep="\t", index=False)
        path_of["parameters"].write_text(json.dumps(design.parameters, indent=2, sort_keys=True) + "\n")


def read_features(
    features_dir: str | Path, *, splits: tuple[str, ...] = SPLITS
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict]:
    """Design tables of ``splits`` (index sample id), column metadata and fitted parameters, as
    :func:`write_features` writes them."""
    features_dir = Path(features_dir)
    design = {
        split: read_table(features_dir / FEATURE_FILES[split], dtype={"sample_id": str}).set_index("sample_id")
        for split in splits
    }
    parameters = json.loads((features_dir / FEATURE_FILES["parameters"]).read_text())
    columns = read_table(features_dir / FEATURE_FILES["columns"], dtype={"column": str, "variable": str})
    return design, columns, parameters


def seed_directory(out_dir: str | Path, seed: int) -> Path:
    return Path(out_dir) / f"seed{seed}"


def predictions_table(tables: dict[str, pd.DataFrame], task: Task, classes: list[str],
                      predictions: dict[str, np.ndarray], reference=None) -> pd.DataFrame:  # fmt: skip
    """Validation and test predictions of one model: probabilities (classification), values, or (survival)
    the risk score and the predicted risk of an event by the horizon (``reference``, a
    :class:`riata.survival.SurvivalReference`, gives the horizon and the Breslow baseline)."""
    parts = []
    for split in ("validation", "test"):
        prediction = predictions[split]
        part = pd.DataFrame(
            {"sample_id": tables[split].index, "split": split, OUTCOME: tables[split][OUTCOME].to_numpy()}
        )
        at_horizon = None
        if task.kind == "survival":
            part[OUTCOME_TIME] = tables[split][OUTCOME_TIME].to_numpy()
            horizon = np.array([reference.horizon])
            at_horizon = 1 - reference.survival_curves(predictions["train"], prediction, horizon)[:, 0]
        parts.append(pd.concat([part, prediction_columns(task, classes, prediction, at_horizon)], axis=1))
    return pd.concat(parts)


def prediction_columns(task: Task, classes: list[str], prediction: np.ndarray,
                       risk_at_horizon: np.ndarray | None = None) -> pd.DataFrame:  # fmt: skip
    """The prediction columns of predictions.tsv for one model's ``prediction`` (a row of
    :meth:`riata.tasks.Task.predict`): probability (binary); predicted and probability:<label>
    (multiclass); prediction (continuous); risk_score and risk_at_horizon (survival)."""
    if task.kind == "survival":
        return pd.DataFrame({"risk_score": prediction, "risk_at_horizon": risk_at_horizon})
    if task.kind == "binary":
        return pd.DataFrame({"probability": prediction})
    if task.kind == "multiclass":
        columns = {"predicted": np.asarray(classes)[prediction.argmax(axis=1)]}
        return pd.DataFrame(columns | {f"probability:{label}": prediction[:, k] for k, label in enumerate(classes)})
    return pd.DataFrame({"prediction": prediction})


def read_test_predictions(model_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Test targets and predictions (probabilities, values, or survival [time, event] and risk scores) from a
    model's predictions.tsv."""
    table = read_table(model_dir / "predictions.tsv")
    test = table[table["split"] == "test"]
    if "risk_score" in test:
        return test[[OUTCOME_TIME, OUTCOME]].to_numpy(dtype=float), test["risk_score"].to_numpy()
    probabilities = [c for c in test.columns if c.startswith("probability:")]
    if probabilities:
        return test[OUTCOME].to_numpy(), test[probabilities].to_numpy()
    value = "probability" if "probability" in test else "prediction"
    return test[OUTCOME].to_numpy(), test[value].to_numpy()


def epochs_table(snapshots: dict[int, np.ndarray], first_layer: pd.DataFrame) -> pd.DataFrame:
    """First-layer snapshots in long-by-epoch form: epoch, input, one column per hidden unit."""
    frames = [
        pd.DataFrame(layer, columns=first_layer.columns).assign(epoch=epoch, input=first_layer.index)
        for epoch, layer in sorted(snapshots.items())
    ]
    columns = ["epoch", "input", *first_layer.columns]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def write_seed_tables(paths: dict[str, Path], result: SeedResult, metrics: dict, predictions: pd.DataFrame,
                      refits: int, inputs: pd.DataFrame) -> None:  # fmt: skip
    """The tables of one seed's model, each to its path in ``paths`` (keyed by :data:`SEED_FILES` name);
    ``inputs`` is the networks' column metadata (column, variable, source)."""
    inputs.to_csv(paths["inputs.tsv"], sep="\t", index=False)
    pd.DataFrame([metrics]).to_csv(paths["metrics.tsv"], sep="\t", index=False, float_format="%.6g")
    result.first_layer.to_csv(paths["first_layer.tsv"], sep="\t", float_format="%.6g")
    result.path.to_csv(paths["path.tsv"], sep="\t", index=False, float_format="%.6g")
    predictions.to_csv(paths["predictions.tsv"], sep="\t", index=False, float_format="%.6g")
    result.history.assign(best=result.history["epoch"] == result.best_epoch).to_csv(
        paths["training.tsv"], sep="\t", index=False, float_format="%.6g"
    )
    epochs_table(result.snapshots, result.first_layer).to_csv(
        paths["first_layer_epochs.tsv"], sep="\t", index=False, float_format="%.6g"
    )
    pd.DataFrame(
        {"variable": result.refit_frequency.index, "refits": refits,
         "refit_frequency": result.refit_frequency.to_numpy()}
    ).to_csv(paths["stability_refits.tsv"], sep="\t", index=False, float_format="%.4g")  # fmt: skip


def write_model(path: Path, columns: list[str], hidden_layers: list[int], outcome: dict, parameters: list,
                baseline_hazard=None) -> None:  # fmt: skip
    """model.pt: the network's parameters (StackedMLP order) with its input columns, layers and outcome, and
    for survival models the Breslow baseline hazard (a :class:`riata.survival.BaselineHazard`). Plain
    tensors, lists and strings: ``torch.load(weights_only=True)`` reads it."""
    import torch

    model = {"columns": columns, "hidden_layers": hidden_layers, "outcome": outcome, "parameters": parameters}
    if baseline_hazard is not None:
        hazard = baseline_hazard
        model["baseline_hazard"] = {"times": torch.as_tensor(hazard.times),
                                    "cumulative_hazard": torch.as_tensor(hazard.cumulative_hazard)}  # fmt: skip
    torch.save(model, path)


def read_metrics_table(model_dir: str | Path) -> pd.DataFrame:
    """A model folder's metrics.tsv: one row."""
    return read_table(Path(model_dir) / "metrics.tsv")


def read_model_metrics(model_dir: str | Path) -> pd.Series:
    """A model folder's metrics.tsv as a Series."""
    return read_metrics_table(model_dir).iloc[0]


def model_label(metrics: pd.Series) -> str:
    """'group_lasso, seed 2': how figures name a model."""
    return f"{metrics['penalty']}, seed {metrics['seed']}"


def read_inputs(model_dir: str | Path) -> pd.DataFrame:
    """A model's inputs.tsv: one row per input column, with its variable and source."""
    return read_table(Path(model_dir) / "inputs.tsv", dtype={"column": str, "variable": str})


def read_refit_frequencies(model_dir: Path, model: pd.Series) -> pd.DataFrame:
    """A model's stability_refits.tsv (no rows without refits), keyed by its feature set, penalty and seed."""
    refits = read_table(Path(model_dir) / "stability_refits.tsv", dtype={"variable": str})
    return refits.assign(feature_set=model["feature_set"], penalty=model["penalty"], seed=int(model["seed"]))
