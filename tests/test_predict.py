"""Scoring new patients: variant harmonisation, model bundles and `riata predict`."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riata.errors import RiataError
from riata.genetics.harmonise import GeneticWeights, genetic_inputs, harmonise, report
from riata.io.plink import BedBlocks, read_bim, write_plink

COMPLEMENT = {"A": "T", "T": "A", "C": "G", "G": "C"}


def write_fileset(prefix, dosages: np.ndarray, variants: pd.DataFrame) -> tuple[BedBlocks, pd.DataFrame]:
    """A PLINK 1 fileset of ``dosages`` (samples x variants, NaN missing); its reader and .bim."""
    samples = pd.DataFrame(
        {"fid": [f"S{i}" for i in range(len(dosages))], "iid": [f"S{i}" for i in range(len(dosages))]}
    )
    with write_plink(f"{prefix}.bed", f"{prefix}.bim", f"{prefix}.fam", samples, variants) as writer:
        for column in dosages.T:
            writer.write(column)
    return BedBlocks(f"{prefix}.bed", len(dosages), len(variants)), read_bim(f"{prefix}.bim")


def bim_of(source: BedBlocks) -> pd.DataFrame:
    return read_bim(Path(source.path).with_suffix(".bim"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """200 samples x 60 variants: the model's variants, their training frequencies and the genotypes."""
    rng = np.random.default_rng(4)
    n, m = 200, 60
    frequency = rng.uniform(0.05, 0.95, m)
    frequency[:6] = [0.1, 0.2, 0.85, 0.45, 0.5, 0.55]  # strand-ambiguous SNPs below: 3 settled, 3 near 0.5
    dosages = rng.binomial(2, frequency, (n, m)).astype(float)
    dosages[rng.random((n, m)) < 0.01] = np.nan
    alleles = [("A", "T"), ("C", "G"), ("T", "A"), ("G", "C"), ("A", "T"), ("C", "G")]
    unambiguous = [("A", "G"), ("A", "C"), ("G", "T"), ("C", "T"), ("G", "A"), ("T", "C")]
    alleles += [unambiguous[k] for k in rng.integers(0, len(unambiguous), m - 6)]
    variants = pd.DataFrame({"chrom": np.repeat(["1", "2"], m // 2), "snp": [f"v{j}" for j in range(m)],
                             "pos": np.tile(np.arange(1, m // 2 + 1) * 1000, 2), "a1": [a for a, _ in alleles],
                             "a2": [b for _, b in alleles]})  # fmt: skip
    source, bim = write_fileset(tmp_path_factory.mktemp("reference") / "cohort", dosages, variants)
    model = bim[["snp", "chrom", "pos", "a1", "a2"]].assign(a1_freq=np.nanmean(dosages, axis=0) / 2)
    weights = GeneticWeights(a1_freq=model["a1_freq"].to_numpy(), loadings=rng.normal(size=(m, 3)).astype(np.float32),
                             shrinkage=np.array([0.9, 0.8, 1.0]), score_weights=rng.normal(size=m).astype(np.float32),
                             snp_inputs=np.array([3, 10, 41]))  # fmt: skip
    return dosages, variants, model, weights, source


def perturbed(tmp_path, dosages, variants, rng, *, swap, strand, drop, prefix="new"):
    """The same genotypes with variants reordered, ``swap`` of them allele-swapped (dosages flipped),
    ``strand`` named on the other strand and ``drop`` removed."""
    m = len(variants)
    order = rng.permutation(m)
    order = order[~np.isin(order, drop)]
    table = variants.copy()
    values = dosages.copy()
    table.loc[swap, ["a1", "a2"]] = table.loc[swap, ["a2", "a1"]].to_numpy()
    values[:, swap] = 2 - values[:, swap]
    for column in ("a1", "a2"):
        table.loc[strand, column] = table.loc[strand, column].map(COMPLEMENT)
    table["chrom"] = "chr" + table["chrom"]
    return write_fileset(tmp_path / prefix, values[:, order], table.iloc[order].reset_index(drop=True))


def test_the_same_file_matches_itself_and_gives_the_direct_computation(reference):
    dosages, _, model, weights, source = reference
    harmonised = harmonise(model, bim_of(source), source)
    # Strand-ambiguous SNPs with frequencies near 0.5 (3, 4, 5) are dropped even here: their alleles cannot say.
    assert (harmonised.bed_rows == np.where(np.isin(np.arange(len(model)), [3, 4, 5]), -1, np.arange(len(model)))).all()
    assert not harmonised.flipped.any() and harmonised.counts["missing"] == 3
    components, score, snps = genetic_inputs(source, np.arange(len(dosages)), harmonised, weights)
    p = weights.a1_freq
    centred = np.nan_to_num(dosages - 2 * p)
    centred[:, [3, 4, 5]] = 0  # the training mean
    standardized = centred / np.sqrt(2 * p * (1 - p))
    np.testing.assert_allclose(components, standardized @ weights.loadings / weights.shrinkage, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(score, centred @ weights.score_weights, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(snps, standardized[:, weights.snp_inputs], rtol=1e-5, atol=1e-6)


def test_reordered_swapped_strand_flipped_and_missing_variants_are_harmonised(reference, tmp_path):
    dosages, variants, model, weights, source = reference
    rng = np.random.default_rng(0)
    m = len(variants)
    swap = np.concatenate([[0, 2, 4], rng.choice(np.arange(6, 50), 20, replace=False)])  # a third, ambiguous ones too
    strand = np.setdiff1d(np.arange(6, 50), swap)[:8]
    drop = np.array([50, 59])
    new_source, new_bim = perturbed(tmp_path, dosages, variants, rng, swap=swap, strand=strand, drop=drop)
    harmonised = harmonise(model, new_bim, new_source)
    counts = harmonised.counts
    # Ambiguous SNPs 3-5 (frequencies 0.45-0.55) cannot be oriented: dropped, like the 2 removed variants.
    assert counts["ambiguous_kept"] == 3 and counts["ambiguous_dropped"] == 3 and counts["missing"] == 5
    assert counts["strand_flipped"] == 8 and counts["swapped"] == len(swap) - 3  # swapped ambiguous ones: by frequency
    assert harmonised.flipped[swap[swap >= 6]].all() and harmonised.flipped[[0, 2]].all()  # 0, 2: by frequency
    assert not harmonised.flipped[strand].any() and not harmonised.flipped[1]
    kept = np.setdiff1d(np.arange(m), np.concatenate([drop, [3, 4, 5]]))
    assert (new_bim.loc[harmonised.bed_rows[kept], "snp"].to_numpy() == model.loc[kept, "snp"].to_numpy()).all()
    # Inputs equal those of the original file with the missing variants at their training mean.
    same = harmonise(model, bim_of(source), source)
    same.bed_rows[np.isin(np.arange(m), [3, 4, 5, 50, 59])] = -1
    expected = genetic_inputs(source, np.arange(len(dosages)), same, weights)
    found = genetic_inputs(new_source, np.arange(len(dosages)), harmonised, weights)
    for new, old in zip(found, expected, strict=True):
        np.testing.assert_allclose(new, old, rtol=1e-5, atol=1e-4)


def test_scoring_is_refused_above_the_missing_share_and_with_no_shared_variant(reference, tmp_path):
    dosages, variants, model, _, _ = reference
    rng = np.random.default_rng(1)
    new_source, new_bim = perturbed(tmp_path, dosages, variants, rng, swap=[], strand=[], drop=np.arange(6, 20))
    harmonised = harmonise(model, new_bim, new_source)
    report(harmonised, "new.bim", max_missing_share=0.5)  # 17 of 60 missing: accepted
    with pytest.raises(RiataError, match=r"new.bim: 17 of the model's 60 variants \(28.3%\) are missing, above the "
                       r"allowed 10%"):  # fmt: skip
        report(harmonised, "new.bim", max_missing_share=0.1)
    other_build = new_bim.assign(pos=new_bim["pos"] + 17)
    with pytest.raises(RiataError, match=r"new\.bim: none of the model's 60 variants is in the file"):
        report(harmonise(model, other_build, new_source), "new.bim", max_missing_share=1.0)


def clinical_bundle(folder, **changes) -> "Path":
    """A bundle of a network on AGE (numeric) and COLOR (one-hot red/blue), 2 hidden units, binary outcome."""
    import torch

    from riata.bundle import write_bundle

    generator = torch.Generator().manual_seed(0)
    parameters = [torch.randn(3, 2, generator=generator), torch.randn(2, 1, generator=generator),
                  torch.randn(1, 2, generator=generator), torch.randn(1, 1, generator=generator)]  # fmt: skip
    description = {
        "riata_version": "test", "feature_set": "clinical", "penalty": "none", "seed": 1, "lambda": 0.0,
        "outcome": {"type": "binary", "classes": ["no", "yes"]}, "hidden_layers": [2],
        "inputs": [{"column": "AGE", "variable": "AGE", "source": "clinical"},
                   {"column": "COLOR_blue", "variable": "COLOR", "source": "clinical"},
                   {"column": "COLOR_red", "variable": "COLOR", "source": "clinical"}],
        "selected": ["AGE", "COLOR"],
        "clinical": {"id_column": "id", "outcome": "CHD", "outcome_type": "binary", "positive_label": "yes",
                     "numeric": ["AGE"], "categorical": ["COLOR"]},
        "preprocessing": {"numeric": {"AGE": {"median": 50.0, "mean": 52.0, "scale": 8.0}},
                          "categorical": {"COLOR": {"mode": "red", "levels": ["blue", "red"]}}},
        "genetic": {},
    } | changes  # fmt: skip
    write_bundle(folder / "bundle", description, parameters, None)
    return folder / "bundle", parameters


def test_a_bundle_scores_raw_clinical_rows_with_the_training_preprocessing(tmp_path):
    import riata

    path, (w1, w2, b1, b2) = clinical_bundle(tmp_path)
    table = pd.DataFrame({"id": ["a", "b", "c", "d"], "AGE": [60.0, None, 44.0, 52.0],
                          "COLOR": ["blue", "red", None, "green"]})  # fmt: skip
    model = riata.load_model(path)
    # By hand: AGE imputed with the median 50 then (x - 52) / 8; COLOR missing -> mode red; green (unseen) -> 0, 0.
    x = np.array([[1.0, 1, 0], [-0.25, 0, 1], [-1.0, 0, 1], [0.0, 0, 0]], dtype=np.float32)
    hidden = np.maximum(x @ w1.numpy() + b1.numpy(), 0)
    expected = 1 / (1 + np.exp(-(hidden @ w2.numpy() + b2.numpy())[:, 0]))
    np.testing.assert_allclose(model.predict_proba(table)[:, 1], expected, rtol=1e-6)
    assert model.predict(table).tolist() == np.where(expected >= 0.5, "yes", "no").tolist()
    assert model.selected_variables == ["AGE", "COLOR"]
    table.to_csv(tmp_path / "new.csv", index=False)
    result = riata_cli("predict", "--model", path, "--clinical", tmp_path / "new.csv", "--out", tmp_path / "p.tsv")
    assert result.returncode == 0, result.stderr
    assert "1 sample(s) with a level not seen in training ('green'" in result.stderr
    written = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    np.testing.assert_allclose(written["probability"], expected, rtol=1e-6)


def riata_cli(*arguments):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "riata", *map(str, arguments)], capture_output=True, text=True)


def test_bad_bundles_and_mismatched_cohorts_are_refused_with_one_error_line(tmp_path):
    import json

    good, _ = clinical_bundle(tmp_path)
    pd.DataFrame({"id": ["a"], "AGE": [50.0], "COLOR": ["red"]}).to_csv(tmp_path / "new.tsv", sep="\t", index=False)
    pd.DataFrame({"id": ["a"], "COLOR": ["red"]}).to_csv(tmp_path / "no_age.tsv", sep="\t", index=False)
    newer = tmp_path / "newer"
    newer.mkdir()
    for name in ("bundle.json", "network.pt"):
        (newer / name).write_bytes((good / name).read_bytes())
    description = json.loads((newer / "bundle.json").read_text()) | {"format_version": 2, "riata_version": "9.0"}
    (newer / "bundle.json").write_text(json.dumps(description))
    truncated = tmp_path / "truncated"
    truncated.mkdir()
    (truncated / "bundle.json").write_bytes((good / "bundle.json").read_bytes())
    (truncated / "network.pt").write_bytes((good / "network.pt").read_bytes()[:100])
    cases = [
        (newer, "new.tsv", "bundle format version 2 (written by riata 9.0); this riata reads version 1"),
        (truncated, "new.tsv", "network.pt: cannot be read as the bundle's network"),
        (tmp_path, "new.tsv", "not a riata model bundle (no bundle.json)"),
        (good, "no_age.tsv", "no_age.tsv: declared covariate column 'AGE' not found"),
    ]
    for bundle, clinical, message in cases:
        out = tmp_path / "predictions.tsv"
        result = riata_cli("predict", "--model", bundle, "--clinical", tmp_path / clinical, "--out", out)
        errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
        assert result.returncode == 2 and len(errors) == 1 and message in errors[0], result.stderr
        assert not out.exists()
