"""The container behind numnet files: a zip of ``config.json`` and one ``.npy`` per array.

Writing is atomic: the archive goes to a temporary file in the target's
folder, is flushed to disk, and only then renamed over the target, so a crash
while saving leaves either the old file or the new one, never half of each.

Reading never runs code and never trusts the file. ``config.json`` lists
every array (member name, shape, dtype); the archive must hold exactly those
members, each member's ``.npy`` header must agree with the list, and each is
read with NumPy's format readers, which never unpickle. Members must be
stored uncompressed, so no member can expand beyond the file's own size
(no zip bombs), and every read is bounded by the size the list implies.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import struct
import tempfile
import zipfile
import zlib

import numpy as np

from numnet.exceptions import ModelFileError

FORMAT_VERSION = 1
CONFIG_MEMBER = "config.json"
MAX_CONFIG_BYTES = 64 * 2**20
#: The dtypes an array in a numnet file may have (little-endian numbers and booleans).
ALLOWED_DTYPES = ("<f2", "<f4", "<f8", "<i4", "<i8", "|u1", "|b1")
_MEMBER_NAME = re.compile(r"arrays/[0-9]{1,7}\.npy")
_MAX_NPY_HEADER = 65536 + 12  # a version 1.0 header's length field is 2 bytes
_PICKLE_START = b"\x80"
# The exceptions zipfile, zlib and struct raise on damaged archives; each becomes
# one ModelFileError that says the file is damaged. (zipfile raises NotImplementedError
# for a header that names an unknown compression method.)
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError, struct.error, OverflowError, LookupError)


# -- writing --------------------------------------------------------------------
def write_archive(path, config: dict, arrays: dict[str, np.ndarray]) -> None:
    """Atomically write ``config`` (JSON data) and ``arrays`` to a numnet file at ``path``.

    Parameters
    ----------
    path : str or os.PathLike
    config : dict
        Plain JSON data; ``"format_version"`` and the ``"arrays"`` manifest are added.
    arrays : dict of str to ndarray
        Named arrays of the dtypes in :data:`ALLOWED_DTYPES`.

    Raises
    ------
    TypeError
        If ``config`` holds something JSON cannot store, or an array has another dtype.
    """
    arrays = {name: _check_writable(name, value) for name, value in arrays.items()}
    manifest = {name: {"member": f"arrays/{i}.npy", "shape": list(value.shape),
                       "dtype": value.dtype.str} for i, (name, value) in enumerate(arrays.items())}
    config = {**config, "format_version": FORMAT_VERSION, "arrays": manifest}
    text = json.dumps(config, indent=1, default=_json_default)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_members(handle, text, arrays, manifest)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise
    _fsync_folder(folder)


def _write_members(handle, text: str, arrays: dict, manifest: dict) -> None:
    # ZIP_STORED: arrays barely compress, and the reader refuses compressed
    # members so that no member can expand beyond the file's size.
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(CONFIG_MEMBER, text)
        for name, value in arrays.items():
            big = value.nbytes > 2**30
            with archive.open(manifest[name]["member"], "w", force_zip64=big) as member:
                np.save(member, value, allow_pickle=False)


def _check_writable(name: str, value) -> np.ndarray:
    value = np.asarray(value)
    if value.dtype.str not in ALLOWED_DTYPES:
        raise TypeError(f"array {name!r} has dtype {value.dtype}, which a numnet file cannot "
                        f"hold; use one of {', '.join(ALLOWED_DTYPES)}")
    # (np.ascontiguousarray would turn a 0-d array, such as a step count, into 1-d)
    return value if value.flags.c_contiguous else value.copy(order="C")


def _json_default(value):
    """Turn NumPy scalars into Python numbers for ``json.dumps``; refuse anything else."""
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    raise TypeError(
        f"{type(value).__name__} {value!r} cannot be written to a numnet file, which holds only "
        "JSON data and arrays; if it is a custom initializer, loss or layer, make it a class "
        "with get_config() and register it (see numnet.registry) so it can be saved by name")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


# -- reading --------------------------------------------------------------------
def read_archive(path, kind: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and check a numnet file written by :func:`write_archive`.

    Parameters
    ----------
    path : str or os.PathLike
    kind : str
        The ``"format"`` the config must name (``"numnet.Sequential"``...).

    Returns
    -------
    config : dict
        The JSON config, including the ``"arrays"`` manifest.
    arrays : dict of str to ndarray
        Every array of the manifest, with exactly its shape and dtype.

    Raises
    ------
    ModelFileError
        If the file is missing, is not a numnet file, or is damaged in any way;
        the message says what is wrong.
    """
    path = os.fspath(path)
    _check_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            config = _read_config(archive, path, kind)
            arrays = _read_arrays(archive, config["arrays"], path)
    except ModelFileError:
        raise
    except _DAMAGED as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise ModelFileError(f"{path} is damaged and cannot be read ({detail}); save the "
                             "model again") from None
    return config, arrays


def _check_file(path: str) -> None:
    if not os.path.exists(path):
        raise ModelFileError(f"model file {path} does not exist")
    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a folder, not a model file")
    with open(path, "rb") as handle:
        start = handle.read(4)
    if not start:
        raise ModelFileError(f"{path} is empty, not a numnet model file")
    if start.startswith(_PICKLE_START):
        raise ModelFileError(f"{path} looks like a Python pickle, not a numnet model file; numnet "
                             "never loads pickles because loading one can run arbitrary code")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path} is not a numnet model file: it is not a zip archive, or it "
                             "was cut short (truncated)")


