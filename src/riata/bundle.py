"""Model bundles: everything one trained network needs to score new patients, in one folder.

A bundle (format :data:`FORMAT`, version :data:`FORMAT_VERSION`) holds:

* ``bundle.json``: riata's version, the feature set, penalty, seed and lambda, the outcome (type, class
  labels, survival horizon), the clinical table's spec, the fitted clinical preprocessing (medians, means,
  scales, one-hot levels), the network's inputs in order (column, variable, source) and layers, the
  variables it selected, the genetic inputs' parameters (components' shrinkage and scaling, the polygenic
  score's training mean and SD), the Breslow baseline hazard (survival), and the training settings;
* ``network.pt``: the network's parameters, a dict of tensors (``weight_<j>`` (inputs, outputs) and
  ``bias_<j>`` (1, outputs) of layer j), loaded with ``torch.load(weights_only=True)``: no code is run;
* ``variants.parquet`` (models with genetic inputs only): snp, chrom, pos, a1, a2, a1_freq (training
  frequency of a1), then ``loading_<j>`` of each component used, ``score_weight`` (the polygenic score's
  per-a1 weight) and ``snp_input`` (True for SNPs that are network inputs).

Only what the network uses is carried: an input whose first-layer weights are all exactly zero (dropped by
a sparse penalty) is set to 0 and needs no data, so a model that dropped every genetic input scores new
patients from their clinical table alone.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from riata.errors import RiataError

log = logging.getLogger("riata")

FORMAT = "riata-model-bundle"
FORMAT_VERSION = 1
DESCRIPTION, NETWORK, VARIANTS = "bundle.json", "network.pt", "variants.parquet"
VARIANT_IDS = ["snp", "chrom", "pos", "a1", "a2", "a1_freq"]


@dataclass(frozen=True)
class Bundle:
    """A loaded bundle: its description (bundle.json), network parameters and variants (or None)."""

    path: Path
    description: dict
    parameters: list  # torch tensors: weights of each layer, then biases (StackedMLP order, one model)
    variants: pd.DataFrame | None

    @property
    def inputs(self) -> pd.DataFrame:
        """One row per network input, in order: column, variable, source."""
        return pd.DataFrame(self.description["inputs"])

    @property
    def selected_variables(self) -> list[str]:
        """The variables whose inputs the network uses (non-zero first-layer weights)."""
        return list(self.description["selected"])

    @property
    def used_columns(self) -> list[str]:
        """Input columns with a non-zero first-layer row."""
        rows = self.parameters[0].abs().sum(dim=1).numpy() > 0
        return self.inputs.loc[rows, "column"].tolist()


def write_bundle(out_dir: str | Path, description: dict, parameters: list, variants: pd.DataFrame | None) -> None:
    """Write a bundle folder (module doc); ``out_dir`` should be a fresh temporary folder renamed when done."""
    import torch

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n_layers = len(parameters) // 2
    tensors = {f"weight_{j}": parameters[j].contiguous() for j in range(n_layers)}
    tensors |= {f"bias_{j}": parameters[n_layers + j].contiguous() for j in range(n_layers)}
    torch.save(tensors, out_dir / NETWORK)
    if variants is not None:
        variants.to_parquet(out_dir / VARIANTS, index=False)
    full = {"format": FORMAT, "format_version": FORMAT_VERSION, **description}
    (out_dir / DESCRIPTION).write_text(json.dumps(full, indent=1, sort_keys=False) + "\n")


def load_bundle(path: str | Path) -> Bundle:
    """Read and check a bundle folder; every problem is a RiataError naming the bundle."""
    import torch

    path = Path(path)
    if not (path / DESCRIPTION).is_file():
        raise RiataError(f"{path}: not a riata model bundle (no {DESCRIPTION})")
    try:
        description = json.loads((path / DESCRIPTION).read_text())
    except json.JSONDecodeError as error:
        raise RiataError(f"{path / DESCRIPTION}: not valid JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise RiataError(f"{path / DESCRIPTION}: not a riata model bundle (format is not {FORMAT!r})")
    version = description.get("format_version")
    if version != FORMAT_VERSION:
        written_by = description.get("riata_version", "?")
        raise RiataError(f"{path}: bundle format version {version} (written by riata {written_by}); this riata "
                         f"reads version {FORMAT_VERSION}")  # fmt: skip
    try:
        tensors = torch.load(path / NETWORK, weights_only=True)
        n_layers = len(tensors) // 2
        parameters = [tensors[f"weight_{j}"] for j in range(n_layers)] + [tensors[f"bias_{j}"] for j in range(n_layers)]
    except Exception as error:  # a missing, truncated or foreign file: torch raises many kinds
        raise RiataError(f"{path / NETWORK}: cannot be read as the bundle's network ({error})") from None
    if not parameters or parameters[0].shape[0] != len(description["inputs"]):
        raise RiataError(f"{path}: the network's first layer does not match the {len(description['inputs'])} inputs")
    variants = None
    if (path / VARIANTS).exists():
        from riata.io.tables import read_table

        variants = read_table(path / VARIANTS, dtype={"snp": str, "chrom": str})
    if description.get("genetic") and variants is None:
        raise RiataError(f"{path}: the network uses genetic inputs but {VARIANTS} is missing")
    return Bundle(path, description, parameters, variants)
