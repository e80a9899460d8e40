"""Write the real Framingham Heart Study table that survset ships as a riata clinical table (offline)."""

from __future__ import annotations

import argparse

CONFIG_OPTIONS = ()


def register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--horizon", type=float, default=10.0, help="years of the binary outcome CHD10 (default 10)")
    parser.add_argument("--out", required=True, help="clinical table to write (.tsv)")


def run(arguments: argparse.Namespace) -> None:
    import logging

    from riata.datasets import framingham_clinical, survset_framingham
    from riata.io.tables import atomic_output

    clinical = framingham_clinical(survset_framingham(), arguments.horizon)
    with atomic_output(arguments.out) as path:
        clinical.to_csv(path, sep="\t", index=False)
    outcome = clinical["CHD10"]
    logging.getLogger("riata").info(
        "framingham: %d participants, %d events (CHD); CHD within %g years: %d yes, %d no, %d censored earlier "
        "(left out of the binary analysis)", len(clinical), clinical["CHD"].sum(), arguments.horizon,
        (outcome == 1).sum(), (outcome == 0).sum(), outcome.isna().sum(),
    )  # fmt: skip
