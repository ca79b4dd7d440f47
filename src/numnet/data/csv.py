"""``from_csv``: numeric CSV files read chunk by chunk with NumPy alone.

Each chunk of ``chunk_rows`` lines (about 8 MB of values by default) is parsed by ``np.loadtxt`` into float32;
the file is never read whole. (The ``numnet`` command line handles text
feature columns and missing values; this source is for numeric data.)
"""
from __future__ import annotations

import csv
import itertools
import re

import numpy as np

from numnet._validation import check_positive_int
from numnet.data.base import DataSource
from numnet.data.files import LabelCoder, choose_columns, list_files, text_target_error

READ_BYTES = 8 * 2**20


class CsvSource(DataSource):
    """Batches from one CSV file or a directory of them; see :func:`from_csv`."""


    def __init__(self, path, target, features=None, chunk_rows=None, classes=None,
                 delimiter=",", **options):
        super().__init__(**options)
        self.files = list_files(path, (".csv", ".txt"), "CSV")
        self.delimiter, self.target = delimiter, target
        self.columns = _header(self.files[0], delimiter)
        self.features = choose_columns(self.columns, target, features, self.files[0])
        # About READ_BYTES of values per chunk, whatever the width of the rows.
        self.chunk_rows = (max(256, READ_BYTES // (8 * len(self.columns))) if chunk_rows is None
                           else check_positive_int(chunk_rows, "chunk_rows"))
        self.coder = None if classes is None else LabelCoder(classes)
        self._rows = None
        for other in self.files[1:]:
            if _header(other, delimiter) != self.columns:
                raise ValueError(f"{other} has other columns than {self.files[0]}; every part file "
                                 "needs the same header line")

    def n_rows(self):
        """The number of data rows of every file (counted once, then cached)."""
        if self._rows is None:  # one fast pass counting lines; cached
            self._rows = sum(_count_lines(f) - 1 for f in self.files)
        return self._rows

    def chunks(self, shuffle, rng):
        """``chunk_rows`` rows at a time, file by file (files in a random order with ``shuffle``)."""
        files = [self.files[i] for i in rng.permutation(len(self.files))] if shuffle else self.files
        for path in files:
            yield from self._file_chunks(path)

    def _file_chunks(self, path):
        cols = [self.columns.index(c) for c in self.features]
        t = self.columns.index(self.target)
        with open(path, encoding="utf-8", newline="") as handle:
            handle.readline()  # the header
            line = 2
            while True:
                lines = list(itertools.islice(handle, self.chunk_rows))
                lines = [text for text in lines if text.strip()]
                if not lines:
                    return
                X = self._parse(lines, cols, np.float32, path, line)
                yield X, self._targets(lines, t, path, line)
                line += len(lines)

    def _targets(self, lines, t, path, line):
        if self.coder is None:
            return self._parse(lines, [t], np.float64, path, line)[:, 0]
        labels = self._parse(lines, [t], str, path, line)[:, 0]
        return self.coder.encode(labels, f"{path} near line {line}")

    def _parse(self, lines, cols, dtype, path, first_line):
        try:
            return np.loadtxt(lines, delimiter=self.delimiter, usecols=cols, dtype=dtype, ndmin=2,
                              comments=None)
        except ValueError as exc:
            raise _parse_error(exc, path, first_line, self) from None

    def __repr__(self):
        return f"CsvSource({self.files[0]!r}{' and more' if len(self.files) > 1 else ''})"


def _parse_error(exc, path, first_line, source):
    text = str(exc)
    found = re.search(r"could not convert string '(.*)' to \w+ at row (\d+), column (\d+)", text)
    if found is None:
        return ValueError(f"{path}: could not read the rows from line {first_line} on: {text}")
    value, row, col = found.group(1), int(found.group(2)), int(found.group(3))
    # NumPy counts file columns from 1 (not the positions within usecols) and rows from 0.
    name = source.columns[col - 1] if 0 < col <= len(source.columns) else f"number {col}"
    if name == source.target and source.coder is None:
        return text_target_error(name, path, value)
    return ValueError(f"{path}, line {first_line + row}, column {name!r}: {value!r} is not a number; "
                      "from_csv reads numeric columns only (encode text columns first, or use "
                      "`numnet train`, which does)")


def _header(path, delimiter):
    with open(path, encoding="utf-8", newline="") as handle:
        first = handle.readline()
    if not first.strip():
        raise ValueError(f"{path} is empty: expected a header line naming the columns, then data rows")
    return next(csv.reader([first], delimiter=delimiter))


def _count_lines(path, block=2**20):
    count, last = 0, b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")
