"""The SNP-level network's inputs: the SNPs most associated in the training GWAS, and a check of the screen.

A network on 500,000 SNPs is out of reach; one on the few thousand most associated SNPs of the training
GWAS is not, and the penalty then chooses among them. Each screened SNP is one input (one group),
standardized with its training frequency p: (g - 2p) / sqrt(2p(1 - p)), a missing call 0.

The screen is then checked, as snpnet's BASIL does for the lasso (Qian et al. 2020): a SNP left out has
zero first-layer weights, and they are optimal at the chosen lambda only if the data loss's gradient with
respect to them lies within lambda x the penalty's subdifferential at zero (:func:`riata.train.group_dual_norms`).
That gradient is x_j' D, D the gradient of the mean training loss with respect to the first layer's
outputs (samples x units), which one pass over every SNP of the .bed computes for all seeds at once. A
network stopped early is not exactly at the optimum, so the bar is the larger of lambda and the dual
norms of the screened SNPs it zeroed (:func:`screen_boundaries`): a SNP left out above it violates the
condition, and the model would use it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from riata.errors import RiataError
from riata.io.plink import MISSING_CODE, BedBlocks
from riata.penalties import Groups
from riata.progress import progress
from riata.tasks import Task

log = logging.getLogger("riata")

SPARSE_PENALTIES = ("l1", "elastic_net", "group_lasso", "sparse_group_lasso")  # those whose zeros the check tests


def standardized_dosages(codes: np.ndarray, a1_freq: np.ndarray) -> np.ndarray:
    """(samples x SNPs) int8 codes to float32 standardized dosages with training frequencies (module doc)."""
    p = np.asarray(a1_freq, dtype=np.float32)
    values = (codes - 2 * p) / np.sqrt(2 * p * (1 - p))
    return np.where(codes == MISSING_CODE, 0, values).astype(np.float32)


def snp_inputs(source: BedBlocks, sample_rows: np.ndarray, variant_rows: np.ndarray, a1_freq: np.ndarray,
               sample_ids, names) -> pd.DataFrame:  # fmt: skip
    """Standardized dosages of the SNPs (.bed rows ``variant_rows``) of the samples (.fam rows
    ``sample_rows``), as a frame sample id x SNP name."""
    order = np.argsort(variant_rows)
    codes = np.empty((len(sample_rows), len(variant_rows)), dtype=np.int8)
    codes[:, order] = source.read_codes(np.asarray(sample_rows), np.asarray(variant_rows)[order])[0]
    return pd.DataFrame(standardized_dosages(codes, a1_freq), index=pd.Index(sample_ids, name="sample_id"),
                        columns=list(names))  # fmt: skip


def first_layer_signal(parameters: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor, task: Task) -> np.ndarray:
    """D: the gradient of the mean training loss with respect to the first layer's outputs (samples x units)
    of one network (its parameters in StackedMLP order, one model) at inputs x (samples x inputs)."""
    n_layers = len(parameters) // 2
    weights, biases = parameters[:n_layers], parameters[n_layers:]
    first = (x @ weights[0] + biases[0]).detach().requires_grad_(True)
    hidden = first
    for weight, bias in zip(weights[1:], biases[1:], strict=True):
        hidden = torch.relu(hidden) @ weight + bias
    loss = task.losses(hidden[None], y).mean()
    (signal,) = torch.autograd.grad(loss, first)
    return signal.numpy()


def screen_boundaries(x: np.ndarray, inputs: pd.DataFrame, results, signals: np.ndarray, *, penalty: str,
                      l1_ratio: float) -> np.ndarray:  # fmt: skip
    """Per seed, the dual norm a SNP left out must exceed to count as a violation: the chosen lambda, or, when
    larger, the largest dual norm among the screened SNPs that the network zeroed. A network stopped early
    on its validation objective is not at the penalised optimum, so SNPs it zeroed can exceed lambda; a
    SNP left out violates only if it is stronger than lambda and than every SNP the network saw and
    dropped. ``x`` (training samples x inputs) and ``signals`` (samples, seeds, units) as for
    :func:`screen_violations`."""
    from riata.train import group_dual_norms

    snp_columns = np.flatnonzero((inputs["source"] == "snp").to_numpy())
    boundaries = []
    for s, result in enumerate(results):
        gradient = torch.from_numpy((x[:, snp_columns].T @ signals[:, s, :]).astype(np.float64))[None]
        norms = group_dual_norms(penalty, gradient, Groups.rows(len(snp_columns)), l1_ratio).numpy()[0]
        zeroed = (result.first_layer.to_numpy()[snp_columns] == 0).all(axis=1)
        boundaries.append(max(result.lambda_, norms[zeroed].max(initial=0.0)))
    return np.array(boundaries)


def screen_violations(
    source: BedBlocks,
    train_rows: np.ndarray,
    variant_index: np.ndarray,
    a1_freq: np.ndarray,
    signals: np.ndarray,
    lambdas: np.ndarray,
    *,
    penalty: str,
    l1_ratio: float,
    block_variants: int = 2048,
) -> np.ndarray:
    """Which SNPs (``variant_index``, .bed rows with training frequencies ``a1_freq``) violate the zero-weight
    optimality condition of each seed's chosen network: (SNPs, seeds) bool.

    ``signals`` (samples, seeds, units) holds each seed's D over the training samples (.fam rows
    ``train_rows``, in that order) and ``lambdas`` (seeds,) the dual norm above which a SNP violates.
    """
    from riata.train import group_dual_norms

    n_seeds, units = signals.shape[1], signals.shape[2]
    flat = signals.reshape(len(train_rows), n_seeds * units).astype(np.float32)
    violating = np.zeros((len(variant_index), n_seeds), dtype=bool)
    starts = range(0, len(variant_index), block_variants)
    for start in progress(starts, total=len(starts), description="screen check"):
        rows = slice(start, start + block_variants)
        codes = source.read_codes(train_rows, variant_index[rows])[0]
        gradient = standardized_dosages(codes, a1_freq[rows]).T @ flat  # (SNPs, seeds x units)
        per_seed = torch.from_numpy(gradient.reshape(-1, n_seeds, units).transpose(1, 0, 2).astype(np.float64))
        norms = group_dual_norms(penalty, per_seed, Groups.rows(per_seed.shape[1]), l1_ratio).numpy()  # (seeds, SNPs)
        violating[rows] = (norms > lambdas[:, None]).T
    return violating


@dataclass(frozen=True)
class ScreenGenotypes:
    """Where the screened SNPs come from: the .bed, the .fam row of every sample of the design tables
    (by sample id), and the training GWAS (one row per QC-passing SNP, .bed rows ``variant_index``)."""

    source: BedBlocks
    fam_row: pd.Series  # sample id -> .fam row
    gwas: pd.DataFrame  # snp, a1_freq, p, ...
    variant_index: np.ndarray


@dataclass
class ScreenedFit:
    """The fitted networks on the final screen, the design they were fitted on and the screen's record."""

    results: list
    columns: pd.DataFrame  # the inputs of the networks
    screened: int  # SNPs in the final screen
    rounds: int  # fits done (1 + widenings)
    violations: dict[int, int]  # seed -> SNPs outside the final screen that violate its optimality condition


