import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import require_tool

from riata.errors import RiataError
from riata.io.plink import MISSING_CODE, BedBlocks, map_variant_blocks, open_plink, read_bim, read_fam, write_plink
from riata.io.tables import atomic_outputs

BIM = "1\trs1\t0\t100\tA\tG\n1\trs2\t0\t200\tC\tT\n"
FAM = "f1 s1 0 0 1 -9\nf2 s2 0 0 2 -9\nf3 s3 0 0 0 -9\n"
# Variant 1: s1 hom. A1 (00), s2 het. (10), s3 missing (01) -> 0b00_01_10_00.
# Variant 2: s1 and s2 hom. A2 (11), s3 hom. A1 (00)        -> 0b00_00_11_11.
BED = bytes([0x6C, 0x1B, 0x01, 0b00011000, 0b00001111])
EXPECTED_DOSAGE = np.array([[2, 0], [1, 0], [np.nan, 2]], dtype=np.float32)  # counts of the 5th-column allele


@pytest.fixture
def tiny_bed(tmp_path):
    (tmp_path / "g.bed").write_bytes(BED)
    (tmp_path / "g.bim").write_text(BIM)
    (tmp_path / "g.fam").write_text(FAM)
    return tmp_path / "g"


def test_reads_hand_written_bed_exactly(tiny_bed):
    genotypes = open_plink(tiny_bed)
    np.testing.assert_array_equal(genotypes.dosage.compute(), EXPECTED_DOSAGE)
    assert genotypes.variants["a1"].tolist() == ["A", "C"]
    assert genotypes.samples["iid"].tolist() == ["s1", "s2", "s3"]


def test_dosage_counts_the_allele_plink2_calls_alt(tiny_bed, tmp_path):
    plink2 = require_tool("plink2")
    subprocess.run(
        [plink2, "--bfile", str(tiny_bed), "--freq", "--out", str(tmp_path / "ref")], check=True, capture_output=True
    )
    reference = pd.read_csv(tmp_path / "ref.afreq", sep="\t")
    assert reference["ALT"].tolist() == ["A", "C"]
    np.testing.assert_allclose(reference["ALT_FREQS"], np.nanmean(EXPECTED_DOSAGE, axis=0) / 2, rtol=1e-5)


def test_blocks_cover_selected_samples_and_variants(tmp_path):
    rng = np.random.default_rng(0)
    dosage = rng.integers(0, 3, size=(7, 11)).astype(np.float32)
    dosage[rng.random(dosage.shape) < 0.1] = np.nan
    samples = pd.DataFrame({"fid": list("abcdefg"), "iid": list("abcdefg")})
    variants = pd.DataFrame(
        {"chrom": "1", "snp": [f"v{i}" for i in range(11)], "pos": np.arange(1, 12), "a1": "A", "a2": "G"}
    )
    prefix = tmp_path / "w"
    with (
        atomic_outputs([f"{prefix}.bed", f"{prefix}.bim", f"{prefix}.fam"]) as (bed, bim, fam),
        write_plink(bed, bim, fam, samples, variants) as writer,
    ):
        for column in dosage.T:
            writer.write(column)
    genotypes = open_plink(prefix, block_variants=3)
    np.testing.assert_array_equal(genotypes.dosage.compute(), dosage)

    rows, columns = np.array([5, 0, 2]), np.array([0, 2, 3, 7, 10])
    parts = map_variant_blocks(
        genotypes, lambda block, cols: (block, cols), sample_index=rows, variant_index=columns, threads=2
    )
    np.testing.assert_array_equal(np.concatenate([block for block, _ in parts], axis=1), dosage[rows][:, columns])
    np.testing.assert_array_equal(np.concatenate([cols for _, cols in parts]), np.arange(len(columns)))


def test_wrong_magic_number_is_refused(tiny_bed):
    tiny_bed.with_suffix(".bed").write_bytes(bytes([0x6C, 0x1B, 0x00]) + BED[3:])
    with pytest.raises(RiataError, match=r"g\.bed: not a variant-major PLINK 1 \.bed \(magic number 6c1b00"):
        open_plink(tiny_bed)


def test_size_must_match_bim_and_fam(tiny_bed):
    tiny_bed.with_suffix(".bed").write_bytes(BED[:-1])
    with pytest.raises(RiataError, match=r"g\.bed: size 4 bytes does not match 3 samples x 2 variants \(5 bytes"):
        open_plink(tiny_bed)