def _read_config(archive: zipfile.ZipFile, path: str, kind: str) -> dict:
    info = _member_info(archive, CONFIG_MEMBER, path, MAX_CONFIG_BYTES)
    raw = _read_member(archive, info, info.file_size)
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: {CONFIG_MEMBER} is not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{path}: {CONFIG_MEMBER} must hold a JSON object, got "
                             f"{type(config).__name__}")
    _check_format(config, path, kind)
    _check_manifest(config.get("arrays"), path)
    _check_members(archive, config["arrays"], path)
    return config


def _check_format(config: dict, path: str, kind: str) -> None:
    found = config.get("format")
    if found != kind:
        raise ModelFileError(f"{path} holds {found!r}, but {kind!r} was expected")
    version = config.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ModelFileError(f"{path}: format_version must be an integer, got {version!r}")
    if version != FORMAT_VERSION:
        newer = (" (written by a newer numnet: upgrade numnet to read it)"
                 if version > FORMAT_VERSION else "")
        raise ModelFileError(f"{path} has format version {version}, but this numnet reads "
                             f"version {FORMAT_VERSION}{newer}")


def _check_manifest(manifest, path: str) -> None:
    if not isinstance(manifest, dict):
        raise ModelFileError(f"{path}: the config's 'arrays' entry must be an object, got "
                             f"{type(manifest).__name__}")
    members = set()
    for name, entry in manifest.items():
        if not (isinstance(entry, dict) and set(entry) == {"member", "shape", "dtype"}):
            raise ModelFileError(f"{path}: array {name!r} must be described by member, shape "
                                 f"and dtype, got {entry!r}")
        member, shape, dtype = entry["member"], entry["shape"], entry["dtype"]
        if not isinstance(member, str) or not _MEMBER_NAME.fullmatch(member) or member in members:
            raise ModelFileError(f"{path}: array {name!r} has a bad or repeated member name "
                                 f"{member!r}")
        members.add(member)
        if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
            raise ModelFileError(f"{path}: array {name!r} has an invalid shape {shape!r}")
        if dtype not in ALLOWED_DTYPES:
            raise ModelFileError(f"{path}: array {name!r} has dtype {dtype!r}; numnet files hold "
                                 f"only {', '.join(ALLOWED_DTYPES)}")


def _check_members(archive: zipfile.ZipFile, manifest: dict, path: str) -> None:
    names = [info.filename for info in archive.infolist()]
    expected = {CONFIG_MEMBER} | {entry["member"] for entry in manifest.values()}
    if len(names) != len(set(names)):
        raise ModelFileError(f"{path} holds some members twice; it is damaged or was tampered with")
    extra, missing = sorted(set(names) - expected), sorted(expected - set(names))
    if extra:
        raise ModelFileError(f"{path} holds unexpected members {extra[:5]}; a numnet file holds "
                             "only config.json and the arrays its config lists")
    if missing:
        raise ModelFileError(f"{path} lacks the members {missing[:5]} that its config lists")


def _member_info(archive: zipfile.ZipFile, member: str, path: str,
                 max_bytes: int) -> zipfile.ZipInfo:
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise ModelFileError(f"{path} has no {member}; it is not a numnet model file") from None
    if info.flag_bits & 0x1:
        raise ModelFileError(f"{path}: member {member} is encrypted; numnet files never are")
    if info.compress_type != zipfile.ZIP_STORED:
        raise ModelFileError(f"{path}: member {member} is compressed; numnet writes (and reads) "
                             "only uncompressed members")
    if info.file_size > max_bytes:
        raise ModelFileError(f"{path}: member {member} holds {info.file_size} bytes, more than "
                             f"the {max_bytes} its config allows")
    return info


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, n_bytes: int) -> bytearray:
    """Read exactly ``n_bytes`` (checked against the zip's CRC); the caller bounded ``n_bytes``."""
    buffer = bytearray(n_bytes)
    with archive.open(info) as member:
        got = member.readinto(buffer)
        if got != n_bytes or member.read(1):
            raise ModelFileError(f"member {info.filename} does not hold the {n_bytes} bytes its "
                                 "header states; the file is damaged")
    return buffer


def _read_arrays(archive: zipfile.ZipFile, manifest: dict, path: str) -> dict[str, np.ndarray]:
    return {name: _read_array(archive, name, entry, path) for name, entry in manifest.items()}


def _read_array(archive: zipfile.ZipFile, name: str, entry: dict, path: str) -> np.ndarray:
    dtype, shape = np.dtype(entry["dtype"]), tuple(entry["shape"])
    data_bytes = math.prod(shape) * dtype.itemsize
    info = _member_info(archive, entry["member"], path, data_bytes + _MAX_NPY_HEADER)
    raw = _read_member(archive, info, info.file_size)
    offset = _check_npy_header(raw, name, shape, dtype, path)
    if len(raw) - offset != data_bytes:
        raise ModelFileError(f"{path}: array {name!r} holds {len(raw) - offset} bytes of data, "
                             f"but shape {shape} and dtype {dtype} need {data_bytes}")
    return np.frombuffer(raw, dtype=dtype, offset=offset, count=math.prod(shape)).reshape(shape)


def _check_npy_header(raw: bytearray, name: str, shape: tuple, dtype: np.dtype, path: str) -> int:
    """Parse the ``.npy`` header (NumPy's reader never unpickles); return the data offset."""
    stream = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            found = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            found = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, SyntaxError, TypeError, struct.error) as exc:
        raise ModelFileError(f"{path}: array {name!r} has a damaged header ({exc})") from None
    found_shape, fortran_order, found_dtype = found
    if tuple(found_shape) != shape or found_dtype != dtype or fortran_order:
        raise ModelFileError(
            f"{path}: array {name!r} is stored with shape {tuple(found_shape)} and dtype "
            f"{found_dtype}, but the config says shape {shape} and dtype {dtype}")
    return stream.tell()
