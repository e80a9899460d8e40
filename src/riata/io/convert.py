"""PLINK 2 (pgen/pvar/psam), VCF and BCF genotypes converted to a PLINK 1 fileset by plink2."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from riata.errors import RiataError
from riata.io.tables import atomic_outputs

log = logging.getLogger("riata")


def convert_genotypes(*, source: str, genotype_format: str, out_prefix: str, threads: int) -> None:
    """Convert PLINK 2 (pgen/pvar/psam), VCF or BCF genotypes to a PLINK 1 fileset with plink2.

    VCF sample ids become IIDs. Only biallelic variants are kept (--max-alleles 2); a variant without
    an id gets chrom:pos:ref:alt. The three files appear together, or not at all.
    """
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
