"""Tables in and out, and atomic output so that a failed step leaves no partial file behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from riata.errors import RiataError

_UMASK = os.umask(0)
os.umask(_UMASK)

_SEPARATORS = {".tsv": "\t", ".txt": "\t", ".tab": "\t", ".csv": ","}


@contextlib.contextmanager
def atomic_outputs(paths: Sequence[str | os.PathLike]) -> Iterator[list[Path]]:
    """Yield temporary paths beside ``paths``; move them into place only if the block succeeds.

    Parent folders are created. On any exception the temporary files are removed and no final path is
    touched, so a failed step never leaves a half-written output that looks complete.
    """
    finals = [Path(p) for p in paths]
    temporaries = []
    for final in finals:
        final.parent.mkdir(parents=True, exist_ok=True)
        # The temporary name ends with the final name, so suffix-based formats (.gz, .bed) still apply.
        handle, name = tempfile.mkstemp(prefix=".tmp-", suffix=f"-{final.name}", dir=final.parent)
        os.close(handle)
        temporaries.append(Path(name))
    try:
        yield temporaries
        for temporary, final in zip(temporaries, finals, strict=True):
            os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp creates 0600; outputs get the usual mode
            os.replace(temporary, final)
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` only if the block succeeds."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=".tmp-", suffix=f"-{final.name}", dir=final.parent))
    try:
        yield temporary
        os.chmod(temporary, 0o777 & ~_UMASK)
        if final.exists():
            shutil.rmtree(final)
        os.replace(temporary, final)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Single-file form of :func:`atomic_outputs`."""
    with atomic_outputs([path]) as (temporary,):
        yield temporary


def separator_for(path: str | os.PathLike) -> str:
    """Column separator implied by a file name (``.tsv``/``.txt`` tab, ``.csv`` comma)."""
    suffixes = [s.lower() for s in Path(path).suffixes if s.lower() != ".gz"]
    suffix = suffixes[-1] if suffixes else ""
    if suffix not in _SEPARATORS:
        raise RiataError(f"{path}: unknown table format {suffix!r}; use .tsv, .txt or .csv")
    return _SEPARATORS[suffix]


def require_file(path: str | os.PathLike, what: str = "input file") -> Path:
    """Return ``path`` as a Path, or raise a RiataError naming it when it does not exist (and, for a relative
    path, the absolute path tried: relative paths are read from the working directory)."""
    path = Path(path)
    if not path.is_file():
        where = (
            ""
            if path.is_absolute()
            else f" (looked for {path.absolute()}: relative paths are read from the working directory)"
        )
        raise RiataError(f"{path}: {what} not found{where}")
    return path


def read_table(path: str | os.PathLike, **read_csv_options) -> pd.DataFrame:
    """Read a table: .parquet, or delimited with the separator implied by the file name."""
    path = require_file(path, "table")
    if path.suffix.lower() == ".parquet":
        return _read_parquet(path, read_csv_options)
    try:
        _check_header(path)
        return pd.read_csv(path, sep=separator_for(path), **read_csv_options)
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise RiataError(f"{path}: cannot be parsed as a table ({error})") from None
    except pd.errors.EmptyDataError:
        raise RiataError(f"{path}: file is empty") from None


def _check_header(path: Path) -> None:
    """Refuse a column name given twice (pandas would rename the second copy ``NAME.1``)."""
    header = pd.read_csv(path, sep=separator_for(path), header=None, nrows=1, dtype=str).iloc[0].tolist()
    for position, name in enumerate(header):
        if name in header[:position]:
            raise RiataError(f"{path}: column {name!r} appears twice in the header (columns "
                             f"{header.index(name) + 1} and {position + 1})")  # fmt: skip


def write_table(frame: pd.DataFrame, path: str | os.PathLike, *, float_format: str | None = None) -> None:
    """Write ``frame`` without its index, atomically; the separator comes from the file name."""
    with atomic_output(path) as temporary:
        frame.to_csv(temporary, sep=separator_for(path), index=False, float_format=float_format)


def _read_parquet(path: Path, options: dict) -> pd.DataFrame:
    """A parquet table, with the read_csv options riata uses (dtype, usecols) applied afterwards."""
    try:
        frame = pd.read_parquet(path, columns=options.get("usecols"))
    except Exception as error:  # pyarrow raises several types for files it cannot read
        raise RiataError(f"{path}: cannot be read as parquet ({error})") from None
    dtypes = {c: t for c, t in (options.get("dtype") or {}).items() if c in frame.columns}
    return frame.astype(dtypes) if dtypes else frame