def test_bim_and_fam_column_counts_and_duplicates(tmp_path):
    (tmp_path / "bad.bim").write_text("1 rs1 0 100 A\n")
    with pytest.raises(RiataError, match=r"bad\.bim: line 1: expected 6 columns, found 5"):
        read_bim(tmp_path / "bad.bim")
    (tmp_path / "bad.fam").write_text("f1 s1 0 0 1 -9\nf2 s1 0 0 2 -9\n")
    with pytest.raises(RiataError, match=r"bad\.fam: duplicate sample id 's1' in column IID"):
        read_fam(tmp_path / "bad.fam")
    (tmp_path / "ragged.fam").write_text("f1 s1 0 0 1 -9\nf2 s2 0 0\n")  # pandas would pad it with empty fields
    with pytest.raises(RiataError, match=r"ragged\.fam: line 2: expected 6 columns, found 4"):
        read_fam(tmp_path / "ragged.fam")
    (tmp_path / "empty.fam").write_text("")
    with pytest.raises(RiataError, match=r"empty\.fam: the file is empty"):
        read_fam(tmp_path / "empty.fam")
    (tmp_path / "latin.fam").write_bytes(b"f\xe9 s1 0 0 1 -9\n")
    with pytest.raises(RiataError, match=r"latin\.fam: not a text file \(byte 0xe9 at offset 1 is not UTF-8\)"):
        read_fam(tmp_path / "latin.fam")
    (tmp_path / "huge.bim").write_text("1 rs1 0 99999999999999999999999 A G\n")
    with pytest.raises(RiataError, match=r"huge\.bim: line 1: column 'pos' is not a number \(or too large\)"):
        read_bim(tmp_path / "huge.bim")
    (tmp_path / "pos.bim").write_text("1 rs1 0 100 A G\n1 rs2 0 x C T\n")
    with pytest.raises(RiataError, match=r"pos\.bim: line 2: column 'pos' is not a number \(or too large\)"):
        read_bim(tmp_path / "pos.bim")


def test_packed_blocks_equal_bed_reader(tiny_cohort):
    from bed_reader import open_bed

    genotypes = open_plink(tiny_cohort / "genotypes")
    with open_bed(tiny_cohort / "genotypes.bed", count_A1=True) as bed:
        reference = bed.read(dtype="float32")  # samples x variants, NaN missing, counting the 5th .bim column
    np.testing.assert_array_equal(genotypes.dosage.compute(), reference)
    blocks = BedBlocks(tiny_cohort / "genotypes.bed", genotypes.n_samples, genotypes.n_variants)
    rows, columns = np.array([7, 0, 30, genotypes.n_samples - 1]), np.arange(100, 1300, 3)
    expected = reference[rows][:, columns]
    assert np.isnan(expected).any()
    np.testing.assert_array_equal(blocks.read(rows, columns), expected)  # NaN where missing, in the same places
    codes, may_miss = blocks.read_codes(rows, columns)
    assert codes.dtype == np.int8 and codes.flags.f_contiguous
    np.testing.assert_array_equal(codes, np.where(np.isnan(expected), MISSING_CODE, expected))
    every_sample_missing = np.isnan(genotypes.dosage.compute()[:, columns]).any(axis=0)
    np.testing.assert_array_equal(may_miss, np.flatnonzero(every_sample_missing))
    everyone = genotypes.dosage.compute()[:, columns[::-1]]  # variants in any order
    np.testing.assert_array_equal(blocks.read(None, columns[::-1]), everyone)


def test_packed_blocks_ignore_the_padding_of_the_last_byte(tmp_path):
    dosage = np.array([[0, 1, 2, np.nan, 2, 1, 0], [2, 2, np.nan, 0, 1, 1, 0]], dtype=np.float32).T  # 7 x 2
    samples = pd.DataFrame({"fid": [f"f{i}" for i in range(7)], "iid": [f"s{i}" for i in range(7)]})
    variants = pd.DataFrame({"chrom": ["1", "1"], "snp": ["rs1", "rs2"], "cm": 0.0, "pos": [10, 20], "a1": "A",
                             "a2": "G"})  # fmt: skip
    prefix = tmp_path / "seven"
    with write_plink(f"{prefix}.bed", f"{prefix}.bim", f"{prefix}.fam", samples, variants) as writer:
        for column in dosage.T:
            writer.write(column)
    blocks = BedBlocks(f"{prefix}.bed", 7, 2)
    np.testing.assert_array_equal(blocks.read(None, np.array([0, 1])), dosage)
    np.testing.assert_array_equal(blocks.read(np.array([6, 3]), np.array([1])), dosage[[6, 3]][:, [1]])


def test_family_ids_make_samples_distinct(tmp_path):
    (tmp_path / "f.fam").write_text("fam1 s1 0 0 1 -9\nfam2 s1 0 0 2 -9\n")
    with pytest.raises(RiataError, match="duplicate sample id 's1' in column IID"):
        read_fam(tmp_path / "f.fam")
    assert read_fam(tmp_path / "f.fam", use_fid=True)["sample_id"].tolist() == ["fam1_s1", "fam2_s1"]
