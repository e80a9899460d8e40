"""The verbs of ``riata``, one module each, in pipeline order.

Every command module has a docstring (its first line is the verb's help), ``register_arguments(parser)``
(the verb's files and other arguments), ``CONFIG_OPTIONS`` (the config settings it takes, see
:class:`riata.settings.Options`; :mod:`riata.cli` adds their options) and ``run(arguments)``: it reads
the verb's inputs, calls the library and writes the outputs, and holds no science of its own. From the
same ``CONFIG_OPTIONS``, :func:`config_options` gives a workflow rule the options to pass.
"""

from __future__ import annotations

import shlex
from types import ModuleType

from riata.commands import (
    bundle,
    calibration,
    check,
    compare,
    convert,
    embed,
    features,
    figures,
    framingham,
    gwas,
    heatmaps,
    knockoffs,
    predict,
    qc,
    score,
    simulate,
    snps,
    split,
    train,
    truth,
    validate,
)

COMMANDS: tuple[ModuleType, ...] = (
    check, convert, simulate, framingham, truth, split, qc, embed, features, gwas, score, train, knockoffs, compare,
    figures, calibration, snps, heatmaps, bundle, predict, validate,
)  # fmt: skip


def verb_of(command: ModuleType) -> str:
    return command.__name__.rsplit(".", 1)[-1]


def config_options(verb: str, config: dict, sections: tuple[str, ...] | None = None) -> str:
    """The options a workflow rule passes to ``riata <verb>``: every setting the verb takes (of the config
    ``sections`` only, when given), from the (validated) config, shell-quoted."""
    command = next(c for c in COMMANDS if verb_of(c) == verb)
    chosen = [o for o in command.CONFIG_OPTIONS if sections is None or o.settings.section in sections]
    words = [word for options in chosen for word in options.words(config[options.settings.section])]
    return " ".join(shlex.quote(word) for word in words)
