"""Sample matching between the clinical table and the genotypes, and the stratified split."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence

import pandas as pd
from sklearn.model_selection import train_test_split

from riata.errors import RiataError
from riata.settings import SPLITS, SplitSettings

log = logging.getLogger("riata")


def match_samples(clinical_ids: Sequence[str], genotype_ids: Sequence[str], *, min_matched: int,
                  genotype_file: str | os.PathLike = "genotypes") -> list[str]:  # fmt: skip
    """Sample ids present in both files, in clinical-table order; refuse fewer than ``min_matched``."""
    in_genotypes = set(genotype_ids)
    matched = [sample for sample in clinical_ids if sample in in_genotypes]
    only_clinical = len(clinical_ids) - len(matched)
    only_genotypes = len(in_genotypes) - len(matched)
    log.info(
        "samples: %d matched, %d only in the clinical table, %d only in the genotypes",
        len(matched),
        only_clinical,
        only_genotypes,
    )
    if not matched and len(genotype_ids) and len(clinical_ids):
        raise RiataError(f"{genotype_file}: none of its {len(genotype_ids)} samples is in the clinical table (ids "
                         f"compared as written, e.g. {genotype_ids[0]!r} and {clinical_ids[0]!r})")  # fmt: skip
    if len(matched) < min_matched:
        raise RiataError(
            f"only {len(matched)} samples are in both the clinical table and the genotypes "
            f"({only_clinical} only clinical, {only_genotypes} only genotyped); at least {min_matched} needed"
        )
    return matched


def split_samples(outcome: pd.Series, settings: SplitSettings, *, outcome_type: str,
                  clinical_file: str | os.PathLike, genotype_ids: Sequence[str] | None = None,
                  genotype_file: str | os.PathLike = "genotypes") -> pd.Series:  # fmt: skip
    """The split of the samples with an outcome (``outcome``, indexed by sample id) that are genotyped when
    ``genotype_ids`` are given: what ``riata split`` writes and ``riata check`` previews (see
    :func:`stratified_split`), with the same refusals."""
    ids = outcome.index.tolist()
    if genotype_ids is not None:
        ids = match_samples(ids, list(genotype_ids), min_matched=settings.min_matched, genotype_file=genotype_file)
    elif len(ids) < settings.min_matched:
        raise RiataError(f"{clinical_file}: only {len(ids)} samples with an outcome; at least "
                         f"{settings.min_matched} needed")  # fmt: skip
    return stratified_split(outcome.loc[ids], settings, outcome_type=outcome_type)


def strata_of(outcome: pd.Series, outcome_type: str) -> pd.Series:
    """What the split stratifies on: the class (survival: the event), or for a continuous outcome its quintile
    (fewer bins when small)."""
    if outcome_type != "continuous":
        return outcome
    bins = max(1, min(5, len(outcome) // 20))
    return pd.qcut(outcome.rank(method="first"), q=bins, labels=False)


def stratified_split(outcome: pd.Series, settings: SplitSettings, *, outcome_type: str = "binary") -> pd.Series:
    """Assign each sample to train, validation or test, keeping the outcome's class (or quintile) shares.

    ``outcome`` is indexed by sample id; returns a Series with the same index holding the split name.
    """
    validation_share, test_share, seed = settings.validation_share, settings.test_share, settings.seed
    strata = strata_of(outcome, outcome_type)
    needed = math.ceil(1 / min(validation_share, test_share, 1 - validation_share - test_share)) + 1
    for label, count in strata.value_counts().items():
        if count < needed and outcome_type != "continuous":
            names = {"binary": {1: "positive", 0: "negative"}, "survival": {1: "event", 0: "censored"}}
            name = names[outcome_type][label] if outcome_type in names else f"class-{label}"
            raise RiataError(
                f"split: only {count} {name} sample(s); a stratified split with these shares needs at least {needed}"
            )
    rest, test = train_test_split(outcome.index, test_size=test_share, stratify=strata, random_state=seed)
    _, validation = train_test_split(
        rest, test_size=validation_share / (1 - test_share), stratify=strata.loc[rest], random_state=seed
    )
    assignment = pd.Series("train", index=outcome.index, name="split")
    assignment.loc[validation] = "validation"
    assignment.loc[test] = "test"
    for split in SPLITS:
        members = outcome[assignment == split]
        if outcome_type in ("binary", "survival"):
            kind = "positive" if outcome_type == "binary" else "with the event"
            log.info("%s: %d samples, %d %s (%.1f%%)", split, len(members), members.sum(), kind, 100 * members.mean())
        else:
            log.info("%s: %d samples", split, len(members))
    return assignment