def fit_screened(
    tables: dict[str, pd.DataFrame],
    columns: pd.DataFrame,
    genotypes: ScreenGenotypes,
    *,
    feature_set: str,
    penalty: str,
    task: Task,
    seeds: list[int],
    settings,
    screen,
) -> ScreenedFit:
    """Fit the penalised networks on the ``screen.size`` SNPs most associated in the training GWAS (with the
    design's other inputs of ``feature_set``), check the screen over every SNP, and while some seed's
    network would use a SNP left out, add those SNPs (at most ``screen.size`` a round, most associated
    first) and fit again, at most ``screen.rounds`` times."""
    from riata.features import feature_columns, with_inputs
    from riata.train import fit_penalty

    gwas = genotypes.gwas
    if gwas["snp"].duplicated().any():
        raise RiataError(f"train: SNP id {gwas['snp'][gwas['snp'].duplicated()].iloc[0]!r} is not unique; the snps "
                         "feature sets name inputs by SNP id")  # fmt: skip
    by_p = np.argsort(gwas["p"].fillna(1.0).to_numpy(), kind="stable")
    screened = np.sort(by_p[: screen.size])
    for round_ in range(1, screen.rounds + 2):
        values = _screened_values(tables, genotypes, screened)
        design, all_columns = with_inputs(tables, columns, values, "snp")
        inputs = feature_columns(all_columns, feature_set)
        results = fit_penalty(design, inputs, task=task, penalty=penalty, seeds=seeds, settings=settings)
        violating = _violations(design, inputs, genotypes, results, screened, task=task, penalty=penalty,
                                settings=settings)  # fmt: skip
        counts = {seed: int(violating[:, s].sum()) for s, seed in enumerate(seeds)}
        log.info("%s screen of %d SNPs, round %d: %s SNP(s) outside it would enter the chosen networks", penalty,
                 len(screened), round_, ", ".join(f"seed {seed}: {n}" for seed, n in counts.items()))  # fmt: skip
        if not violating.any() or round_ > screen.rounds:
            return ScreenedFit(results, inputs, len(screened), round_, counts)
        added = [snp for snp in by_p if violating[snp].any()][: screen.size]
        screened = np.union1d(screened, added)
    raise AssertionError("unreachable")


def _screened_values(tables: dict[str, pd.DataFrame], genotypes: ScreenGenotypes, screened: np.ndarray) -> pd.DataFrame:
    """Standardized dosages of the screened SNPs (positions among the GWAS rows) for every design sample."""
    ids = np.concatenate([table.index.to_numpy() for table in tables.values()])
    gwas = genotypes.gwas.iloc[screened]
    return snp_inputs(genotypes.source, genotypes.fam_row.loc[ids].to_numpy(), genotypes.variant_index[screened],
                      gwas["a1_freq"].to_numpy(), ids, gwas["snp"])  # fmt: skip


def _violations(
    design, inputs, genotypes: ScreenGenotypes, results, screened, *, task, penalty, settings
) -> np.ndarray:
    """(GWAS SNPs, seeds) bool: SNPs outside the screen that violate each seed's chosen network's optimality
    condition (none for penalties without exact zeros, or with every layer penalised)."""
    violating = np.zeros((len(genotypes.gwas), len(results)), dtype=bool)
    if penalty not in SPARSE_PENALTIES or settings.mode != "proximal":
        return violating
    train = design["train"]
    x = torch.tensor(train[inputs["column"].tolist()].to_numpy(), dtype=torch.float32)
    y = task.target_tensor(task.targets(train))
    signals = np.stack([first_layer_signal(result.parameters, x, y, task) for result in results], axis=1)
    lambdas = np.array([result.lambda_ for result in results])
    outside = np.setdiff1d(np.arange(len(genotypes.gwas)), screened)
    checked = screen_violations(genotypes.source, genotypes.fam_row.loc[train.index].to_numpy(),
                                genotypes.variant_index[outside], genotypes.gwas["a1_freq"].to_numpy()[outside],
                                signals, lambdas, penalty=penalty, l1_ratio=settings.l1_ratio)  # fmt: skip
    violating[outside] = checked
    return violating
