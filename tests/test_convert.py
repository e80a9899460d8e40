"""PLINK 2 and VCF/BCF genotypes become the same PLINK 1 fileset, through plink2."""

import subprocess

import numpy as np
import pytest
from conftest import require_tool
from test_bad_input import assert_error, riata

from riata.io.plink import open_plink


@pytest.mark.parametrize(
    ("export", "suffix", "genotype_format"),
    [(["--make-pgen"], "", "pgen"), (["--export", "vcf", "bgz", "id-paste=iid"], ".vcf.gz", "vcf"),
     (["--export", "bcf", "id-paste=iid"], ".bcf", "bcf")],
)  # fmt: skip
def test_conversion_keeps_samples_variants_and_counted_allele(tiny_cohort, tmp_path, export, suffix, genotype_format):
    plink2 = require_tool("plink2")
    exported = tmp_path / "exported"
    subprocess.run([plink2, "--bfile", str(tiny_cohort / "genotypes"), *export, "--out", str(exported)], check=True,
                   capture_output=True)  # fmt: skip
    result = riata("convert", "--format", genotype_format, "--input", f"{exported}{suffix}", "--out", tmp_path / "back")
    assert result.returncode == 0, result.stderr
    original, converted = open_plink(tiny_cohort / "genotypes"), open_plink(tmp_path / "back")
    assert converted.samples["iid"].tolist() == original.samples["iid"].tolist()
    assert converted.variants["snp"].tolist() == original.variants["snp"].tolist()
    assert converted.variants["a1"].tolist() == original.variants["a1"].tolist()
    np.testing.assert_array_equal(converted.dosage.compute(), original.dosage.compute())


def test_unreadable_input_is_an_error_and_writes_nothing(tmp_path):
    require_tool("plink2")
    (tmp_path / "broken.vcf").write_text("not a vcf\n")
    result = riata("convert", "--format", "vcf", "--input", tmp_path / "broken.vcf", "--out", tmp_path / "out")
    assert_error(result, "broken.vcf: plink2 could not read the vcf input", tmp_path / "out.bed")
    assert_error(riata("convert", "--format", "pgen", "--input", tmp_path / "absent", "--out", tmp_path / "out"),
                 "absent.pgen: genotype file not found")  # fmt: skip
