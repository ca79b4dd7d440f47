"""Guarding the files a command writes: never an input, never a file of another kind.

``numnet train d.csv --out d.csv`` once replaced the training data with a
model and exited 0. Every command now checks its outputs before it does any
work: an output that is the same file as an input (also through a symlink or
a hard link: :func:`os.path.samefile` compares devices and inodes) is always
refused, and an existing file that is not of the kind being written (a model
file, a CSV, an ONNX model, a PNG) is refused unless the user passes
``--force``. Kinds are told apart by their first bytes, never by the name.
"""
from __future__ import annotations

import os
import zipfile

SNIFF_BYTES = 65536
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KIND_NAMES = {"model": "a numnet model file", "csv": "text (such as a CSV file)",
              "onnx": "an ONNX model", "png": "a PNG image"}


def check_output(path, option: str, kind: str, inputs: dict, force: bool,
                 choose: str | None = None) -> None:
    """Refuse to write ``path`` over an input, or over an existing file of another kind.

    Parameters
    ----------
    path : str
        The file the command will write.
    option : str
        How the user named it (``"--out"``), for the message.
    kind : {"model", "csv", "onnx", "png"}
        What will be written there.
    inputs : dict of str to str
        The files the command reads, by description (``{"the training data": "d.csv"}``).
    force : bool
        Whether ``--force`` allows replacing an existing file of another kind.
    choose : str, optional
        The option that changes ``path``, for the advice (default ``option``).

    Raises
    ------
    ValueError
        If ``path`` is a folder, is the same file as an input, or holds
        something other than ``kind`` (without ``force``), or its folder is absent.
    """
    choose = choose or option
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"cannot write {option} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise ValueError(f"{option} {path} is a folder; give a file name, such as "
                         f"{os.path.join(path, 'out.' + _extension(kind))}")
    for description, source in inputs.items():
        if _same_file(path, source):
            raise ValueError(f"{option} {path} is the same file as {description} {source}; "
                             f"writing there would destroy it. Choose another {choose} path")
    found = file_kind(path)
    if found not in (None, kind) and not force:
        raise ValueError(f"{option} {path} already exists and holds {_describe(found)}, not "
                         f"{KIND_NAMES[kind]}; numnet will not replace it. Choose another "
                         f"{choose} path, or pass --force to overwrite it")


def file_kind(path) -> str | None:
    """What a file holds: "model", "csv", "onnx", "png" or "other"; None if absent or empty.

    "csv" means any UTF-8 text without NUL bytes; "onnx" a file that starts as a
    serialised ONNX ModelProto does (field 1, ir_version, as a varint: byte 0x08).
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except FileNotFoundError:
        return None
    except OSError:
        return "other"  # unreadable: certainly not ours to replace silently
    if not head:
        return None  # an empty file holds nothing to lose
    if head.startswith(PNG_SIGNATURE):
        return "png"
    if head.startswith(b"PK"):
        return "model" if _is_model_archive(path) else "other"
    if _is_text(head):
        return "csv"
    return "onnx" if head[0] == 0x08 else "other"


def _is_model_archive(path) -> bool:
    # numnet.io writes a zip whose config.json describes the model; reading the
    # zip's directory only is cheap even for a large file.
    try:
        with zipfile.ZipFile(path) as archive:
            return "config.json" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sniffed block is still text.
        return exc.start >= len(head) - 3 and len(head) == SNIFF_BYTES
    return True


def _same_file(path, source) -> bool:
    try:
        return os.path.samefile(path, source)
    except OSError:  # one of them does not exist (yet): they cannot be the same file
        return False


def _describe(kind: str) -> str:
    return KIND_NAMES.get(kind, "binary data of another kind")


def _extension(kind: str) -> str:
    return {"model": "numnet"}.get(kind, kind)
