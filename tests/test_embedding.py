import numpy as np
import pytest

from riata.embedding import embed_samples, fit_randomized_pca, standardize
from riata.errors import RiataError
from riata.io.plink import open_plink, write_plink
from riata.io.tables import atomic_outputs
from riata.qc import apply_variant_filters, variant_statistics


def fit(genotypes, train, **options):
    statistics, _ = apply_variant_filters(variant_statistics(genotypes, train), min_call_rate=0.9, min_maf=0.01)
    variant_index = np.flatnonzero(statistics["pass"])
    frequencies = statistics["a1_freq"].to_numpy()[variant_index]
    settings = {"n_components": 5, "oversampling": 10, "power_iterations": 6, "seed": 0, **options}
    return fit_randomized_pca(
        genotypes, train_index=train, variant_index=variant_index, a1_freq=frequencies, **settings
    )


@pytest.fixture(scope="module")
def cohort(tiny_cohort):
    genotypes = open_plink(tiny_cohort / "genotypes", block_variants=512)
    train = np.flatnonzero(np.arange(genotypes.n_samples) % 3 != 2)  # two thirds for training
    return genotypes, train


def test_matches_exact_svd_where_the_spectrum_has_gaps(cohort):
    genotypes, train = cohort
    embedding = fit(genotypes, train)
    dense = genotypes.dosage.compute()[train][:, embedding.variant_index]
    x = standardize(dense, embedding.a1_freq).astype(np.float64)
    _, singular_values, right = np.linalg.svd(x, full_matrices=False)
    # Symmetric demes give components with (nearly) equal singular values, which no method can tell
    # apart; compare the subspace up to the last clear gap (> 10%) instead of single components.
    gaps = singular_values[:5] / singular_values[1:6]
    leading = int(np.flatnonzero(gaps > 1.1).max()) + 1
    assert leading >= 2  # three demes give two structure components
    cosines = np.linalg.svd(right[:leading] @ embedding.loadings[:, :leading], compute_uv=False)
    assert cosines.min() > 0.999
    np.testing.assert_allclose(embedding.singular_values[:leading], singular_values[:leading], rtol=1e-3)
    np.testing.assert_allclose(embedding.total_variance, np.square(x).sum(), rtol=1e-5)
    np.testing.assert_allclose(embedding.variance_explained, embedding.singular_values**2 / np.square(x).sum())


def test_scores_are_standardized_genotypes_times_loadings(cohort):
    genotypes, train = cohort
    embedding = fit(genotypes, train)
    scores = embed_samples(genotypes, embedding, threads=2)
    dense = genotypes.dosage.compute()[:, embedding.variant_index]
    expected = standardize(dense, embedding.a1_freq).astype(np.float64) @ embedding.loadings
    np.testing.assert_allclose(scores, expected, rtol=1e-4, atol=1e-3)
    assert scores.shape == (genotypes.n_samples, 5)


def test_held_out_genotypes_do_not_change_what_is_fitted(cohort, tmp_path):
    genotypes, train = cohort
    held_out = np.setdiff1d(np.arange(genotypes.n_samples), train)
    dosage = genotypes.dosage.compute()
    scrambled = dosage.copy()
    rng = np.random.default_rng(1)
    scrambled[held_out] = rng.integers(0, 3, size=(len(held_out), dosage.shape[1]))
    prefix = tmp_path / "scrambled"
    with (
        atomic_outputs([f"{prefix}.bed", f"{prefix}.bim", f"{prefix}.fam"]) as (bed, bim, fam),
        write_plink(bed, bim, fam, genotypes.samples, genotypes.variants) as writer,
    ):
        for column in scrambled.T:
            writer.write(column)
    other = open_plink(prefix, block_variants=512)
    original, changed = fit(genotypes, train), fit(other, train)
    np.testing.assert_array_equal(original.variant_index, changed.variant_index)
    np.testing.assert_array_equal(original.loadings, changed.loadings)
    np.testing.assert_array_equal(
        embed_samples(genotypes, original, sample_index=train), embed_samples(other, changed, sample_index=train)
    )


def test_too_many_components_for_the_data_is_an_error(cohort):
    genotypes, train = cohort
    with pytest.raises(RiataError, match="embed: 200 components \\+ 10 oversampling need at least 210"):
        fit(genotypes, train, n_components=200)


def test_standardize_imputes_missing_as_zero():
    block = np.array([[0.0, np.nan], [2.0, 1.0]], dtype=np.float32)
    frequencies = np.array([0.5, 0.25])
    expected = np.array([[-1 / np.sqrt(0.5), 0.0], [1 / np.sqrt(0.5), 0.5 / np.sqrt(0.375)]])
    np.testing.assert_allclose(standardize(block, frequencies), expected, rtol=1e-6)
