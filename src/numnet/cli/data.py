"""Reading CSV files for the command line, chunk by chunk, with clear errors.

pandas parses the file (no hand-written CSV parsing), in two passes over
chunks of rows. The first reads the text columns and the target, and counts
the rows; the second streams the numeric columns as float32 straight into
the caller's preallocated matrix, so that a large numeric file is held about
once in memory, never as float64 parsing results or a list of blocks plus
their concatenation. Missing cells are reported by row (data rows count
from 1, after the header) and column.

Nothing is reinterpreted silently: ragged rows are an error naming the line
(:mod:`numnet.cli.csv_rows` checks the whole file first), and a column whose
first rows are mostly numbers stays numeric, with the cells that are not
numbers (``?``, ``"1,234"``, a stray NUL byte) recorded by CSV line and value
so that the caller can refuse them, or treat them as missing with ``--impute``.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from numnet.cli.csv_rows import scan_rows

CHUNK_ROWS = 65536
PEEK_ROWS = 1000  # rows read first to tell numeric columns from text columns
MAX_LISTED = 5
# A column is numeric when at least this share of its non-missing cells in the
# first rows are numbers; the others are reported, never turned into categories.
NUMERIC_SHARE = 0.8


@dataclass
class CsvData:
    """The columns of a CSV file, split by kind.

    Attributes
    ----------
    path : str
    n_rows : int
    numeric : list of str
        Names of the numeric feature columns, in file order; their values are
        read by :func:`read_numeric`.
    categorical : dict of str to ndarray of shape (n_rows,), object
        Text feature columns; None or NaN marks a missing cell.
    target : ndarray of shape (n_rows,), optional
        float64 when the target column is numeric, else object.
    missing : dict of str to list of int
        For each column with missing cells, the first rows (1-based) that lack a value.
    n_missing : dict of str to int
        How many cells each column lacks.
    ignored : list of str
        Columns in the file that were not read.
    columns : list of str
        Every column of the file, in order.
    bad : dict of str to list of (int, str)
        For each numeric column (or numeric target) with cells that are not
        numbers, the first (row, text) pairs; those cells are read as missing.
    n_bad : dict of str to int
        How many such cells each column holds.
    lines : ndarray of int of shape (n_rows,), optional
        The CSV line of each data row, where it is not simply ``row + 1``.
    """

    path: str
    n_rows: int = 0
    numeric: list = field(default_factory=list)
    categorical: dict = field(default_factory=dict)
    target: np.ndarray | None = None
    target_name: str | None = None
    missing: dict = field(default_factory=dict)
    n_missing: dict = field(default_factory=dict)
    ignored: list = field(default_factory=list)
    columns: list = field(default_factory=list)
    bad: dict = field(default_factory=dict)
    n_bad: dict = field(default_factory=dict)
    lines: np.ndarray | None = None

    def line(self, row: int) -> int:
        """The CSV line (the header is line 1) of data row ``row`` (counted from 1)."""
        return row + 1 if self.lines is None else int(self.lines[row - 1])

    def bad_message(self, columns=None) -> str | None:
        """A sentence listing the cells that are not numbers, by column, line and value."""
        parts = [f"column {name!r} ({self.n_bad[name]} not a number: "
                 + ", ".join(f"line {self.line(row)}: {text!r}" for row, text in cells)
                 + (", ..." if self.n_bad[name] > len(cells) else "") + ")"
                 for name, cells in sorted(self.bad.items(), key=self._file_order)
                 if columns is None or name in columns]
        return "; ".join(parts) or None

    def missing_message(self, columns=None) -> str | None:
        """A sentence listing missing cells by column and row, or None when there are none."""
        parts = [f"column {name!r} ({self.n_missing[name]} missing: rows "
                 f"{', '.join(map(str, rows))}{', ...' if self.n_missing[name] > len(rows) else ''}"
                 ")"
                 for name, rows in sorted(self.missing.items(), key=self._file_order)
                 if columns is None or name in columns]
        return "; ".join(parts) or None

    def _file_order(self, item) -> int:
        return self.columns.index(item[0]) if item[0] in self.columns else len(self.columns)


def read_csv(path, target: str | None = None, features=None, kinds: dict | None = None,
             target_kind: str | None = None, drop=None) -> CsvData:
    """Read ``path`` into a :class:`CsvData`.

    Parameters
    ----------
    path : str
    target : str, optional
        The target column; an error names the file's columns if it is absent.
    features : list of str, optional
        The feature columns to read (others are ignored and listed in
        ``ignored``); all columns but the target when None.
    kinds : dict of str to {"numeric", "categorical"}, optional
        Each feature's kind, as stored in a model; inferred from the first
        rows when None (numbers are numeric, anything else categorical).
    target_kind : {"numeric", "categorical"}, optional
        How to read the target (a model's class labels may be text even
        when a file's labels look like numbers); inferred when None.
    drop : list of str, optional
        Columns to leave out of the features; given (even empty) by ``numnet
        train``, whose ``features`` then come from ``--features``.

    Raises
    ------
    ValueError
        For an empty file, a header without rows, ragged rows, an absent
        target, feature or dropped column, or no feature column at all.
    """
    pd = _pandas()
    head = _peek(pd, path)
    columns = [str(c) for c in head.columns]
    if target is not None and target not in columns:
        raise ValueError(f"the target column {target!r} is not in {path}; its columns are: "
                         f"{', '.join(columns)}")
    features = _feature_columns(path, columns, target, features, drop)
    lines = scan_rows(path)  # before pandas can shift or pad a ragged row
    kinds = kinds or {c: _kind(pd, head[c]) for c in features}
    data = CsvData(path=str(path), target_name=target, columns=columns, lines=lines,
                   numeric=[c for c in features if kinds[c] == "numeric"],
                   ignored=[c for c in columns if c not in features and c != target])
    if target is not None and target_kind is None:
        target_kind = _kind(pd, head[target])
    elif target_kind == "numeric" and _kind(pd, head[target]) != "numeric":
        example = head[target].dropna().iloc[0]
        raise ValueError(f"the target column {target!r} of {path} holds text (for example "
                         f"{example!r}), but this model's targets are numbers")
    _read_chunks(pd, data, [c for c in features if kinds[c] == "categorical"], target_kind)
    return data


def _feature_columns(path, columns: list, target, features, drop) -> list:
    """The feature columns: ``features`` (all but the target when None), less ``drop``."""
    # From `numnet train`, features come from --features; otherwise from a model file.
    wanted = "named by --features" if drop is not None else "that the model needs"
    for source, names in ((wanted, features), ("named by --drop", drop)):
        absent = [c for c in names or [] if c not in columns]
        if absent:
            raise ValueError(f"{path} lacks the columns {', '.join(map(repr, absent))} "
                             f"{source}; its columns are: {', '.join(columns)}")
        if target is not None and target in (names or []):
            raise ValueError(f"the target column {target!r} cannot also be a feature column "
                             "(--features) or be dropped (--drop)")
    chosen = [c for c in columns if c != target] if features is None else list(features)
    chosen = [c for c in chosen if c not in (drop or [])]
    if not chosen:
        raise ValueError(f"{path} has no feature columns left besides the target {target!r}"
                         + (" after --drop" if drop else ""))
    return chosen


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("the numnet command line reads CSV files with pandas, which is not "
                          "installed; install it with `pip install \".[cli]\"`") from None
    return pandas


def _peek(pd, path):
    try:
        # index_col=False: never take the first column as an index (scan_rows then
        # refuses the ragged row that would have made pandas do so).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            head = pd.read_csv(path, nrows=PEEK_ROWS, index_col=False)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty: expected a header line with the column names, then "
                         "one line per sample") from None
    except pd.errors.ParserError as exc:
        raise ValueError(_ragged_message(path, exc)) from None
    if len(head) == 0:
        raise ValueError(f"{path} has a header but no data rows")
    return head


def _kind(pd, column) -> str:
    """"numeric" when (nearly) every present cell of the first rows is a number."""
    if column.dtype.kind in "iuf":
        return "numeric"
    if column.dtype.kind == "b":
        return "categorical"
    present = column.dropna()
    share = pd.to_numeric(present, errors="coerce").notna().mean() if len(present) else 1.0
    return "numeric" if share >= NUMERIC_SHARE else "categorical"


def _read_chunks(pd, data: CsvData, categorical: list, target_kind) -> None:
    """First pass: text columns and the target (or one column, to count the rows)."""
    usecols = categorical + ([data.target_name] if data.target_name else [])
    dtypes = {c: object for c in usecols}
    if target_kind == "numeric":
        del dtypes[data.target_name]  # parsed by pandas; cells that are not numbers are recorded
    text_parts: dict = {c: [] for c in usecols}
    for chunk in _chunks(pd, data.path, usecols or data.numeric[:1], dtypes):
        if target_kind == "numeric":
            _as_numbers(pd, data, chunk, [data.target_name], data.n_rows + 1)
            chunk[data.target_name] = chunk[data.target_name].astype(np.float64)
        for name, parts in text_parts.items():
            parts.append(chunk[name].to_numpy())
            if parts[-1].dtype.kind == "f":
                _refuse_infinite(data, [name], parts[-1][:, None], data.n_rows + 1)
            _note_missing(data, [name], chunk[name].isna().to_numpy()[:, None], data.n_rows + 1)
        data.n_rows += len(chunk)
    columns = {c: np.concatenate(parts) for c, parts in text_parts.items()}
    data.target = columns.pop(data.target_name, None)
    data.categorical = columns


def read_numeric(data: CsvData, out: np.ndarray, position=None) -> None:
    """Second pass: write the numeric columns into ``out[:, :len(data.numeric)]``.

    Parameters
    ----------
    data : CsvData
        From :func:`read_csv`.
    out : ndarray of shape (data.n_rows, >= len(data.numeric)), float32
        Filled in place; NaN marks a missing cell (also listed in ``data.missing``).
    position : ndarray of int of shape (data.n_rows,), optional
        File row ``i`` goes to ``out[position[i]]`` (a shuffle at no extra cost).
    """
    if not data.numeric:
        return
    pd, k, start = _pandas(), len(data.numeric), 0
    for chunk in _chunks(pd, data.path, data.numeric, {}):
        block = _as_numbers(pd, data, chunk, data.numeric, start + 1).to_numpy(dtype=np.float32)
        rows = slice(start, start + len(block))
        if rows.stop > data.n_rows:
            raise ValueError(f"{data.path} changed while it was being read; try again")
        _note_missing(data, data.numeric, np.isnan(block), start + 1)
        _refuse_infinite(data, data.numeric, block, start + 1)
        out[rows if position is None else position[rows], :k] = block
        start = rows.stop


def _chunks(pd, path, usecols: list, dtypes: dict):
    """Chunks of ``usecols`` (in that order), with parsing errors made readable."""
    try:
        for chunk in pd.read_csv(path, usecols=usecols, dtype=dtypes, chunksize=CHUNK_ROWS,
                                 index_col=False):
            yield chunk[usecols]
    except pd.errors.ParserError as exc:
        raise ValueError(_ragged_message(path, exc)) from None


def _as_numbers(pd, data: CsvData, chunk, names: list, first_row: int):
    """Make ``chunk``'s ``names`` columns numbers in place; record the cells that are not.

    A cell that pandas could not parse as a number (``?``, ``"1,234"``, ``"3\\x00"``)
    becomes NaN, so it counts as missing too; ``data.bad`` keeps its row and text.
    """
    for name in names:
        column = chunk[name]
        if column.dtype.kind in "iuf":
            continue  # the common case: pandas parsed every cell as a number
        numbers = pd.to_numeric(column.astype(object), errors="coerce")
        bad = (column.notna() & numbers.isna()).to_numpy()
        rows = np.flatnonzero(bad)
        cells = data.bad.setdefault(name, [])
        cells.extend((int(r) + first_row, str(column.iloc[r]))
                     for r in rows[:MAX_LISTED - len(cells)])
        data.n_bad[name] = data.n_bad.get(name, 0) + len(rows)
        if not data.n_bad[name]:
            del data.bad[name], data.n_bad[name]
        chunk[name] = numbers.astype(np.float64)
    return chunk


def _note_missing(data: CsvData, names: list, is_missing: np.ndarray, first_row: int) -> None:
    if not is_missing.any():
        return
    for j in np.flatnonzero(is_missing.any(axis=0)):
        rows = np.flatnonzero(is_missing[:, j])
        name = names[j]
        listed = data.missing.setdefault(name, [])
        listed.extend(int(r) + first_row for r in rows[:MAX_LISTED - len(listed)])
        data.n_missing[name] = data.n_missing.get(name, 0) + len(rows)


def _refuse_infinite(data: CsvData, names: list, block: np.ndarray, first_row: int) -> None:
    infinite = np.isinf(block)
    if infinite.any():
        row, j = np.argwhere(infinite)[0]
        raise ValueError(f"{data.path}: column {names[j]!r} holds an infinite value in row "
                         f"{row + first_row} (line {data.line(row + first_row)}), or one "
                         "beyond float32's range (|x| > 3.4e38); numnet needs finite numbers")


def _ragged_message(path, exc) -> str:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if found:
        expected, line, saw = found.groups()
        return (f"{path}: line {line} has {saw} fields, but earlier lines have {expected}; every "
                "row needs one value per column (quote values that contain commas)")
    return f"{path} could not be parsed as CSV: {exc}"
