"""Per-variant result tables, one row per variant that passed QC in .bim order: its ids, then values.

The embedding's loadings (``loadings.parquet``: snp, chrom, pos, a1, a2, then ``loading_<j>``, the
weight of the variant's standardized dosage in component j, ``genetic_<j>``) and the training GWAS
(``associations.parquet``, :mod:`riata.genetics.association`). Parquet, or tab-separated text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from riata.io.tables import read_table
from riata.settings import GENETIC_PREFIX

LOADING_PREFIX = "loading_"  # loading_<j> holds component j's loadings

VARIANT_ID_COLUMNS = ["snp", "chrom", "pos", "a1", "a2"]


class VariantTableWriter:
    """Writes per-variant values beside the ids of the variants that passed QC, chunk by chunk.

    The ids (``id_columns`` of riata qc's variants.tsv, ``variants_path``) are streamed and each chunk
    goes straight to pyarrow's writer, so neither the variant table nor the values are ever held whole.
    The format follows the file name: ``.parquet`` (the workflow's, 10x faster to write than text at
    500,000 variants) or a tab-separated text table. ``writer(first, values)`` takes consecutive chunks
    (variants x ``value_columns``) of the passing variants, written as ``value_type`` (float32 or float64).
    """

    def __init__(self, path: str | Path, variants_path: str | Path, value_columns: list[str], *,
                 id_columns: list[str] = VARIANT_ID_COLUMNS, value_type: str = "float32"):  # fmt: skip
        self.path, self.variants_path = Path(path), Path(variants_path)
        self.value_columns, self.id_columns, self.value_type = list(value_columns), list(id_columns), value_type
        self.parquet = self.path.suffix.lower() == ".parquet"
        self.written = 0

    def __enter__(self) -> VariantTableWriter:
        import pyarrow as pa
        import pyarrow.csv
        import pyarrow.parquet

        id_types = {"snp": pa.string(), "chrom": pa.string(), "pos": pa.int64(), "a1": pa.string(),
                    "a2": pa.string(), "a1_freq": pa.float64()}  # fmt: skip
        values = pa.float32() if self.value_type == "float32" else pa.float64()
        self.schema = pa.schema([*((name, id_types[name]) for name in self.id_columns),
                                 *((name, values) for name in self.value_columns)])  # fmt: skip
        if self.parquet:
            self.writer = pyarrow.parquet.ParquetWriter(self.path, self.schema, use_dictionary=["chrom", "a1", "a2"])
        else:
            self.path.write_text("\t".join(self.schema.names) + "\n")
            options = pyarrow.csv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
            self.text = open(self.path, "ab")  # closed in __exit__
            self.writer = pyarrow.csv.CSVWriter(self.text, self.schema, write_options=options)
        table = pyarrow.csv.open_csv(
            self.variants_path,
            read_options=pyarrow.csv.ReadOptions(block_size=1 << 22),
            parse_options=pyarrow.csv.ParseOptions(delimiter="\t"),
            convert_options=pyarrow.csv.ConvertOptions(
                include_columns=[*self.id_columns, "pass"],
                column_types={**{name: id_types[name] for name in self.id_columns}, "pass": pa.bool_()},
            ),
        )
        self.passing = (batch.filter(batch.column("pass")).select(self.id_columns) for batch in table)
        self.pending = self.schema.empty_table().select(self.id_columns)
        return self

    def __call__(self, first: int, values: np.ndarray) -> None:
        import pyarrow as pa

        if first != self.written:
            raise ValueError(f"values must come in order: expected variant {self.written}, got {first}")
        while self.pending.num_rows < len(values):
            self.pending = pa.concat_tables([self.pending, pa.Table.from_batches([next(self.passing)])])
        ids, self.pending = self.pending.slice(0, len(values)), self.pending.slice(len(values))
        arrays = [*ids.columns, *(pa.array(column) for column in np.asarray(values, dtype=self.value_type).T)]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.written += len(values)

    def __exit__(self, *exception) -> None:
        self.writer.close()
        if not self.parquet:
            self.text.close()


def loadings_writer(path: str | Path, variants_path: str | Path, n_components: int) -> VariantTableWriter:
    """The writer of the embedding's loadings: ``loading_<j>`` (float32) for each of ``n_components``."""
    return VariantTableWriter(path, variants_path, [f"{LOADING_PREFIX}{j}" for j in range(n_components)])


def read_loadings(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The variants' ids (snp, chrom, pos, a1, a2) and their loadings (variants x components, columns
    named as the components, ``genetic_<j>``)."""
    table = read_table(path, dtype={"snp": str, "chrom": str})
    ids = table[VARIANT_ID_COLUMNS]
    loadings = table.drop(columns=VARIANT_ID_COLUMNS)
    return ids, loadings.rename(columns=lambda name: GENETIC_PREFIX + name.removeprefix(LOADING_PREFIX))


ASSOCIATION_IDS = ["snp", "chrom", "pos", "a1", "a2", "a1_freq"]
ASSOCIATION_VALUES = ["n", "beta", "se", "statistic", "p"]


def associations_writer(path: str | Path, variants_path: str | Path) -> VariantTableWriter:
    """The writer of the training GWAS: ids and training frequency of the counted allele (a1), then per
    SNP n, beta, se, statistic and p (float64, see :mod:`riata.genetics.association`)."""
    return VariantTableWriter(path, variants_path, ASSOCIATION_VALUES, id_columns=ASSOCIATION_IDS, value_type="float64")


def fold_associations_writer(path: str | Path, variants_path: str | Path, n_folds: int) -> VariantTableWriter:
    """The writer of the cross-fitting GWASes: per SNP, beta_<f> and p_<f> of the GWAS without fold f."""
    names = [f"{name}_{fold}" for fold in range(n_folds) for name in ("beta", "p")]
    return VariantTableWriter(path, variants_path, names, id_columns=["snp"], value_type="float64")
