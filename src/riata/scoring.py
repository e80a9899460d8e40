"""Scoring new patients with a model bundle: ``riata.load_model(path)`` and ``riata predict``.

A :class:`RiataModel` turns a clinical table (and, for models with genetic inputs, a PLINK 1 fileset)
into the network's inputs exactly as the workflow did for its held-out samples: the training medians,
means, scales and one-hot levels for clinical covariates (a level never seen in training is all zeros,
as in training; a missing value takes the training median or mode), and for genotypes the harmonised
variants of :mod:`riata.genetics.harmonise` with training frequencies, loadings and score weights. Then
the network's outputs become probabilities, values or (survival) risk scores and survival curves from
the Breslow baseline hazard.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from riata.bundle import Bundle, load_bundle
from riata.errors import RiataError
from riata.settings import DEFAULT_MAX_MISSING_SHARE

log = logging.getLogger("riata")


@dataclass(frozen=True)
class ScoredCohort:
    """The design (samples x network inputs), the checked clinical frame, and the variant matching counts."""

    design: pd.DataFrame
    clinical: pd.DataFrame
    harmonisation: dict[str, int]


class RiataModel:
    """One trained network and its preprocessing, loaded from a bundle (:func:`load_model`)."""

    def __init__(self, bundle: Bundle):
        from riata.tasks import Task

        self.bundle = bundle
        outcome = bundle.description["outcome"]
        self.outcome_type: str = outcome["type"]
        self.classes: list[str] = list(outcome["classes"])
        self.task = Task(self.outcome_type, n_classes=max(len(self.classes), 2))

    @property
    def selected_variables(self) -> list[str]:
        """The variables the network uses: clinical variables, ``genetic_<j>``, ``prs`` or SNP ids."""
        return self.bundle.selected_variables

    @property
    def clinical_spec(self):
        from riata.settings import ClinicalSpec, from_config

        return from_config(ClinicalSpec, {**self.bundle.description["clinical"], "path": None})

    def __repr__(self) -> str:
        d = self.bundle.description
        return (f"RiataModel({d['feature_set']}, {d['penalty']}, seed {d['seed']}, lambda {d['lambda']:.3g}, "
                f"{self.outcome_type}; {len(self.selected_variables)} variables)")  # fmt: skip

    def inputs(self, clinical: pd.DataFrame | str | Path, genotypes: str | Path | None = None, *,
               use_fid: bool = False, max_missing_share: float = DEFAULT_MAX_MISSING_SHARE,
               ambiguous: str = "frequency") -> ScoredCohort:  # fmt: skip
        """The network inputs of the patients in ``clinical`` (a DataFrame or a table's path; the outcome
        column is optional), with ``genotypes`` (PLINK 1 prefix) when the network uses genetic inputs;
        ``ambiguous`` is the rule for strand-ambiguous SNPs (:mod:`riata.genetics.harmonise`)."""
        from riata.io.clinical import check_clinical, read_clinical

        spec = self.clinical_spec
        if isinstance(clinical, pd.DataFrame):
            table = check_clinical(clinical, spec, "clinical table", outcome_required=False)
        else:
            table = read_clinical(clinical, spec, outcome_required=False)
        frame = table.frame
        design = pd.DataFrame(0.0, index=frame.index, columns=self.bundle.inputs["column"].tolist())
        design.update(_clinical_inputs(frame, self.bundle.description["preprocessing"], set(design.columns)))
        counts = {}
        if self.bundle.variants is not None:
            if genotypes is None:
                raise RiataError(f"{self.bundle.path}: the model uses genetic inputs; give the genotypes (a PLINK 1 "
                                 "prefix)")  # fmt: skip
            genetic, counts, kept = _genetic_inputs(self.bundle, genotypes, frame.index, use_fid, max_missing_share,
                                                    ambiguous)  # fmt: skip
            design, frame = design.loc[kept], frame.loc[kept]
            design.update(genetic)
        return ScoredCohort(design.astype(np.float32), frame, counts)

    def outputs(self, design: pd.DataFrame) -> np.ndarray:
        """Network outputs (samples, outputs) of a design from :meth:`inputs`."""
        import torch

        from riata.model import StackedMLP

        hidden = self.bundle.description["hidden_layers"]
        network = StackedMLP(design.shape[1], hidden, [0], self.task.n_outputs)
        with torch.no_grad():
            for parameter, value in zip(network.parameters(), self.bundle.parameters, strict=True):
                parameter.copy_(value.unsqueeze(0))
            return network(torch.from_numpy(design.to_numpy(dtype=np.float32)))[0]

    def predictions(self, design: pd.DataFrame) -> np.ndarray:
        """The task's predictions (a row of :meth:`riata.tasks.Task.predict`) of a design from :meth:`inputs`."""
        return self.task.predict(self.outputs(design).unsqueeze(0))[0]

    def _predictions(self, clinical, genotypes, **options) -> np.ndarray:
        return self.predictions(self.inputs(clinical, genotypes, **options).design)

    def predict(self, clinical, genotypes=None, **options) -> np.ndarray:
        """Class labels (classification), values (continuous) or risk scores (survival: log relative hazards)."""
        prediction = self._predictions(clinical, genotypes, **options)
        if self.outcome_type == "binary":
            return np.asarray(self.classes)[(prediction >= 0.5).astype(int)]
        if self.outcome_type == "multiclass":
            return np.asarray(self.classes)[prediction.argmax(axis=1)]
        return prediction.astype(np.float64)

    def predict_proba(self, clinical, genotypes=None, **options) -> np.ndarray:
        """Class probabilities (samples, classes) in the order of ``classes``."""
        if self.outcome_type not in ("binary", "multiclass"):
            raise RiataError(f"predict_proba: the outcome is {self.outcome_type}, not a classification")
        prediction = self._predictions(clinical, genotypes, **options)
        return np.column_stack([1 - prediction, prediction]) if self.outcome_type == "binary" else prediction

    def predict_survival_function(self, clinical, genotypes=None, times=None, **options) -> np.ndarray:
        """Survival probabilities S(t | x) (samples, times) at ``times`` (default: the horizon)."""
        baseline = self.baseline_hazard()
        times = np.atleast_1d(self.bundle.description["outcome"]["horizon"] if times is None else times)
        return baseline.survival_curves(self._predictions(clinical, genotypes, **options), times)

    def baseline_hazard(self):
        from riata.survival import BaselineHazard

        if self.outcome_type != "survival":
            raise RiataError(f"survival curves: the outcome is {self.outcome_type}, not survival")
        stored = self.bundle.description["baseline_hazard"]
        return BaselineHazard(np.asarray(stored["times"]), np.asarray(stored["cumulative_hazard"]))

    def prediction_table(self, scored: ScoredCohort, prediction: np.ndarray) -> pd.DataFrame:
        """What ``riata predict`` writes of ``scored`` and its :meth:`predictions`: sample_id, the outcome (and
        time) where the table has it, the prediction columns."""
        from riata.io.clinical import OUTCOME, OUTCOME_TIME
        from riata.io.results import prediction_columns

        table = pd.DataFrame({"sample_id": scored.design.index})
        for column in (OUTCOME, OUTCOME_TIME):
            if column in scored.clinical:
                table[column] = scored.clinical[column].to_numpy()
        at_horizon = None
        if self.outcome_type == "survival":
            horizon = np.array([self.bundle.description["outcome"]["horizon"]])
            at_horizon = 1 - self.baseline_hazard().survival_curves(prediction, horizon)[:, 0]
        return pd.concat([table, prediction_columns(self.task, self.classes, prediction, at_horizon)], axis=1)


