"""One function per ``riata`` verb: read a step's input files, call the library, write its outputs.

Every output is written atomically (temporary name, then rename), all files of a step together, so
a step that fails leaves nothing that looks finished. The command line only parses arguments.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from riata.errors import RiataError
from riata.io.clinical import OUTCOME, ClinicalSpec, read_clinical
from riata.io.tables import atomic_outputs, read_table, write_table
from riata.settings import SPLITS, SimulationSettings, TrainSettings

# Heavy libraries (torch, dask, scikit-learn, matplotlib, msprime) are imported inside the steps that
# use them, so that each `riata <verb>` job starts in the time its own work needs.

log = logging.getLogger("riata")

FEATURE_TABLES = {split: f"{split}.tsv" for split in SPLITS}


def simulate(settings: SimulationSettings, out_dir: str) -> None:
    """Write simulated data (clinical.tsv, truth.tsv, and for a cohort genotypes.*) into ``out_dir``."""
    from riata.simulate import simulate as simulate_data

    simulate_data(settings, out_dir)


def read_split(path: str | Path) -> pd.Series:
    """split.tsv as a Series: sample id -> train/validation/test."""
    table = read_table(path, dtype={"sample_id": str})
    if list(table.columns[:2]) != ["sample_id", "split"] or not table["split"].isin(SPLITS).all():
        raise RiataError(f"{path}: not a riata split table (columns sample_id, split)")
    return table.set_index("sample_id")["split"]


def split_samples(
    *,
    clinical_path: str,
    spec: ClinicalSpec,
    fam_path: str | None,
    validation_share: float,
    test_share: float,
    seed: int,
    min_matched: int,
    out: str,
) -> None:
    """Match clinical and genotyped samples and write split.tsv (sample_id, split)."""
    from riata.io.plink import read_fam
    from riata.split import match_samples, stratified_split

    clinical = read_clinical(clinical_path, spec).frame
    ids = clinical.index.tolist()
    if fam_path is not None:
        ids = match_samples(ids, read_fam(fam_path)["iid"].tolist(), min_matched=min_matched)
    elif len(ids) < min_matched:
        raise RiataError(f"{clinical_path}: only {len(ids)} samples with an outcome; at least {min_matched} needed")
    split = stratified_split(
        clinical.loc[ids, OUTCOME],
        validation_share=validation_share,
        test_share=test_share,
        seed=seed,
        outcome_type=spec.outcome_type,
    )
    write_table(split.rename_axis("sample_id").reset_index(), out)


def _train_positions(genotypes, split: pd.Series) -> np.ndarray:
    from riata.io.plink import sample_positions

    return np.sort(sample_positions(genotypes.samples, split.index[split == "train"].tolist()))


def variant_qc(
    *, genotypes_prefix: str, split_path: str, min_call_rate: float, min_maf: float, threads: int, block_variants: int,
    out_variants: str, out_summary: str,
) -> None:  # fmt: skip
    """Per-variant statistics on training samples, the pass/fail decision, and a summary table."""
    from riata.io.plink import open_plink
    from riata.qc import apply_variant_filters, variant_statistics

    genotypes = open_plink(genotypes_prefix, block_variants=block_variants)
    train = _train_positions(genotypes, read_split(split_path))
    statistics = variant_statistics(genotypes, train, threads=threads)
    statistics, summary = apply_variant_filters(statistics, min_call_rate=min_call_rate, min_maf=min_maf)
    with atomic_outputs([out_variants, out_summary]) as (variants_tmp, summary_tmp):
        statistics.to_csv(variants_tmp, sep="\t", index=False, float_format="%.6g")
        summary.to_csv(summary_tmp, sep="\t", index=False)


def embed(
    *, genotypes_prefix: str, split_path: str, qc_path: str, n_components: int, oversampling: int,
    power_iterations: int, seed: int, threads: int, block_variants: int,
    out_components: str, out_loadings: str, out_eigenvalues: str,
) -> None:  # fmt: skip
    """Fit the randomized PCA on training samples; write scores of every sample, loadings, eigenvalues."""
    from riata.embedding import embed_samples, fit_randomized_pca
    from riata.features import GENETIC_PREFIX
    from riata.io.plink import open_plink, sample_positions

    genotypes = open_plink(genotypes_prefix, block_variants=block_variants)
    split = read_split(split_path)
    statistics = read_table(qc_path, dtype={"snp": str, "chrom": str})
    if (
        len(statistics) != genotypes.n_variants
        or not (statistics["snp"].to_numpy() == genotypes.variants["snp"].to_numpy()).all()
    ):
        raise RiataError(f"{qc_path}: variants do not match {genotypes_prefix}.bim; re-run qc")
    variant_index = np.flatnonzero(statistics["pass"].to_numpy())
    embedding = fit_randomized_pca(
        genotypes,
        train_index=_train_positions(genotypes, split),
        variant_index=variant_index,
        a1_freq=statistics["a1_freq"].to_numpy()[variant_index],
        n_components=n_components,
        oversampling=oversampling,
        power_iterations=power_iterations,
        seed=seed,
        threads=threads,
    )
    positions = sample_positions(genotypes.samples, split.index.tolist())
    scores = embed_samples(genotypes, embedding, sample_index=positions, threads=threads)
    names = [f"{GENETIC_PREFIX}{j}" for j in range(n_components)]
    components = pd.DataFrame(scores, columns=names)
    components.insert(0, "split", split.to_numpy())
    components.insert(0, "sample_id", split.index.to_numpy())
    loadings = statistics.loc[variant_index, ["snp", "chrom", "pos", "a1", "a2"]].reset_index(drop=True)
    loadings[[f"loading_{j}" for j in range(n_components)]] = embedding.loadings
    eigenvalues = pd.DataFrame(
        {
            "component": names,
            "singular_value": embedding.singular_values,
            "eigenvalue": embedding.eigenvalues,
            "variance_explained": embedding.variance_explained,
        }
    )
    with atomic_outputs([out_components, out_loadings, out_eigenvalues]) as paths:
        for frame, path in zip((components, loadings, eigenvalues), paths, strict=True):
            frame.to_csv(path, sep="\t", index=False, float_format="%.7g")


def build_features(
    *, clinical_path: str, spec: ClinicalSpec, split_path: str, components_path: str | None, out_dir: str
) -> None:
    """Write the preprocessed design tables per split, the column metadata and the fitted parameters."""
    from riata.features import build_design

    clinical = read_clinical(clinical_path, spec)
    split = read_split(split_path)
    components = None
    if components_path is not None:
        components = read_table(components_path, dtype={"sample_id": str}).set_index("sample_id")
    design = build_design(clinical, spec, split, components)
    out = Path(out_dir)
    names = [*FEATURE_TABLES.values(), "columns.tsv", "preprocessing.json"]
    with atomic_outputs([out / name for name in names]) as paths:
        for split_name, path in zip(SPLITS, paths[:3], strict=True):
            design.tables[split_name].to_csv(path, sep="\t", float_format="%.7g")
        design.columns.to_csv(paths[3], sep="\t", index=False)
        paths[4].write_text(json.dumps(design.parameters, indent=2, sort_keys=True) + "\n")


def read_features(features_dir: str | Path) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict]:
    """Design tables per split (index sample id), column metadata and fitted parameters from ``features``."""
    features_dir = Path(features_dir)
    tables = {
        split: read_table(features_dir / name, dtype={"sample_id": str}).set_index("sample_id")
        for split, name in FEATURE_TABLES.items()
    }
    parameters = json.loads((features_dir / "preprocessing.json").read_text())
    return tables, read_table(features_dir / "columns.tsv"), parameters


SEED_FILES = ("metrics.tsv", "first_layer.tsv", "path.tsv", "predictions.tsv", "model.pt")


def seed_directory(out_dir: str | Path, seed: int) -> Path:
    return Path(out_dir) / f"seed{seed}"


def _predictions_table(tables, task, classes: list[str], result) -> pd.DataFrame:
    """Validation and test predictions of one model: probabilities (classification) or values."""
    parts = []
    for split in ("validation", "test"):
        prediction = result.predictions[split]
        part = pd.DataFrame(
            {"sample_id": tables[split].index, "split": split, OUTCOME: tables[split][OUTCOME].to_numpy()}
        )
        if task.kind == "binary":
            part["probability"] = prediction
        elif task.kind == "multiclass":
            part["predicted"] = np.asarray(classes)[prediction.argmax(axis=1)]
            for k, label in enumerate(classes):
                part[f"probability:{label}"] = prediction[:, k]
        else:
            part["prediction"] = prediction
        parts.append(part)
    return pd.concat(parts)


def train_models(
    *, features_dir: str, feature_set: str, penalty: str, seeds: list[int], settings: TrainSettings, threads: int,
    out_dir: str,
) -> None:  # fmt: skip
    """Train every (lambda, seed) network of one feature set and penalty; write each seed's chosen model."""
    import torch

    from riata.features import feature_columns
    from riata.tasks import Task
    from riata.train import fit_penalty

    torch.set_num_threads(threads)
    tables, all_columns, parameters = read_features(features_dir)
    outcome = parameters["outcome"]
    task = Task(outcome["type"], n_classes=max(len(outcome["classes"]), 2), regression_loss=settings.regression_loss)
    columns = feature_columns(all_columns, feature_set)
    results = fit_penalty(tables, columns, task=task, penalty=penalty, seeds=seeds, settings=settings)
    source_of = dict(zip(columns["variable"], columns["source"], strict=False))
    outputs = [seed_directory(out_dir, r.seed) / name for r in results for name in SEED_FILES]
    with atomic_outputs(outputs) as paths:
        for index, result in enumerate(results):
            metrics_path, layer_path, path_path, predictions_path, model_path = paths[index * 5 : index * 5 + 5]
            test = task.metrics(tables["test"][OUTCOME].to_numpy(), result.predictions["test"])
            validation = task.metrics(tables["validation"][OUTCOME].to_numpy(), result.predictions["validation"])
            metrics = {
                "feature_set": feature_set,
                "penalty": penalty,
                "seed": result.seed,
                "outcome_type": task.kind,
                "mode": settings.mode,
                "lambda": result.lambda_,
                "best_epoch": result.best_epoch,
                **{name: value for name, value in test.items() if name != "loss"},
                "test_loss": test["loss"],
                "validation_loss": validation["loss"],
                "n_inputs": len(source_of),
                "n_selected": len(result.selected),
                "n_selected_clinical": sum(source_of[v] == "clinical" for v in result.selected),
                "n_selected_genetic": sum(source_of[v] == "genetic" for v in result.selected),
                "n_selected_above_threshold": len(result.selected_above_threshold),
                "zero_threshold": settings.zero_threshold,
                "n_dead_units": result.n_dead_units,
                "selected": ";".join(result.selected),
                "selected_above_threshold": ";".join(result.selected_above_threshold),
            }
            pd.DataFrame([metrics]).to_csv(metrics_path, sep="\t", index=False, float_format="%.6g")
            result.first_layer.to_csv(layer_path, sep="\t", float_format="%.6g")
            result.path.to_csv(path_path, sep="\t", index=False, float_format="%.6g")
            _predictions_table(tables, task, outcome["classes"], result).to_csv(
                predictions_path, sep="\t", index=False, float_format="%.6g"
            )
            torch.save(
                {
                    "columns": columns["column"].tolist(),
                    "hidden_layers": list(settings.hidden_layers),
                    "outcome": outcome,
                    "parameters": result.parameters,
                },
                model_path,
            )
            log.info(
                "%s/%s seed %d: lambda %.3g, epoch %d, %s, %d of %d variables kept",
                feature_set, penalty, result.seed, result.lambda_, result.best_epoch,
                ", ".join(f"test {k} {v:.3f}" for k, v in test.items()), len(result.selected), len(source_of),
            )  # fmt: skip


def compare(*, metrics_paths: list[str], out_tsv: str, out_md: str) -> None:
    """Gather every model's metrics.tsv into comparison.tsv and a readable comparison.md."""
    from riata.report import comparison_markdown, order_comparison

    comparison = order_comparison(pd.concat([read_table(p) for p in metrics_paths], ignore_index=True))
    with atomic_outputs([out_tsv, out_md]) as (tsv, md):
        comparison.to_csv(tsv, sep="\t", index=False, float_format="%.6g")
        md.write_text(comparison_markdown(comparison))


def heatmaps(*, first_layer_paths: list[str], out_png: str, out_svg: str) -> None:
    """Draw first-layer heat maps, one panel per model directory (titles from its metrics.tsv)."""
    from riata.plots import draw_heatmaps

    panels = []
    for path in first_layer_paths:
        metrics = read_table(Path(path).parent / "metrics.tsv").iloc[0]
        layer = read_table(path).set_index("input")
        panels.append((f"{metrics['penalty']}, seed {metrics['seed']}, λ {metrics['lambda']:.3g}", layer))
    with atomic_outputs([out_png, out_svg]) as (png, svg):
        draw_heatmaps(panels, [png, svg])
