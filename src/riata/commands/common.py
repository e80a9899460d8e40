"""Arguments that several verbs share."""

from __future__ import annotations

import argparse

from riata.settings import GenotypeSettings, Options

GENOTYPES = Options(GenotypeSettings)


def add_genotype_arguments(parser: argparse.ArgumentParser) -> None:
    """The PLINK 1 fileset a verb streams, how its samples are keyed and the threads that read it (the
    verb's ``CONFIG_OPTIONS`` add the genotype settings, :data:`GENOTYPES`)."""
    parser.add_argument("--genotypes", required=True, help="PLINK 1 fileset prefix (.bed/.bim/.fam)")
    parser.add_argument("--use-fid", action="store_true", help="match samples on FID and IID (default: IID)")
    parser.add_argument("--threads", type=int, default=1, help="threads (or local dask workers)")


def add_model_arguments(parser: argparse.ArgumentParser, reads: tuple[str, ...], what: str) -> None:
    """Positional model folders (``seed<N>/`` written by ``riata train``) and the files read from each."""
    parser.add_argument(
        "models",
        nargs="+",
        metavar="MODEL_DIR",
        help=f"model folders written by `riata train`, {what}; reads {', '.join(reads)} of each",
    )
