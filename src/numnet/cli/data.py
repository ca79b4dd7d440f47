"""Reading CSV files for the command line, chunk by chunk, with clear errors.

pandas parses the file (no hand-written CSV parsing), in two passes over
chunks of rows. The first reads the text columns and the target, and counts
the rows; the second streams the numeric columns as float32 straight into
the caller's preallocated matrix, so that a large numeric file is held about
once in memory, never as float64 parsing results or a list of blocks plus
their concatenation. Missing cells are reported by row (data rows count
from 1, after the header) and column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

CHUNK_ROWS = 65536
PEEK_ROWS = 1000  # rows read first to tell numeric columns from text columns
MAX_LISTED = 5


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
             target_kind: str | None = None) -> CsvData:
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

    Raises
    ------
    ValueError
        For an empty file, a header without rows, ragged rows, an absent
        target or feature column, or a numeric column holding text.
    """
    pd = _pandas()
    head = _peek(pd, path)
    columns = [str(c) for c in head.columns]
    if target is not None and target not in columns:
        raise ValueError(f"the target column {target!r} is not in {path}; its columns are: "
                         f"{', '.join(columns)}")
    features = [c for c in columns if c != target] if features is None else list(features)
    absent = [c for c in features if c not in columns]
    if absent:
        raise ValueError(f"{path} lacks the columns {', '.join(map(repr, absent))} that the model "
                         f"needs; its columns are: {', '.join(columns)}")
    if not features:
        raise ValueError(f"{path} has no feature columns besides the target {target!r}")
    kinds = kinds or {c: _kind(head[c]) for c in features}
    data = CsvData(path=str(path), target_name=target, columns=columns,
                   numeric=[c for c in features if kinds[c] == "numeric"],
                   ignored=[c for c in columns if c not in features and c != target])
    if target is not None and target_kind is None:
        target_kind = _kind(head[target])
    elif target_kind == "numeric" and _kind(head[target]) != "numeric":
        example = head[target].dropna().iloc[0]
        raise ValueError(f"the target column {target!r} of {path} holds text (for example "
                         f"{example!r}), but this model's targets are numbers")
    _read_chunks(pd, data, [c for c in features if kinds[c] == "categorical"], target_kind)
    return data


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError("the numnet command line reads CSV files with pandas, which is not "
                          "installed; install it with `pip install numnet[cli]`") from None
    return pandas


def _peek(pd, path):
    try:
        head = pd.read_csv(path, nrows=PEEK_ROWS)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty: expected a header line with the column names, then "
                         "one line per sample") from None
    except pd.errors.ParserError as exc:
        raise ValueError(_ragged_message(path, exc)) from None
    if len(head) == 0:
        raise ValueError(f"{path} has a header but no data rows")
    return head


def _kind(column) -> str:
    dtype = column.dtype
    numeric = dtype.kind in "iuf" or (dtype.kind == "O" and column.isna().all())
    return "numeric" if numeric else "categorical"


def _read_chunks(pd, data: CsvData, categorical: list, target_kind) -> None:
    """First pass: text columns and the target (or one column, to count the rows)."""
    usecols = categorical + ([data.target_name] if data.target_name else [])
    dtypes = {c: object for c in categorical}
    if data.target_name:
        dtypes[data.target_name] = np.float64 if target_kind == "numeric" else object
    text_parts = {c: [] for c in usecols}
    for chunk in _chunks(pd, data.path, usecols or data.numeric[:1], dtypes):
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
    dtypes = {c: np.float32 for c in data.numeric}
    for chunk in _chunks(pd, data.path, data.numeric, dtypes):
        block = chunk.to_numpy(dtype=np.float32)
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
        for chunk in pd.read_csv(path, usecols=usecols, dtype=dtypes, chunksize=CHUNK_ROWS):
            yield chunk[usecols]
    except pd.errors.ParserError as exc:
        raise ValueError(_ragged_message(path, exc)) from None
    except ValueError as exc:  # text in a column whose first rows were numbers
        raise ValueError(f"{path}: a column that holds numbers in its first {PEEK_ROWS} rows "
                         f"holds text further down ({exc}); fix the value, or make the whole "
                         "column text") from None


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
                         f"{row + first_row}; numnet needs finite numbers")


def _ragged_message(path, exc) -> str:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if found:
        expected, line, saw = found.groups()
        return (f"{path}: line {line} has {saw} fields, but earlier lines have {expected}; every "
                "row needs one value per column (quote values that contain commas)")
    return f"{path} could not be parsed as CSV: {exc}"