def load_model(path: str | Path) -> RiataModel:
    """Load a model bundle written by ``riata bundle`` (no code is run: JSON, parquet and tensors only)."""
    return RiataModel(load_bundle(path))


def _clinical_inputs(frame: pd.DataFrame, preprocessing: dict, wanted: set[str]) -> pd.DataFrame:
    """Imputed and scaled numeric covariates, one-hot categorical ones (training levels; unseen: zeros)."""
    columns = {}
    for name, fitted in preprocessing.get("numeric", {}).items():
        columns[name] = (frame[name].fillna(fitted["median"]) - fitted["mean"]) / fitted["scale"]
    for name, fitted in preprocessing.get("categorical", {}).items():
        values = frame[name].fillna(fitted["mode"])
        unseen = ~values.isin(fitted["levels"])
        if unseen.any():
            log.warning("clinical column %r: %d sample(s) with a level not seen in training (%r ...): all its one-hot "
                        "inputs are 0, as in training", name, int(unseen.sum()), values[unseen].iloc[0])  # fmt: skip
        for level in fitted["levels"]:
            columns[f"{name}_{level}"] = (values == level).astype(float)
    return pd.DataFrame({name: values for name, values in columns.items() if name in wanted}, index=frame.index)


def _genetic_inputs(bundle: Bundle, genotypes, sample_ids: pd.Index, use_fid: bool, max_missing_share: float,
                    ambiguous: str) -> tuple[pd.DataFrame, dict, pd.Index]:  # fmt: skip
    """Genetic inputs (samples x used genetic columns) of the samples also in the .fam, the matching counts and
    those samples' ids (clinical samples without genotypes are left out, with a warning)."""
    from riata.genetics.harmonise import genetic_inputs, harmonise, report
    from riata.io.plink import BedBlocks, check_bed, plink_paths, read_bim, read_fam

    paths = plink_paths(genotypes)
    fam, bim = read_fam(paths["fam"], use_fid=use_fid), read_bim(paths["bim"])
    check_bed(paths["bed"], len(fam), len(bim))
    kept = sample_ids[sample_ids.isin(fam["sample_id"])]
    if len(kept) < len(sample_ids):
        log.warning("%s: %d of %d clinical samples have no genotypes and are left out", paths["fam"],
                    len(sample_ids) - len(kept), len(sample_ids))  # fmt: skip
    if not len(kept):
        raise RiataError(f"{paths['fam']}: none of the clinical table's samples is in the file")
    source = BedBlocks(paths["bed"], len(fam), len(bim))
    harmonised = harmonise(bundle.variants, bim, source, ambiguous)
    report(harmonised, str(paths["bim"]), max_missing_share)
    rows = pd.Series(np.arange(len(fam)), index=fam["sample_id"]).loc[kept].to_numpy()
    weights, parameters = _genetic_weights(bundle)
    components, score, snps = genetic_inputs(source, rows, harmonised, weights)
    used = parameters["components"]
    parts = [pd.DataFrame(components, index=kept, columns=used["columns"])]
    if used["columns"]:
        parts[0] = (parts[0] - used["mean"]) / used["scale"]
    if parameters.get("prs"):
        parts.append(pd.DataFrame({"prs": (score - parameters["prs"]["mean"]) / parameters["prs"]["sd"]}, index=kept))
    snp_names = bundle.variants.loc[bundle.variants["snp_input"], "snp"].tolist()
    parts.append(pd.DataFrame(snps, index=kept, columns=snp_names))
    return pd.concat(parts, axis=1), harmonised.counts, kept


def _genetic_weights(bundle: Bundle):
    """The bundle's per-variant weights as :class:`riata.genetics.harmonise.GeneticWeights`, and its genetic
    parameters (with an empty components entry when no component is used)."""
    from riata.genetics.harmonise import GeneticWeights

    variants, parameters = bundle.variants, dict(bundle.description["genetic"])
    components = parameters.get("components") or {"columns": [], "shrinkage": []}
    parameters["components"] = components
    loadings = variants[[f"loading_{c.rsplit('_', 1)[1]}" for c in components["columns"]]].to_numpy(np.float32)
    weights = GeneticWeights(
        a1_freq=variants["a1_freq"].to_numpy(), loadings=loadings, shrinkage=np.asarray(components["shrinkage"]),
        score_weights=variants["score_weight"].to_numpy(np.float32),
        snp_inputs=np.flatnonzero(variants["snp_input"].to_numpy()),
    )  # fmt: skip
    return weights, parameters
