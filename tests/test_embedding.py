import numpy as np
import pandas as pd
import pytest

from riata.embedding import GenotypeSelection, fit_pca, integer_weights, standardize
from riata.errors import RiataError
from riata.io.plink import BedBlocks, open_plink, write_plink
from riata.io.tables import atomic_outputs
from riata.qc import count_genotypes, variant_statistics


def fit(genotypes, train, **options):
    """QC frequencies on training rows, then the PCA; returns (embedding, loadings, variants, frequencies)."""
    training = np.isin(np.arange(genotypes.n_samples), train)
    _, counts = count_genotypes(genotypes, np.arange(genotypes.n_samples), training)
    statistics = variant_statistics(genotypes.variants, counts)
    variant_index = np.flatnonzero((statistics["maf"] >= 0.01) & (statistics["call_rate"] >= 0.9))
    frequencies = statistics["a1_freq"].to_numpy()[variant_index]
    loadings = np.full((len(variant_index), options.get("n_components", 5)), np.nan)

    def collect(first, chunk):
        loadings[first : first + len(chunk)] = chunk

    settings = {
        "n_components": 5,
        "oversampling": 10,
        "power_iterations": 4,
        "seed": 0,
        "block_variants": 512,
        **options,
    }
    embedding = fit_pca(selection(genotypes, train, variant_index, frequencies), write_loadings=collect, **settings)
    return embedding, loadings, variant_index, frequencies


def selection(genotypes, train, variant_index, frequencies, held_out=None):
    """The training rows, the others (or ``held_out``) and the variants used, of an opened fileset."""
    source = BedBlocks(f"{genotypes.prefix}.bed", genotypes.n_samples, genotypes.n_variants)
    others = np.setdiff1d(np.arange(genotypes.n_samples), train) if held_out is None else held_out
    return GenotypeSelection(source, train, others, variant_index, frequencies)


@pytest.fixture(scope="module")
def cohort(tiny_cohort):
    genotypes = open_plink(tiny_cohort / "genotypes", block_variants=512)
    train = np.flatnonzero(np.arange(genotypes.n_samples) % 3 != 2)  # two thirds for training
    return genotypes, train


@pytest.mark.parametrize("algorithm", ["relationship", "krylov"])
def test_matches_exact_svd_where_the_spectrum_has_gaps(cohort, algorithm):
    genotypes, train = cohort
    embedding, loadings, variant_index, frequencies = fit(genotypes, train, algorithm=algorithm)
    dosage = genotypes.dosage.compute()[:, variant_index]
    x = standardize(dosage[train], frequencies).astype(np.float64)
    _, singular_values, right = np.linalg.svd(x, full_matrices=False)
    # Symmetric demes give components with (nearly) equal singular values, which no method can tell
    # apart; compare the subspace up to the last clear gap (> 10%) instead of single components.
    gaps = singular_values[:5] / singular_values[1:6]
    leading = int(np.flatnonzero(gaps > 1.1).max()) + 1
    assert leading >= 2  # three demes give two structure components
    cosines = np.linalg.svd(right[:leading] @ loadings[:, :leading], compute_uv=False)
    assert cosines.min() > 0.999
    np.testing.assert_allclose(embedding.singular_values[:leading], singular_values[:leading], rtol=1e-3)
    np.testing.assert_allclose(embedding.total_variance, np.square(x).sum(), rtol=1e-5)
    np.testing.assert_allclose(loadings.T @ loadings, np.eye(5), atol=1e-4)  # orthonormal loadings
    # Scores are standardized genotypes times loadings, for training and held-out samples alike.
    held_out = np.setdiff1d(np.arange(genotypes.n_samples), train)
    np.testing.assert_allclose(embedding.train_scores, x @ loadings, rtol=1e-3, atol=1e-2)
    x_other = standardize(dosage[held_out], frequencies).astype(np.float64)
    np.testing.assert_allclose(embedding.other_scores, x_other @ loadings, rtol=1e-3, atol=1e-2)
    np.testing.assert_allclose(embedding.eigenvalues, embedding.singular_values**2 / len(variant_index))
    # The top 5 capture (nearly) the exact top-5 variance, noise components included.
    assert (embedding.singular_values**2).sum() / (singular_values[:5] ** 2).sum() > 0.999


