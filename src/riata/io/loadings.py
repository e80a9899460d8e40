"""Per-variant loadings of the genetic embedding: ``loadings.parquet`` (or a tab-separated text table).

One row per variant that passed QC, in .bim order: the variant's ids (snp, chrom, pos, a1, a2), then
``loading_<j>``, the weight of its standardized dosage in component j (``genetic_<j>``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from riata.io.tables import read_table
from riata.settings import GENETIC_PREFIX

LOADING_PREFIX = "loading_"  # loading_<j> holds component j's loadings

VARIANT_ID_COLUMNS = ["snp", "chrom", "pos", "a1", "a2"]


class LoadingsWriter:
    """Writes per-variant loadings beside the ids of the variants that passed QC, chunk by chunk.

    The ids are streamed from ``variants_path`` (riata qc's variants.tsv) and each chunk goes straight
    to pyarrow's writer, so neither the variant table nor the loadings are ever held whole. The
    format follows the file name: ``.parquet`` (the workflow's, 10x faster to write than text at
    500,000 variants) or a tab-separated text table. ``writer(first, loadings)`` takes consecutive
    chunks (variants x k) of the passing variants.
    """

    def __init__(self, path: str | Path, variants_path: str | Path, k: int):
        self.path, self.variants_path, self.k = Path(path), Path(variants_path), k
        self.parquet = self.path.suffix.lower() == ".parquet"
        self.written = 0

    def __enter__(self) -> LoadingsWriter:
        import pyarrow as pa
        import pyarrow.csv
        import pyarrow.parquet

        names = [*VARIANT_ID_COLUMNS, *(f"{LOADING_PREFIX}{j}" for j in range(self.k))]
        types = [pa.string(), pa.string(), pa.int64(), pa.string(), pa.string(), *[pa.float32()] * self.k]
        self.schema = pa.schema(list(zip(names, types, strict=True)))
        if self.parquet:
            self.writer = pyarrow.parquet.ParquetWriter(self.path, self.schema, use_dictionary=["chrom", "a1", "a2"])
        else:
            self.path.write_text("\t".join(names) + "\n")
            options = pyarrow.csv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
            self.text = open(self.path, "ab")  # closed in __exit__
            self.writer = pyarrow.csv.CSVWriter(self.text, self.schema, write_options=options)
        id_types = {name: self.schema.field(name).type for name in VARIANT_ID_COLUMNS}
        table = pyarrow.csv.open_csv(
            self.variants_path,
            read_options=pyarrow.csv.ReadOptions(block_size=1 << 22),
            parse_options=pyarrow.csv.ParseOptions(delimiter="\t"),
            convert_options=pyarrow.csv.ConvertOptions(
                include_columns=[*VARIANT_ID_COLUMNS, "pass"], column_types={**id_types, "pass": pa.bool_()}
            ),
        )
        self.passing = (batch.filter(batch.column("pass")).select(VARIANT_ID_COLUMNS) for batch in table)
        self.pending = self.schema.empty_table().select(VARIANT_ID_COLUMNS)
        return self

    def __call__(self, first: int, loadings: np.ndarray) -> None:
        import pyarrow as pa

        if first != self.written:
            raise ValueError(f"loadings must come in order: expected variant {self.written}, got {first}")
        while self.pending.num_rows < len(loadings):
            self.pending = pa.concat_tables([self.pending, pa.Table.from_batches([next(self.passing)])])
        ids, self.pending = self.pending.slice(0, len(loadings)), self.pending.slice(len(loadings))
        arrays = [*ids.columns, *(pa.array(column) for column in np.asarray(loadings, dtype=np.float32).T)]
        self.writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.written += len(loadings)

    def __exit__(self, *exception) -> None:
        self.writer.close()
        if not self.parquet:
            self.text.close()


def read_loadings(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The variants' ids (snp, chrom, pos, a1, a2) and their loadings (variants x components, columns
    named as the components, ``genetic_<j>``)."""
    table = read_table(path, dtype={"snp": str, "chrom": str})
    ids = table[VARIANT_ID_COLUMNS]
    loadings = table.drop(columns=VARIANT_ID_COLUMNS)
    return ids, loadings.rename(columns=lambda name: GENETIC_PREFIX + name.removeprefix(LOADING_PREFIX))
