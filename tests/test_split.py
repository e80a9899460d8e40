import numpy as np
import pandas as pd
import pytest

from riata.errors import RiataError
from riata.settings import SplitSettings
from riata.split import match_samples, stratified_split


def outcome_series(n_positive, n_negative):
    ids = [f"s{i}" for i in range(n_positive + n_negative)]
    return pd.Series([1] * n_positive + [0] * n_negative, index=ids)


def test_split_keeps_class_shares_and_covers_every_sample_once():
    outcome = outcome_series(100, 300)
    split = stratified_split(outcome, SplitSettings(validation_share=0.2, test_share=0.25, seed=4))
    assert split.index.equals(outcome.index)
    counts = split.value_counts()
    assert counts["test"] == 100 and counts["validation"] == 80 and counts["train"] == 220
    for name in ["train", "validation", "test"]:
        assert outcome[split == name].mean() == pytest.approx(0.25, abs=0.01)


def test_split_is_deterministic_given_the_seed():
    outcome = outcome_series(50, 150)
    first = stratified_split(outcome, SplitSettings(validation_share=0.2, test_share=0.2, seed=1))
    again = stratified_split(outcome, SplitSettings(validation_share=0.2, test_share=0.2, seed=1))
    other = stratified_split(outcome, SplitSettings(validation_share=0.2, test_share=0.2, seed=2))
    assert first.equals(again)
    assert not first.equals(other)


@pytest.mark.parametrize(
    ("validation", "test", "message"),
    [
        (0.5, 0.5, "split: validation_share \\+ test_share is 1; it must be below 1"),
        (0.0, 0.2, "split: validation_share must be in \\(0, 1\\), got 0"),
    ],
)
def test_bad_shares_are_refused(validation, test, message):
    with pytest.raises(RiataError, match=message):
        stratified_split(outcome_series(50, 50), SplitSettings(validation_share=validation, test_share=test, seed=1))


def test_too_few_positives_for_a_stratified_split():
    with pytest.raises(RiataError, match=r"split: only 3 positive sample\(s\); .* needs at least 6"):
        stratified_split(outcome_series(3, 200), SplitSettings(validation_share=0.2, test_share=0.2, seed=1))


def test_matching_keeps_clinical_order_and_refuses_small_overlap():
    clinical = ["c", "a", "b", "x"]
    genotyped = ["a", "b", "c", "y", "z"]
    assert match_samples(clinical, genotyped, min_matched=3) == ["c", "a", "b"]
    with pytest.raises(RiataError, match=r"only 3 samples are in both .* \(1 only clinical, 2 only genotyped\)"):
        match_samples(clinical, genotyped, min_matched=4)
    assert np.array_equal(match_samples([], [], min_matched=0), [])
