"""One function per ``riata`` verb: read a step's input files, call the library, write its outputs.

Every output is written atomically (temporary name, then rename), all files of a step together, so
a step that fails leaves nothing that looks finished. The command line only parses arguments.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from riata.errors import RiataError
from riata.io.clinical import OUTCOME, ClinicalSpec, read_clinical
from riata.io.tables import atomic_outputs, read_table, write_table
from riata.settings import (
    FEATURE_SETS,
    GENETIC_PREFIX,
    PENALTIES,
    SPLITS,
    EmbeddingSettings,
    SimulationSettings,
    TrainSettings,
)

# Heavy libraries (torch, dask, scikit-learn, matplotlib, msprime) are imported inside the steps that
# use them, so that each `riata <verb>` job starts in the time its own work needs.

log = logging.getLogger("riata")

FEATURE_TABLES = {split: f"{split}.tsv" for split in SPLITS}


def simulate(settings: SimulationSettings, out_dir: str) -> None:
    """Write simulated data (clinical.tsv, truth.tsv, and for a cohort genotypes.*) into ``out_dir``."""
    from riata.simulate import simulate as simulate_data

    simulate_data(settings, out_dir)


def clinical_spec_of(config: dict) -> ClinicalSpec:
    """The ClinicalSpec a workflow config describes."""
    clinical = config["clinical"]
    names = ["id_column", "outcome", "numeric", "categorical", "positive_label", "outcome_type", "fid_column",
             "missing", "numeric_imputation", "categorical_imputation"]  # fmt: skip
    return ClinicalSpec(**{name: clinical[name] for name in names if name in clinical})


def check(*, config_path: str) -> str:
    """Validate a config (with the schema of the workflow around it) and describe its inputs."""
    import yaml

    from riata.config import find_schema, load_schema, validate_config

    path = Path(config_path)
    if not path.is_file():
        raise RiataError(f"{path}: config file not found")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise RiataError(f"{path}: not valid YAML ({getattr(error, 'problem', error)})") from None
    config = validate_config(raw, source=str(path), schema=load_schema(find_schema(Path.cwd())))
    lines = [f"{path}: valid; cohort {config['cohort']!r}, results in results/{config['cohort']}/"]
    if config["simulate"]["enabled"]:
        lines.append(f"simulated data ({config['simulate']['kind']}): no input files to read")
        return "\n".join(lines)
    table = read_clinical(config["clinical"]["path"], clinical_spec_of(config))
    frame, spec = table.frame, table.spec
    lines.append(f"clinical table {config['clinical']['path']}: {len(frame)} samples with an outcome")
    if spec.outcome_type == "continuous":
        values = frame[OUTCOME]
        lines.append(f"  outcome {spec.outcome}: mean {values.mean():.4g}, sd {values.std():.4g}, "
                     f"range {values.min():.4g} .. {values.max():.4g}")  # fmt: skip
    else:
        counts = frame[OUTCOME].value_counts().sort_index()
        balance = ", ".join(f"{table.classes[code]}: {n} ({100 * n / len(frame):.1f}%)" for code, n in counts.items())
        lines.append(f"  outcome {spec.outcome} ({spec.outcome_type}): {balance}")
    declared = bool(config["clinical"]["numeric"] or config["clinical"]["categorical"])
    lines.append(f"  covariates ({'declared' if declared else 'inferred: declare them to change a type'}):")
    for column in spec.covariates:
        kind = "numeric" if column in spec.numeric else f"categorical, {frame[column].nunique()} levels"
        lines.append(f"    {column}: {kind}, {100 * frame[column].isna().mean():.1f}% missing")
    genetic = any(fs != "clinical" for fs in config["training"]["feature_sets"])
    if genetic and config["genotypes"]["format"] == "bed":
        from riata.io.plink import plink_paths, read_fam

        paths = plink_paths(config["genotypes"]["path"])
        fam = read_fam(paths["fam"], use_fid=spec.fid_column is not None)
        with open(paths["bim"]) as bim:
            n_variants = sum(1 for _ in bim)
        in_both = frame.index.isin(fam["sample_id"]).sum()
        lines.append(f"genotypes {config['genotypes']['path']}: {len(fam)} samples x {n_variants} variants")
        lines.append(f"  samples: {in_both} in both files, {len(frame) - in_both} only in the clinical table, "
                     f"{len(fam) - in_both} only genotyped")  # fmt: skip
    elif genetic:
        lines.append(f"genotypes {config['genotypes']['path']} ({config['genotypes']['format']}): converted to "
                     "PLINK 1 by the workflow's first step")  # fmt: skip
    return "\n".join(lines)


def convert_genotypes(*, source: str, genotype_format: str, out_prefix: str, threads: int) -> None:
    """Convert PLINK 2 (pgen/pvar/psam), VCF or BCF genotypes to a PLINK 1 fileset with plink2.

    VCF sample ids become IIDs. Only biallelic variants are kept (--max-alleles 2); a variant without
    an id gets chrom:pos:ref:alt. The three files appear together, or not at all.
    """
    import shutil
    import subprocess
    import tempfile

    plink2 = shutil.which("plink2")
    if plink2 is None:
        raise RiataError("plink2 not found; it converts pgen/vcf/bcf genotypes (Debian: apt-get install plink2)")
    inputs = {"pgen": ["--pfile", source], "vcf": ["--vcf", source], "bcf": ["--bcf", source]}
    if genotype_format not in inputs:
        raise RiataError(f"unknown genotype format {genotype_format!r}; choose from bed, pgen, vcf, bcf")
    required = [f"{source}.{s}" for s in ("pgen", "pvar", "psam")] if genotype_format == "pgen" else [source]
    for path in required:
        if not Path(path).is_file():
            raise RiataError(f"{path}: genotype file not found")
    out = Path(out_prefix)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".convert-") as scratch:
        command = [plink2, *inputs[genotype_format], "--max-alleles", "2", "--set-missing-var-ids", "@:#:$r:$a",
                   "--make-bed", "--threads", str(threads), "--out", f"{scratch}/converted"]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            reason = next((line for line in result.stdout.splitlines() if line.startswith("Error")), "see its log")
            raise RiataError(f"{source}: plink2 could not read the {genotype_format} input: {reason}")
        log.info("plink2: %s", " ".join(line for line in result.stdout.splitlines() if "variants" in line)[:300])
        with atomic_outputs([f"{out}.{s}" for s in ("bed", "bim", "fam")]) as temporaries:
            for suffix, temporary in zip(("bed", "bim", "fam"), temporaries, strict=True):
                shutil.move(f"{scratch}/converted.{suffix}", temporary)


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

    clinical = read_clinical(clinical_path, spec, covariates=False).frame
    ids = clinical.index.tolist()
    if fam_path is not None:
        fam = read_fam(fam_path, use_fid=spec.fid_column is not None)
        ids = match_samples(ids, fam["sample_id"].tolist(), min_matched=min_matched)
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


def quality_control(
    *, genotypes_prefix: str, split_path: str, thresholds, use_fid: bool, threads: int, block_variants: int,
    out_dir: str,
) -> None:  # fmt: skip
    """Sample and variant QC on the split's samples; writes samples.tsv, variants.tsv, summary.tsv and
    split.tsv (the split without failing samples) into ``out_dir``."""
    from riata.io.plink import open_plink, sample_positions
    from riata.qc import run_qc

    genotypes = open_plink(genotypes_prefix, block_variants=block_variants, use_fid=use_fid)
    split = read_split(split_path)
    positions = sample_positions(genotypes.samples, split.index.tolist())
    result = run_qc(genotypes, split, positions, thresholds, threads=threads)
    names = ["samples.tsv", "variants.tsv", "summary.tsv", "split.tsv"]
    with atomic_outputs([Path(out_dir) / name for name in names]) as (samples, variants, summary, kept):
        result.samples.to_csv(samples, sep="\t", index=False, float_format="%.6g")
        result.variants.to_csv(variants, sep="\t", index=False, float_format="%.6g")
        result.summary.to_csv(summary, sep="\t", index=False)
        result.split.rename_axis("sample_id").reset_index().to_csv(kept, sep="\t", index=False)


@contextmanager
def dask_scheduler(address: str | None, threads: int):
    """None for dask's threads; or a distributed Client: ``local`` starts a LocalCluster of ``threads``
    one-thread workers, ``slurm`` submits ``threads`` one-core workers as SLURM jobs (dask-jobqueue's
    SLURMCluster, in the default partition; set DASK_JOBQUEUE__SLURM__QUEUE / __ACCOUNT for others),
    and an address such as ``tcp://host:8786`` joins a running scheduler."""
    if address is None:
        yield None
        return
    from distributed import Client, LocalCluster

    if address == "slurm":
        from dask_jobqueue import SLURMCluster

        with SLURMCluster(cores=1, processes=1, memory="2GB", walltime="02:00:00", scheduler_options={
            "dashboard_address": None}) as cluster, Client(cluster) as client:  # fmt: skip
            cluster.scale(jobs=threads)
            client.wait_for_workers(threads, timeout=300)
            yield client
    elif address == "local":
        with (
            LocalCluster(n_workers=threads, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield client
    else:
        with Client(address) as client:
            yield client


VARIANT_ID_COLUMNS = ["snp", "chrom", "pos", "a1", "a2"]


class LoadingsWriter:
    """Writes per-variant loadings beside the ids of the variants that passed QC, chunk by chunk.

    The ids are streamed from ``variants_path`` (riata qc's variants.tsv) and each chunk goes straight
    to pyarrow's writer, so neither the variant table nor the loadings are ever held whole. The
    format follows the file name: ``.parquet`` (the workflow's, 10x faster to write than text at
    500,000 variants) or a tab-separated text table. ``writer(first, loadings)`` takes consecutive
    chunks (variants x k) of the passing variants.
    """

    def __init__(self, path: str | Path, variants_path: str | Path, k: int, chunk_rows: int = 65536):
        self.path, self.variants_path, self.k, self.chunk_rows = Path(path), Path(variants_path), k, chunk_rows
        self.parquet = self.path.suffix.lower() == ".parquet"
        self.written = 0

    def __enter__(self) -> LoadingsWriter:
        import pyarrow as pa
        import pyarrow.csv
        import pyarrow.parquet

        names = [*VARIANT_ID_COLUMNS, *(f"loading_{j}" for j in range(self.k))]
        types = [pa.string(), pa.string(), pa.int64(), pa.string(), pa.string(), *[pa.float32()] * self.k]
        self.schema = pa.schema(list(zip(names, types, strict=True)))
        if self.parquet:
            self.writer = pyarrow.parquet.ParquetWriter(self.path, self.schema, use_dictionary=["chrom", "a1", "a2"])
        else:
            self.path.write_text("\t".join(names) + "\n")
            options = pyarrow.csv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
            self.text = open(self.path, "ab")  # closed in __exit__
            self.writer = pyarrow.csv.CSVWriter(self.text, self.schema, write_options=options)
        id_types = {name: self.schema.field(name).type for name in VARIANT_ID_COLUMNS}
        table = pyarrow.csv.open_csv(
            self.variants_path,
            read_options=pyarrow.csv.ReadOptions(block_size=1 << 22),
            parse_options=pyarrow.csv.ParseOptions(delimiter="\t"),
            convert_options=pyarrow.csv.ConvertOptions(
                include_columns=[*VARIANT_ID_COLUMNS, "pass"], column_types={**id_types, "pass": pa.bool_()}
            ),
        )
        self.passing = (batch.filter(batch.column("pass")).select(VARIANT_ID_COLUMNS) for batch in table)
        self.pending = self.schema.empty_table().select(VARIANT_ID_COLUMNS)
        return self

    def __call__(self, first: int, loadings: np.ndarray) -> None:
        import pyarrow as pa

        if first != self.written:
            raise ValueError(f"loadings must come in order: expected variant {self.written}, got {first}")
        while self.pending.num_rows < len(loadings):
            self.pending = pa.concat_tables([self.pending, pa.Table.from_batches([next(self.passing)])])
        ids, self.pending = self.pending.slice(0, len(loadings)), self.pending.slice(len(loadings))
        arrays = [*ids.columns, *(pa.array(column) for column in np.asarray(loadings, dtype=np.float32).T)]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.written += len(loadings)

    def __exit__(self, *exception) -> None:
        self.writer.close()
        if not self.parquet:
            self.text.close()


def embed(
    *, genotypes_prefix: str, qc_dir: str, settings: EmbeddingSettings, use_fid: bool, threads: int,
    block_variants: int, out_components: str, out_loadings: str, out_eigenvalues: str,
) -> None:  # fmt: skip
    """Learn the embedding on the training samples that passed QC; write every passing sample's
    components, the per-variant loadings (PCA) or encoder weights (autoencoder) of the variants that
    passed QC, and the spectrum (PCA eigenvalues, or the autoencoder codes' training variances)."""
    import torch

    from riata.io.plink import BedBlocks, check_bed, plink_paths, read_fam, sample_positions

    settings.validate()
    torch.set_num_threads(threads)
    paths = plink_paths(genotypes_prefix)
    fam = read_fam(paths["fam"], use_fid=use_fid)
    split = read_split(Path(qc_dir) / "split.tsv")
    variants_path = Path(qc_dir) / "variants.tsv"
    statistics = read_table(variants_path, usecols=["a1_freq", "pass"])
    check_bed(paths["bed"], len(fam), len(statistics))
    variant_index = np.flatnonzero(statistics["pass"].to_numpy())
    train_ids, other_ids = split.index[split == "train"], split.index[split != "train"]
    k = settings.n_components
    names = [f"{GENETIC_PREFIX}{j}" for j in range(k)]
    common = {
        "train_rows": sample_positions(fam, train_ids.tolist()),
        "other_rows": sample_positions(fam, other_ids.tolist()),
        "variant_index": variant_index,
        "a1_freq": statistics["a1_freq"].to_numpy()[variant_index],
        "n_components": k,
        "block_variants": block_variants,
        "seed": settings.seed,
    }
    source = BedBlocks(paths["bed"], len(fam), len(statistics))
    del statistics

    with (
        atomic_outputs([out_components, out_loadings, out_eigenvalues]) as (components_tmp, loadings_tmp, eigen_tmp),
        LoadingsWriter(loadings_tmp, variants_path, k) as write_loadings,
    ):
        if settings.method == "pca":
            from riata.embedding import randomized_pca

            with dask_scheduler(settings.scheduler, threads) as client:
                embedding = randomized_pca(
                    source, **common, write_loadings=write_loadings, algorithm=settings.algorithm,
                    relationship_max_samples=settings.relationship_max_samples, oversampling=settings.oversampling,
                    power_iterations=settings.power_iterations, threads=threads, scheduler=client,
                    spill_dir=str(Path(out_loadings).parent),
                )  # fmt: skip
            scores = [embedding.train_scores, embedding.other_scores]
            spectrum = {
                "singular_value": embedding.singular_values,
                "eigenvalue": embedding.eigenvalues,
                "variance_explained": embedding.variance_explained,
            }
        else:
            from riata.autoencoder import fit_autoencoder

            embedding = fit_autoencoder(
                source, **common, epochs=settings.autoencoder_epochs, batch_size=settings.autoencoder_batch_size,
                learning_rate=settings.autoencoder_learning_rate,
            )  # fmt: skip
            write_loadings(0, embedding.encoder_weights)
            scores = [embedding.train_codes, embedding.other_codes]
            spectrum = {"training_variance": embedding.train_codes.var(axis=0)}
        components = pd.DataFrame(np.vstack(scores), columns=names)
        components.insert(0, "split", np.concatenate([split[train_ids].to_numpy(), split[other_ids].to_numpy()]))
        components.insert(0, "sample_id", np.concatenate([train_ids, other_ids]))
        components.to_csv(components_tmp, sep="\t", index=False, float_format="%.7g")
        pd.DataFrame({"component": names, **spectrum}).to_csv(eigen_tmp, sep="\t", index=False, float_format="%.7g")


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
    design = build_design(clinical, split, components)
    out = Path(out_dir)
    names = [*FEATURE_TABLES.values(), "columns.tsv", "preprocessing.json"]
    with atomic_outputs([out / name for name in names]) as paths:
        for split_name, path in zip(SPLITS, paths[:3], strict=True):
            design.tables[split_name].to_csv(path, sep="\t", float_format="%.7g")
        design.columns.to_csv(paths[3], sep="\t", index=False)
        paths[4].write_text(json.dumps(design.parameters, indent=2, sort_keys=True) + "\n")


def read_features(
    features_dir: str | Path, *, tables: bool = True
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict]:
    """Design tables per split (index sample id; empty when ``tables`` is False), column metadata and
    fitted parameters, as written by ``features``."""
    features_dir = Path(features_dir)
    tables = {
        split: read_table(features_dir / name, dtype={"sample_id": str}).set_index("sample_id")
        for split, name in (FEATURE_TABLES.items() if tables else [])
    }
    parameters = json.loads((features_dir / "preprocessing.json").read_text())
    return tables, read_table(features_dir / "columns.tsv"), parameters


SEED_FILES = (
    "metrics.tsv", "first_layer.tsv", "path.tsv", "predictions.tsv", "model.pt", "training.tsv",
    "first_layer_epochs.tsv", "first_layer.png", "stability_refits.tsv",
)  # fmt: skip


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

    from riata.evaluate import bootstrap_intervals
    from riata.features import feature_columns
    from riata.plots import draw_heatmaps
    from riata.report import epochs_table
    from riata.tasks import Task
    from riata.train import fit_penalty

    settings.validate()  # names and settings first, before reading any file
    if penalty not in PENALTIES:
        raise RiataError(f"unknown penalty {penalty!r}; choose from {', '.join(PENALTIES)}")
    if feature_set not in FEATURE_SETS:
        raise RiataError(f"unknown feature set {feature_set!r}; choose from {', '.join(FEATURE_SETS)}")
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
            own = dict(zip(SEED_FILES, paths[index * len(SEED_FILES) : (index + 1) * len(SEED_FILES)], strict=True))
            test_target = tables["test"][OUTCOME].to_numpy()
            test = task.metrics(test_target, result.predictions["test"])
            intervals = bootstrap_intervals(task, test_target, result.predictions["test"], seed=result.seed)
            validation = task.metrics(tables["validation"][OUTCOME].to_numpy(), result.predictions["validation"])
            metrics = {
                "feature_set": feature_set,
                "penalty": penalty,
                "seed": result.seed,
                "outcome_type": task.kind,
                "mode": settings.mode,
                "lambda": result.lambda_,
                "best_epoch": result.best_epoch,
                **{
                    column: value
                    for name in test
                    if name != "loss"
                    for column, value in [
                        (name, test[name]),
                        (f"{name}_low", intervals[name][0]),
                        (f"{name}_high", intervals[name][1]),
                    ]
                },
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
            pd.DataFrame([metrics]).to_csv(own["metrics.tsv"], sep="\t", index=False, float_format="%.6g")
            result.first_layer.to_csv(own["first_layer.tsv"], sep="\t", float_format="%.6g")
            result.path.to_csv(own["path.tsv"], sep="\t", index=False, float_format="%.6g")
            _predictions_table(tables, task, outcome["classes"], result).to_csv(
                own["predictions.tsv"], sep="\t", index=False, float_format="%.6g"
            )
            result.history.assign(best=result.history["epoch"] == result.best_epoch).to_csv(
                own["training.tsv"], sep="\t", index=False, float_format="%.6g"
            )
            epochs_table(result.snapshots, result.first_layer).to_csv(
                own["first_layer_epochs.tsv"], sep="\t", index=False, float_format="%.6g"
            )
            pd.DataFrame(
                {"variable": result.refit_frequency.index, "refits": settings.stability_refits,
                 "refit_frequency": result.refit_frequency.to_numpy()}
            ).to_csv(own["stability_refits.tsv"], sep="\t", index=False, float_format="%.4g")  # fmt: skip
            title = f"{feature_set}, {penalty}, seed {result.seed}, λ {result.lambda_:.3g}"
            draw_heatmaps([(title, result.first_layer)], [own["first_layer.png"]], columns=1)
            torch.save(
                {
                    "columns": columns["column"].tolist(),
                    "hidden_layers": list(settings.hidden_layers),
                    "outcome": outcome,
                    "parameters": result.parameters,
                },
                own["model.pt"],
            )
            log.info(
                "%s/%s seed %d: lambda %.3g, epoch %d, %s, %d of %d variables kept",
                feature_set, penalty, result.seed, result.lambda_, result.best_epoch,
                ", ".join(f"test {k} {v:.3f}" for k, v in test.items()), len(result.selected), len(source_of),
            )  # fmt: skip


def _test_predictions(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Test targets and predictions from a predictions.tsv (probabilities or values)."""
    table = read_table(path)
    test = table[table["split"] == "test"]
    probabilities = [c for c in test.columns if c.startswith("probability:")]
    if probabilities:
        return test[OUTCOME].to_numpy(), test[probabilities].to_numpy()
    value = "probability" if "probability" in test else "prediction"
    return test[OUTCOME].to_numpy(), test[value].to_numpy()


def _refit_frequencies(model_dir: Path, model: pd.Series) -> pd.DataFrame:
    """A model's stability_refits.tsv (no rows without refits), keyed by its feature set, penalty and seed."""
    refits = read_table(model_dir / "stability_refits.tsv", dtype={"variable": str})
    return refits.assign(feature_set=model["feature_set"], penalty=model["penalty"], seed=int(model["seed"]))


def compare(
    *, metrics_paths: list[str], features_dir: str, truth_path: str | None, out_tsv: str, out_md: str,
    out_stability: str, out_truth: str | None,
) -> None:  # fmt: skip
    """Gather every model's metrics.tsv into comparison.tsv (with each model's paired difference from the
    clinical-only unpenalised baseline), stability.tsv, truth_check.tsv and a readable comparison.md."""
    from riata.report import against_baseline, comparison_markdown, order_comparison, stability_table, truth_table
    from riata.tasks import Task

    _, columns, parameters = read_features(features_dir, tables=False)
    outcome = parameters["outcome"]
    task = Task(outcome["type"], n_classes=max(len(outcome["classes"]), 2))
    metrics = [read_table(path) for path in metrics_paths]  # one row each
    comparison = order_comparison(pd.concat(metrics, ignore_index=True))
    models = [(Path(path).parent, table.iloc[0]) for path, table in zip(metrics_paths, metrics, strict=True)]
    predictions = {
        (model["feature_set"], model["penalty"], model["seed"]): _test_predictions(model_dir / "predictions.tsv")
        for model_dir, model in models
    }
    comparison = against_baseline(comparison, predictions, task)
    refits = pd.concat([_refit_frequencies(model_dir, model) for model_dir, model in models], ignore_index=True)
    stability = stability_table(comparison, columns, refits)
    truth = truth_table(comparison, columns, read_table(truth_path)) if truth_path else None
    outputs = [out_tsv, out_md, out_stability] + ([out_truth] if truth is not None else [])
    with atomic_outputs(outputs) as paths:
        comparison.to_csv(paths[0], sep="\t", index=False, float_format="%.6g")
        paths[1].write_text(comparison_markdown(comparison, stability, truth))
        stability.to_csv(paths[2], sep="\t", index=False, float_format="%.4g")
        if truth is not None:
            truth.to_csv(paths[3], sep="\t", index=False, float_format="%.4g")


def _model_label(model_dir: Path) -> tuple[str, pd.Series]:
    metrics = read_table(model_dir / "metrics.tsv").iloc[0]
    return f"{metrics['penalty']}, seed {metrics['seed']}", metrics


def figures(
    *, model_dirs: list[str], stability_path: str, weights_dir: str, out_paths: str, out_training: str,
    out_weights: str, out_stability: str,
) -> None:  # fmt: skip
    """Regularisation paths and training curves of the models in ``model_dirs`` (one panel each), the
    first layer over epochs of the model in ``weights_dir``, and the selection-stability figure."""
    from riata.plots import draw_paths, draw_stability, draw_training, draw_weights_over_epochs

    paths, curves = [], []
    for model_dir in map(Path, model_dirs):
        label, metrics = _model_label(model_dir)
        curves.append((label, read_table(model_dir / "training.tsv")))
        if metrics["penalty"] != "none":
            paths.append((label, read_table(model_dir / "path.tsv")))
    weights_label, _ = _model_label(Path(weights_dir))
    epochs = read_table(Path(weights_dir) / "first_layer_epochs.tsv")
    with atomic_outputs([out_paths, out_training, out_weights, out_stability]) as (
        paths_tmp,
        training,
        weights,
        stable,
    ):
        if paths:
            draw_paths(paths, [paths_tmp])
        else:
            draw_training(curves[:1], [paths_tmp])  # no penalty configured: no path to draw
        draw_training(curves, [training])
        draw_weights_over_epochs(epochs, weights_label, [weights])
        draw_stability(read_table(stability_path), [stable])


def snps(
    *, loadings_path: str, first_layer_paths: list[str], truth_path: str | None, out_tsv: str, out_png: str,
    out_truth: str | None,
) -> None:  # fmt: skip
    """SNP importance for each model (through the genetic components it keeps), a Manhattan-style
    figure, and with a truth file, how many causal SNPs rank near the top."""
    from riata.plots import draw_manhattan
    from riata.report import causal_snps_in_top, snp_importance

    loadings = read_table(loadings_path, dtype={"snp": str, "chrom": str})
    layers = {}
    for path in map(Path, first_layer_paths):
        label, metrics = _model_label(path.parent)
        layers[f"{metrics['feature_set']} {label}"] = read_table(path).set_index("input")
    importance = snp_importance(loadings, layers)
    truth = read_table(truth_path) if truth_path else None
    causal = set(truth.loc[truth["kind"] == "snp", "variable"]) if truth is not None else set()
    outputs = [out_tsv, out_png] + ([out_truth] if truth is not None else [])
    with atomic_outputs(outputs) as paths:
        importance.to_csv(paths[0], sep="\t", index=False, float_format="%.6g")
        draw_manhattan(importance, [c for c in importance.columns if c.startswith("importance_")], [paths[1]], causal)
        if truth is not None:
            causal_snps_in_top(importance, causal).to_csv(paths[2], sep="\t", index=False, float_format="%.4g")


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