def test_integer_weights_keep_four_significant_bits_over_any_frequency_range():
    frequencies = np.geomspace(1e-5, 0.5, 500)
    scale = 1 / np.sqrt(2 * frequencies * (1 - frequencies))
    weights, units = integer_weights(frequencies)
    assert weights.dtype == np.int8 and weights.min() >= 16  # (dosage - 1) x weight fits int8
    assert np.abs(weights * units / scale - 1).max() <= 0.5 / 16
    assert len(np.unique(units)) == int(np.ceil(np.log(scale.max() / scale.min()) / np.log(8)))
    common = integer_weights(np.linspace(0.05, 0.5, 50))[1]
    assert len(np.unique(common)) == 1  # MAF >= 0.05: one grid, one int8 product per block


def test_relationship_algorithm_with_rare_variants_and_several_weight_classes(tmp_path):
    rng = np.random.default_rng(5)
    n_samples, n_variants = 300, 800
    deme = np.repeat([0, 1], n_samples // 2)
    base = np.geomspace(0.002, 0.5, n_variants)  # several weight classes
    shifted = np.clip(base * rng.uniform(0.5, 1.5, (2, n_variants)), 0.001, 0.999)
    dosage = rng.binomial(2, shifted[deme]).astype(np.float32)  # samples x variants, two demes
    dosage[rng.random(dosage.shape) < 0.01] = np.nan
    samples = pd.DataFrame({"fid": [f"f{i}" for i in range(n_samples)], "iid": [f"s{i}" for i in range(n_samples)]})
    variants = pd.DataFrame({"chrom": "1", "snp": [f"rs{j}" for j in range(n_variants)], "pos": np.arange(n_variants),
                             "a1": "A", "a2": "G"})  # fmt: skip
    prefix = tmp_path / "rare"
    with write_plink(f"{prefix}.bed", f"{prefix}.bim", f"{prefix}.fam", samples, variants) as writer:
        for column in dosage.T:
            writer.write(column)
    train = np.arange(0, n_samples, 2)
    counts = np.nan_to_num(dosage[train]).sum(axis=0)
    frequencies = counts / (2 * (~np.isnan(dosage[train])).sum(axis=0))
    kept = np.flatnonzero((frequencies > 0) & (frequencies < 1))
    assert len(np.unique(integer_weights(frequencies[kept])[1])) >= 2
    genotypes = GenotypeSelection(BedBlocks(f"{prefix}.bed", n_samples, n_variants), train,
                                  np.arange(1, n_samples, 2), kept, frequencies[kept])  # fmt: skip
    embedding = fit_pca(genotypes, n_components=5, write_loadings=lambda *_: None, algorithm="relationship")
    x = standardize(dosage[train][:, kept], frequencies[kept]).astype(np.float64)
    exact = np.linalg.svd(x, compute_uv=False)
    # Weights rounded by up to 3% (rare variants) still give a subspace within 0.1% of exact.
    np.testing.assert_allclose(embedding.singular_values, exact[:5], rtol=1e-3)
    assert (embedding.singular_values**2).sum() / (exact[:5] ** 2).sum() > 0.999
    assert embedding.total_variance == pytest.approx(np.square(x).sum(), rel=1e-5)


@pytest.mark.parametrize("algorithm", ["relationship", "krylov"])
def test_held_out_genotypes_do_not_change_what_is_fitted(cohort, tmp_path, algorithm):
    genotypes, train = cohort
    held_out = np.setdiff1d(np.arange(genotypes.n_samples), train)
    scrambled = genotypes.dosage.compute()
    scrambled[held_out] = np.random.default_rng(1).integers(0, 3, size=(len(held_out), scrambled.shape[1]))
    prefix = tmp_path / "scrambled"
    with (
        atomic_outputs([f"{prefix}.bed", f"{prefix}.bim", f"{prefix}.fam"]) as (bed, bim, fam),
        write_plink(bed, bim, fam, genotypes.samples, genotypes.variants) as writer,
    ):
        for column in scrambled.T:
            writer.write(column)
    original, original_loadings, original_variants, original_frequencies = fit(genotypes, train, algorithm=algorithm)
    changed, changed_loadings, changed_variants, changed_frequencies = fit(open_plink(prefix), train,
                                                                           algorithm=algorithm)  # fmt: skip
    np.testing.assert_array_equal(original_variants, changed_variants)  # QC
    np.testing.assert_array_equal(original_frequencies, changed_frequencies)  # standardization
    np.testing.assert_array_equal(original_loadings, changed_loadings)
    np.testing.assert_array_equal(original.train_scores, changed.train_scores)
    assert not np.array_equal(original.other_scores, changed.other_scores)


@pytest.mark.parametrize("algorithm", ["relationship", "krylov"])
def test_a_two_worker_dask_cluster_gives_the_same_components(cohort, tmp_path, algorithm):
    distributed = pytest.importorskip("distributed")
    genotypes, train = cohort
    threaded, threaded_loadings, *_ = fit(genotypes, train, threads=2, algorithm=algorithm)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        clustered, clustered_loadings, *_ = fit(genotypes, train, scheduler=client, spill_dir=str(tmp_path),
                                                algorithm=algorithm)  # fmt: skip
    np.testing.assert_allclose(clustered.singular_values, threaded.singular_values, rtol=1e-6)
    np.testing.assert_allclose(clustered_loadings, threaded_loadings, atol=1e-5)
    np.testing.assert_allclose(clustered.other_scores, threaded.other_scores, atol=1e-3)


def test_too_many_components_for_the_data_is_an_error(cohort):
    genotypes, train = cohort
    with pytest.raises(RiataError, match="embed: 200 components need at least 200 training samples and variants"):
        fit(genotypes, train, n_components=200)
    narrow = fit(genotypes, train, n_components=5, oversampling=10, power_iterations=50)[0]  # fewer iterations fit
    assert narrow.singular_values.shape == (5,)


def test_standardize_imputes_missing_as_zero():
    block = np.array([[0.0, np.nan], [2.0, 1.0]], dtype=np.float32)  # samples x variants
    frequencies = np.array([0.5, 0.25])
    expected = np.array([[-1 / np.sqrt(0.5), 0.0], [1 / np.sqrt(0.5), 0.5 / np.sqrt(0.375)]])
    np.testing.assert_allclose(standardize(block, frequencies), expected, rtol=1e-6)


def test_autoencoder_learns_the_structure_from_training_samples_only(cohort):
    from riata.autoencoder import fit_autoencoder

    genotypes, train = cohort
    held_out = np.setdiff1d(np.arange(genotypes.n_samples), train)
    embedding, _, variant_index, frequencies = fit(genotypes, train)
    common = {"n_components": 3, "epochs": 60, "batch_size": 32, "learning_rate": 3e-3, "block_variants": 700,
              "seed": 0}  # fmt: skip
    autoencoder = fit_autoencoder(selection(genotypes, train, variant_index, frequencies), **common)
    assert autoencoder.losses[-1] < autoencoder.losses[0]
    assert autoencoder.train_codes.shape == (len(train), 3) and autoencoder.other_codes.shape == (len(held_out), 3)
    assert autoencoder.encoder_weights.shape == (len(variant_index), 3)
    # The codes carry the demes: they predict the two leading principal components well.
    codes = np.column_stack([autoencoder.train_codes, np.ones(len(train))])
    for j in range(2):
        fitted = codes @ np.linalg.lstsq(codes, embedding.train_scores[:, j], rcond=None)[0]
        assert np.corrcoef(fitted, embedding.train_scores[:, j])[0, 1] > 0.85
    # The held-out samples' genotypes play no part in training. BLAS rounding differs between runs (buffer
    # alignment) and 60 Adam epochs amplify it to about 3e-3; adding 5 samples to training moves codes by about 3.
    again = fit_autoencoder(selection(genotypes, train, variant_index, frequencies, held_out[:5]), **common)
    np.testing.assert_allclose(again.train_codes, autoencoder.train_codes, atol=0.05)


def test_auto_picks_the_relationship_matrix_only_while_it_fits():
    from riata.embedding import choose_algorithm

    assert choose_algorithm("auto", 3000, 6000) == "relationship"
    assert choose_algorithm("auto", 6001, 6000) == "krylov"
    assert choose_algorithm("krylov", 100, 6000) == "krylov"
    with pytest.raises(RiataError, match="algorithm must be one of auto, relationship, krylov"):
        choose_algorithm("exact", 100, 6000)
