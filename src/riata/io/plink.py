"""PLINK 1 binary genotypes (.bed/.bim/.fam): validation, block reading (also as a dask array), streaming writing.

Orientation and allele coding are fixed here, once, for all of riata:

* genotype matrices are **samples x variants** (rows follow the ``.fam``, columns the ``.bim``);
* a dosage counts the allele in the **5th column of the .bim** (PLINK's A1; plink2 reads it as ALT
  when importing a .bed), so a dosage is 0, 1 or 2 and equals plink2's ALT count;
* a missing call is ``NaN`` (float32 arrays).

riata decodes the packed .bed bytes itself (:class:`BedBlocks`; tested against bed-reader, which counts
the same allele with ``count_A1=True``). The writer (bed-reader's ``create_bed`` with ``count_A1=True``)
uses the same convention, so what :func:`write_plink` writes, :func:`open_plink` reads back unchanged.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np
import pandas as pd

from riata.errors import RiataError

log = logging.getLogger("riata")

BED_MAGIC = bytes([0x6C, 0x1B, 0x01])
BIM_COLUMNS = ["chrom", "snp", "cm", "pos", "a1", "a2"]
ALLELE_CODE = r"[ACGTNacgtn]+|0"  # a nucleotide string, or PLINK's 0 for an allele not seen (monomorphic)
FAM_COLUMNS = ["fid", "iid", "father", "mother", "sex", "phenotype"]


def plink_paths(prefix: str | os.PathLike) -> dict[str, Path]:
    """The three files of a PLINK 1 fileset; ``prefix`` may carry a ``.bed`` suffix."""
    prefix = str(prefix)
    if prefix.endswith(".bed"):
        prefix = prefix[: -len(".bed")]
    return {suffix: Path(f"{prefix}.{suffix}") for suffix in ("bed", "bim", "fam")}


def _read_whitespace_table(path: Path, columns: list[str], dtypes: dict[str, Any]) -> pd.DataFrame:
    """Read a headerless whitespace-separated PLINK text file with exactly ``len(columns)`` columns."""
    if not path.is_file():
        raise RiataError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path, sep=r"\s+", header=None, dtype=str, keep_default_na=False, engine="c")
    except pd.errors.EmptyDataError:
        raise RiataError(f"{path}: the file is empty") from None
    except UnicodeDecodeError as error:
        raise RiataError(f"{path}: not a text file (byte {error.object[error.start]:#04x} at offset {error.start} "
                         "is not UTF-8)") from None  # fmt: skip
    except pd.errors.ParserError:  # a line with more fields than the first
        _refuse_ragged_line(path, len(columns))
    fields = (frame != "").sum(axis=1).to_numpy()  # a short line's missing fields read as ""
    wrong = fields != len(columns)
    if wrong.any():
        line = 1 + int(wrong.argmax())
        raise RiataError(f"{path}: line {line}: expected {len(columns)} columns, found {fields[line - 1]}")
    frame.columns = columns
    for column, dtype in dtypes.items():
        try:
            frame[column] = frame[column].astype(dtype)
        except (ValueError, OverflowError):
            numbers = pd.to_numeric(frame[column], errors="coerce")
            bad_line = 1 + int((numbers.isna() | (numbers.abs() >= 2**63)).to_numpy().argmax())
            raise RiataError(f"{path}: line {bad_line}: column {column!r} is not a number (or too large)") from None
    return frame


def _refuse_ragged_line(path: Path, n_columns: int) -> None:
    """Raise for the first line of ``path`` without ``n_columns`` whitespace-separated fields."""
    with open(path) as lines:
        for number, line in enumerate(lines, start=1):
            if len(line.split()) != n_columns:
                raise RiataError(f"{path}: line {number}: expected {n_columns} columns, found {len(line.split())}")
    raise RiataError(f"{path}: cannot be read as a whitespace-separated table of {n_columns} columns")


def read_bim(path: str | os.PathLike) -> pd.DataFrame:
    """Variants of a ``.bim``: columns chrom, snp, cm, pos, a1 (counted allele), a2.

    Refused: a variant id given twice, the same allele in both columns, and allele codes other than
    nucleotide strings (A, C, G, T, N; several letters for an indel) or PLINK's ``0`` (an allele not seen).
    """
    bim = _read_whitespace_table(Path(path), BIM_COLUMNS, {"cm": float, "pos": np.int64})
    repeated = bim["snp"].duplicated()
    if repeated.any():
        line = 1 + int(repeated.to_numpy().argmax())
        raise RiataError(f"{path}: line {line}: variant id {bim['snp'].iloc[line - 1]!r} is given twice; make ids "
                         "unique (e.g. plink2 --set-all-var-ids @:#:$r:$a)")  # fmt: skip
    for column in ("a1", "a2"):
        unreadable = ~bim[column].str.fullmatch(ALLELE_CODE)
        if unreadable.any():
            line = 1 + int(unreadable.to_numpy().argmax())
            raise RiataError(f"{path}: line {line}: allele code {bim[column].iloc[line - 1]!r} in column {column} is "
                             "not a nucleotide string (A, C, G, T, N) or 0; recode 1/2/3/4 alleles with plink "
                             "--alleleACGT")  # fmt: skip
    same = bim["a1"].str.upper() == bim["a2"].str.upper()
    if same.any():
        line = 1 + int(same.to_numpy().argmax())
        raise RiataError(f"{path}: line {line}: variant {bim['snp'].iloc[line - 1]!r} has the same allele "
                         f"{bim['a1'].iloc[line - 1]!r} in both allele columns")  # fmt: skip
    return bim


def sample_key(fid: pd.Series, iid: pd.Series, use_fid: bool) -> pd.Series:
    """The id riata matches samples on: the IID, or ``FID_IID`` when families matter."""
    return fid.astype(str) + "_" + iid.astype(str) if use_fid else iid.astype(str)


def read_fam(path: str | os.PathLike, *, use_fid: bool = False) -> pd.DataFrame:
    """Samples of a ``.fam``: fid, iid, father, mother, sex, phenotype and ``sample_id`` (see
    :func:`sample_key`), which must be unique."""
    fam = _read_whitespace_table(Path(path), FAM_COLUMNS, {})
    fam["sample_id"] = sample_key(fam["fid"], fam["iid"], use_fid)
    duplicated = fam["sample_id"][fam["sample_id"].duplicated()]
    if len(duplicated):
        columns = "FID+IID" if use_fid else "IID"
        raise RiataError(f"{path}: duplicate sample id {duplicated.iloc[0]!r} in column {columns}")
    return fam


def check_bed(path: str | os.PathLike, n_samples: int, n_variants: int) -> None:
    """Check the magic number (variant-major) and that the size matches .fam x .bim."""
    path = Path(path)
    if not path.is_file():
        raise RiataError(f"{path}: file not found")
    with open(path, "rb") as handle:
        magic = handle.read(3)
    if not magic:
        raise RiataError(f"{path}: the file is empty")
    if magic != BED_MAGIC:
        raise RiataError(f"{path}: not a variant-major PLINK 1 .bed (magic number {magic.hex()}, expected 6c1b01)")
    expected = 3 + n_variants * ((n_samples + 3) // 4)
    actual = path.stat().st_size
    if actual != expected:
        raise RiataError(
            f"{path}: size {actual} bytes does not match {n_samples} samples x {n_variants} variants "
            f"({expected} bytes expected)"
        )


@dataclass(frozen=True)
class PlinkGenotypes:
    """An opened PLINK 1 fileset.

    ``dosage`` is a lazy dask array of shape (samples, variants), float32, counting the .bim's
    5th-column allele, NaN where the call is missing; it is chunked as one chunk along samples and
    ``block_variants`` variants per chunk, so each chunk is a block of whole variants.
    """

    prefix: Path
    samples: pd.DataFrame
    variants: pd.DataFrame
    dosage: da.Array

    @property
    def n_samples(self) -> int:
        return len(self.samples)

    @property
    def n_variants(self) -> int:
        return len(self.variants)


def open_plink(prefix: str | os.PathLike, *, block_variants: int = 4096, use_fid: bool = False) -> PlinkGenotypes:
    """Validate and open a PLINK 1 fileset without reading the genotypes (samples keyed as in :func:`read_fam`)."""
    paths = plink_paths(prefix)
    variants = read_bim(paths["bim"])
    samples = read_fam(paths["fam"], use_fid=use_fid)
    check_bed(paths["bed"], len(samples), len(variants))
    if len(variants) == 0 or len(samples) == 0:
        raise RiataError(f"{paths['bed']}: no variants or no samples")
    source = BedBlocks(paths["bed"], len(samples), len(variants))
    starts = range(0, len(variants), block_variants)
    blocks = [
        da.from_delayed(dask.delayed(source.read)(None, np.arange(start, min(start + block_variants, len(variants)))),
                        shape=(len(samples), min(block_variants, len(variants) - start)), dtype=np.float32)
        for start in starts
    ]  # fmt: skip
    return PlinkGenotypes(Path(paths["bed"]).with_suffix(""), samples, variants, da.concatenate(blocks, axis=1))


def map_variant_blocks(
    genotypes: PlinkGenotypes,
    function: Callable[[np.ndarray, np.ndarray], Any],
    *,
    sample_index: np.ndarray | None = None,
    variant_index: np.ndarray | None = None,
    threads: int = 1,
) -> list[Any]:
    """Apply ``function(block, columns)`` to every variant block; return the results in order.

    ``block`` is a float32 array (selected samples x selected variants of one chunk) and ``columns``
    the positions of those variants within ``variant_index`` (or within all variants when it is None),
    so the function can look up per-variant statistics. Blocks are read and processed by dask's
    threaded scheduler with ``threads`` workers, so memory holds only a few blocks at a time.
    """
    n_variants = genotypes.n_variants
    selected = np.arange(n_variants) if variant_index is None else np.asarray(variant_index)
    if selected.size and np.any(np.diff(selected) <= 0):
        raise ValueError("variant_index must be strictly increasing")
    chunk_starts = np.cumsum((0, *genotypes.dosage.chunks[1]))
    tasks = []
    for chunk, (start, stop) in enumerate(itertools.pairwise(chunk_starts)):
        lo, hi = np.searchsorted(selected, [start, stop])
        if lo == hi:
            continue
        block = genotypes.dosage.blocks[0, chunk]
        if sample_index is not None:
            block = block[np.asarray(sample_index), :]
        if hi - lo < stop - start:
            block = block[:, selected[lo:hi] - start]
        tasks.append(dask.delayed(function)(block, np.arange(lo, hi)))
    return list(dask.compute(*tasks, scheduler="threads", num_workers=threads))


@contextmanager
def write_plink(
    bed_path: str | os.PathLike,
    bim_path: str | os.PathLike,
    fam_path: str | os.PathLike,
    samples: pd.DataFrame,
    variants: pd.DataFrame,
) -> Iterator[Any]:
    """Write a PLINK 1 fileset variant by variant with bed-reader's streaming writer.

    ``samples`` needs columns fid, iid (sex optional); ``variants`` needs chrom, snp, pos, a1, a2 (cm
    optional). Yields a writer whose ``write(dosages)`` takes one variant: one value per sample counting
    the ``a1`` allele, NaN for a missing call. Callers that need all-or-nothing output write to
    temporary paths from :func:`riata.io.tables.atomic_outputs`.
    """
    from bed_reader import create_bed

    properties = {
        "fid": samples["fid"].astype(str).tolist(),
        "iid": samples["iid"].astype(str).tolist(),
        "sex": samples["sex"].astype(int).tolist() if "sex" in samples else [0] * len(samples),
        "chromosome": variants["chrom"].astype(str).tolist(),
        "sid": variants["snp"].astype(str).tolist(),
        "cm_position": variants["cm"].tolist() if "cm" in variants else [0.0] * len(variants),
        "bp_position": variants["pos"].astype(int).tolist(),
        "allele_1": variants["a1"].astype(str).tolist(),
        "allele_2": variants["a2"].astype(str).tolist(),
    }
    with create_bed(
        bed_path,
        iid_count=len(samples),
        sid_count=len(variants),
        properties=properties,
        count_A1=True,
        bim_location=bim_path,
        fam_location=fam_path,
    ) as bed_writer:
        yield bed_writer


MISSING_CODE = -1

# The 4 genotypes packed in one .bed byte (2 bits each, first sample in the lowest bits) as dosages of
# the 5th-column allele: 00 -> 2 (homozygous A1), 01 -> missing, 10 -> 1, 11 -> 0.
_BYTE_TO_DOSAGES = np.array(
    [[(2, MISSING_CODE, 1, 0)[(byte >> shift) & 3] for shift in (0, 2, 4, 6)] for byte in range(256)], dtype=np.int8
)
_BYTE_HAS_MISSING = (_BYTE_TO_DOSAGES == MISSING_CODE).any(axis=1)


@dataclass(frozen=True)
class BedBlocks:
    """Reads blocks of a variant-major .bed straight from its packed bytes, for the embedding's fast passes.

    :func:`open_plink`'s dask array, which QC streams, is made of its blocks; the embedding's passes
    and the GWAS read blocks of chosen samples and variants directly: :meth:`read_codes` gives int8
    dosages (0, 1, 2; ``MISSING_CODE`` where missing),
    :meth:`read` float32 dosages with NaN where missing, both (samples x variants) in column-major
    order (each variant contiguous, as in the file), counting the 5th-column allele. A block costs one
    read of the byte range spanning its variants and a table lookup per byte.
    """

    path: Path
    n_samples: int
    n_variants: int

    def read_codes(self, sample_rows: np.ndarray | None, variant_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """int8 dosages, (samples x variants) in column-major order (``None`` selects every sample),
        and the positions (among ``variant_rows``) of the variants that may have a missing call."""
        variant_rows = np.asarray(variant_rows)
        bytes_per_variant = (self.n_samples + 3) // 4
        if len(variant_rows) == 0:
            rows = self.n_samples if sample_rows is None else len(sample_rows)
            return np.empty((rows, 0), np.int8, order="F"), np.empty(0, dtype=np.intp)
        first, last = int(variant_rows.min()), int(variant_rows.max())
        with open(self.path, "rb") as handle:
            span = os.pread(handle.fileno(), (last - first + 1) * bytes_per_variant, 3 + first * bytes_per_variant)
        packed = np.frombuffer(span, dtype=np.uint8).reshape(-1, bytes_per_variant)[variant_rows - first]
        may_miss = np.flatnonzero(np.take(_BYTE_HAS_MISSING, packed).any(axis=1))
        codes = np.take(_BYTE_TO_DOSAGES, packed, axis=0).reshape(len(variant_rows), -1)
        codes = codes[:, : self.n_samples] if sample_rows is None else np.take(codes, sample_rows, axis=1)
        return np.ascontiguousarray(codes).T, may_miss

    def read(self, sample_rows: np.ndarray | None, variant_rows: np.ndarray) -> np.ndarray:
        """float32 dosages, (samples x variants) in column-major order, NaN where missing."""
        codes, _ = self.read_codes(sample_rows, variant_rows)
        dosage = codes.astype(np.float32, order="F")
        dosage[codes == MISSING_CODE] = np.nan
        return dosage


def sample_positions(fam: pd.DataFrame, sample_ids: Sequence[str]) -> np.ndarray:
    """Row positions in ``fam`` (from :func:`read_fam`) of ``sample_ids``, in the order given."""
    position = pd.Series(np.arange(len(fam)), index=fam["sample_id"])
    missing = [s for s in sample_ids if s not in position.index]
    if missing:
        raise RiataError(f"sample {missing[0]!r} is not in the .fam file")
    return position.loc[list(sample_ids)].to_numpy()
