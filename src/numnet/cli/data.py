"""Reading CSV files for the command line, chunk by chunk, with clear errors.

pandas parses the file (no hand-written CSV parsing). Numeric columns are
read as float32 in chunks of rows, so that a large file is never held as
float64 text-parsing results all at once; text columns are kept as Python
strings for one-hot encoding. Missing cells are found and reported by row
(data rows count from 1, after the header) and column.
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
        Names of the numeric feature columns, in file order.
    numeric_blocks : list of ndarray of shape (rows_in_chunk, len(numeric)), float32
        One block per chunk; NaN marks a missing cell.
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
    """

    path: str
    n_rows: int = 0
    numeric: list = field(default_factory=list)
    numeric_blocks: list = field(default_factory=list)
    categorical: dict = field(default_factory=dict)
    target: np.ndarray | None = None
    target_name: str | None = None
    missing: dict = field(default_factory=dict)
    n_missing: dict = field(default_factory=dict)
    ignored: list = field(default_factory=list)

    def missing_message(self, columns=None) -> str | None:
        """A sentence listing missing cells by column and row, or None when there are none."""
        parts = [f"column {name!r} ({self.n_missing[name]} missing: rows "
                 f"{', '.join(map(str, rows))}{', ...' if self.n_missing[name] > len(rows) else ''})"
                 for name, rows in self.missing.items() if columns is None or name in columns]
        return "; ".join(parts) or None


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
    data = CsvData(path=str(path), target_name=target,
                   numeric=[c for c in features if kinds[c] == "numeric"],
                   ignored=[c for c in columns if c not in features and c != target])
    if target is not None and target_kind is None:
        target_kind = _kind(head[target])
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
    usecols = data.numeric + categorical + ([data.target_name] if data.target_name else [])
    dtypes = {c: np.float32 for c in data.numeric}
    dtypes.update({c: object for c in categorical})
    if data.target_name:
        dtypes[data.target_name] = np.float64 if target_kind == "numeric" else object
    text_parts = {c: [] for c in categorical}
    targets = []
    try:
        reader = pd.read_csv(data.path, usecols=usecols, dtype=dtypes, chunksize=CHUNK_ROWS)
        for chunk in reader:
            _take_chunk(data, chunk, text_parts, targets)
    except pd.errors.ParserError as exc:
        raise ValueError(_ragged_message(data.path, exc)) from None
    except ValueError as exc:  # text in a column whose first rows were numbers
        raise ValueError(f"{data.path}: a column that holds numbers in its first {PEEK_ROWS} rows "
                         f"holds text further down ({exc}); fix the value, or make the whole "
                         "column text") from None
    data.categorical = {c: np.concatenate(parts) for c, parts in text_parts.items()}
    data.target = np.concatenate(targets) if targets else None


def _take_chunk(data: CsvData, chunk, text_parts: dict, targets: list) -> None:
    first_row = data.n_rows + 1
    if data.numeric:
        block = chunk[data.numeric].to_numpy(dtype=np.float32)
        data.numeric_blocks.append(block)
        _note_missing(data, data.numeric, np.isnan(block), first_row)
    for name, parts in text_parts.items():
        values = chunk[name].to_numpy(dtype=object)
        parts.append(values)
        _note_missing(data, [name], chunk[name].isna().to_numpy()[:, None], first_row)
    if data.target_name:
        values = chunk[data.target_name].to_numpy()
        targets.append(values)
        _note_missing(data, [data.target_name], chunk[data.target_name].isna().to_numpy()[:, None],
                      first_row)
    data.n_rows += len(chunk)


def _note_missing(data: CsvData, names: list, is_missing: np.ndarray, first_row: int) -> None:
    if not is_missing.any():
        return
    for j in np.flatnonzero(is_missing.any(axis=0)):
        rows = np.flatnonzero(is_missing[:, j])
        name = names[j]
        listed = data.missing.setdefault(name, [])
        listed.extend(int(r) + first_row for r in rows[:MAX_LISTED - len(listed)])
        data.n_missing[name] = data.n_missing.get(name, 0) + len(rows)


def _ragged_message(path, exc) -> str:
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if found:
        expected, line, saw = found.groups()
        return (f"{path}: line {line} has {saw} fields, but earlier lines have {expected}; every "
                "row needs one value per column (quote values that contain commas)")
    return f"{path} could not be parsed as CSV: {exc}"
