"""The container behind numnet files: a zip of ``config.json`` and one ``.npy`` per array.

Writing is atomic: the archive goes to a temporary file in the target's
folder, is flushed to disk, and only then renamed over the target, so a crash
while saving leaves either the old file or the new one, never half of each.
The temporary file is removed on any exception, and on SIGTERM too (when
saving on the main thread), before the process ends as SIGTERM would end it.

Reading never runs code and never trusts the file, and allocates nothing the
file's real size does not justify. Only regular files are opened (never a
device such as ``/dev/zero`` or a named pipe, even through a link).
``config.json`` lists every array (member name, shape, dtype); the archive
must hold exactly those members, each member's ``.npy`` header must agree
with the list, and each is read with NumPy's format readers, which never
unpickle. Members must be stored uncompressed, so no member can expand beyond
the file's own size (no zip bombs). Every size the file claims (the zip's
member sizes, the list's shapes) is checked against the bytes the file really
holds before anything is allocated, and data are read in bounded chunks.
"""
from __future__ import annotations

import bisect
import contextlib
import errno
import json
import math
import os
import re
import signal
import stat
import struct
import tempfile
import threading
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
_MAX_NDIM = 32  # NumPy's own limit was 32 before 2.0; numnet arrays have at most 2
_LOCAL_HEADER = 30  # fixed part of a zip local file header, before its name and extra field
_CHUNK = 2**20  # bytes read at a time, so no read ever trusts a declared size
_PICKLE_START = b"\x80"
# The exceptions zipfile, zlib and struct raise on damaged archives; each becomes
# one ModelFileError that says the file is damaged. (zipfile raises NotImplementedError
# for a header that names an unknown compression method.)
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError, struct.error, OverflowError, LookupError)
_NOT_REGULAR = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                (stat.S_ISSOCK, "a socket"))


def as_path(path, name: str = "path") -> str:
    """Return ``path`` (str, bytes or os.PathLike) as a str; refuse anything else.

    Raises
    ------
    TypeError
        If ``path`` is not a str, bytes or os.PathLike (a file object, say).
    ValueError
        If it holds a NUL character, which no file name can.
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{name} must be a file path (str, bytes or os.PathLike), got "
                        f"{type(path).__name__}; numnet reads and writes model files by path, "
                        "so write file objects or in-memory bytes to a file first")
    path = os.fsdecode(os.fspath(path))
    if "\0" in path:
        raise ValueError(f"{name} {path!r} contains a NUL character, which no file name can; "
                         "pass the file's real name")
    return path


# -- writing --------------------------------------------------------------------
def write_archive(path, config: dict, arrays: dict[str, np.ndarray]) -> None:
    """Atomically write ``config`` (JSON data) and ``arrays`` to a numnet file at ``path``.

    Parameters
    ----------
    path : str, bytes or os.PathLike
    config : dict
        Plain JSON data; ``"format_version"`` and the ``"arrays"`` manifest are added.
    arrays : dict of str to ndarray
        Named arrays of the dtypes in :data:`ALLOWED_DTYPES`.

    Raises
    ------
    TypeError
        If ``path`` is no path, ``config`` holds something JSON cannot store, or
        an array has another dtype.
    OSError
        If the target cannot be written (``FileNotFoundError`` for a missing
        folder, ``IsADirectoryError`` for a folder as target...); the message
        names the target, never the temporary file.
    """
    path = as_path(path)
    arrays = {name: _check_writable(name, value) for name, value in arrays.items()}
    manifest = {name: {"member": f"arrays/{i}.npy", "shape": list(value.shape),
                       "dtype": value.dtype.str} for i, (name, value) in enumerate(arrays.items())}
    config = {**config, "format_version": FORMAT_VERSION, "arrays": manifest}
    text = json.dumps(config, indent=1, default=_json_default)
    folder = _check_target(path)
    with _removed_on_sigterm() as tmp_files:
        fd, tmp = _make_temporary(path, folder)
        tmp_files.append(tmp)
        try:
            with os.fdopen(fd, "wb") as handle:
                _write_members(handle, text, arrays, manifest)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o666 & ~_umask())
            _replace(tmp, path)
        except BaseException:
            _remove_quietly(tmp)
            raise
    _fsync_folder(folder)


def _check_target(path: str) -> str:
    """Refuse a target that is a folder or another non-file, or whose folder is missing.

    Checked before writing so the error names the target, not the temporary file.
    Returns the target's folder.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"cannot save to {path!r}: it is a folder; name a "
                                f"file inside it, such as {os.path.join(path, 'model.numnet')!r}")
    if os.path.exists(path) and not os.path.isfile(path):
        raise OSError(errno.EINVAL, f"cannot save to {path!r}: it is {_kind(os.stat(path))}, not "
                      "a regular file; choose another file name")
    if not os.path.isdir(folder):
        found = "is a file, not a folder" if os.path.exists(folder) else "does not exist"
        raise FileNotFoundError(errno.ENOENT, f"cannot save to {path!r}: folder {folder!r} "
                                f"{found}; create the folder first (os.makedirs) or choose "
                                "another path")
    return folder


def _make_temporary(path: str, folder: str) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot save to {path!r}: cannot create a file in folder "
                        f"{folder!r} ({exc.strerror})") from None


def _replace(tmp: str, path: str) -> None:
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot save to {path!r}: {exc.strerror}") from None


class _Terminated(BaseException):
    """SIGTERM arrived while saving; raised so that the temporary file is removed."""


def _raise_terminated(signum, frame):
    raise _Terminated


@contextlib.contextmanager
def _removed_on_sigterm():
    """While the body runs, SIGTERM removes the listed temporary files, then ends the process.

    Only where SIGTERM would kill the process outright (its handler is the
    default) and only on the main thread (the one place Python runs signal
    handlers). The handler raises, the body's cleanup runs, and the signal is
    sent again with the default handler back, so the process still ends as
    SIGTERM ends it (same exit status, no Python cleanup beyond ours).
    """
    tmp_files: list[str] = []
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield tmp_files
        return
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield tmp_files
    except _Terminated:
        for tmp in tmp_files:  # the body removed it; this covers a signal before its try
            _remove_quietly(tmp)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)
        raise  # only reached where the platform delivers the signal late
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


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


# -- opening --------------------------------------------------------------------
def _kind(st: os.stat_result) -> str:
    return next((kind for test, kind in _NOT_REGULAR if test(st.st_mode)), "not a regular file")


def _open_regular(path: str):
    """Open ``path`` for reading if it is a regular file (after links); refuse anything else.

    A device such as ``/dev/zero`` never ends and a named pipe blocks until a
    writer comes, so both are refused from ``os.stat`` alone, before opening.
    ``O_NONBLOCK`` keeps a pipe swapped in after that check from blocking the
    open, and ``fstat`` on the open file closes that gap.
    """
    try:
        _require_regular(os.stat(path), path)
    except FileNotFoundError:
        link = " (a link whose target is missing)" if os.path.islink(path) else ""
        raise ModelFileError(f"model file {path} does not exist{link}") from None
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    handle = os.fdopen(os.open(path, flags), "rb")
    try:
        _require_regular(os.fstat(handle.fileno()), path)
    except BaseException:
        handle.close()
        raise
    return handle


def _require_regular(st: os.stat_result, path: str) -> None:
    if stat.S_ISREG(st.st_mode):
        return
    if stat.S_ISDIR(st.st_mode):
        raise ModelFileError(f"{path} is a folder, not a model file; name the .numnet file "
                             "inside it")
    link = f" (a link to {os.path.realpath(path)})" if os.path.islink(path) else ""
    raise ModelFileError(f"{path}{link} is {_kind(st)}, not a regular file; numnet loads models "
                         "only from regular files")


def _check_start(handle, path: str) -> None:
    start = handle.read(4)
    if not start:
        raise ModelFileError(f"{path} is empty, not a numnet model file")
    if start.startswith(_PICKLE_START):
        raise ModelFileError(f"{path} looks like a Python pickle, not a numnet model file; numnet "
                             "never loads pickles because loading one can run arbitrary code")
    if not zipfile.is_zipfile(handle):
        raise ModelFileError(f"{path} is not a numnet model file: it is not a zip archive, or it "
                             "was cut short (truncated)")
    handle.seek(0)


# -- reading --------------------------------------------------------------------
def read_archive(path, kind: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Read and check a numnet file written by :func:`write_archive`.

    Parameters
    ----------
    path : str, bytes or os.PathLike
        A regular file (links are followed).
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
    TypeError
        If ``path`` is not a path (a file object, say).
    ModelFileError
        If the file is missing, is not a regular file, is not a numnet file,
        claims more data than it holds, or is damaged in any way; the message
        says what is wrong.
    """
    path = as_path(path)
    with _open_regular(path) as handle:
        _check_start(handle, path)
        try:
            with zipfile.ZipFile(handle) as archive:
                room = _member_room(archive, os.fstat(handle.fileno()).st_size, path)
                config = _read_config(archive, path, kind, room)
                arrays = _read_arrays(archive, config["arrays"], path, room)
        except ModelFileError:
            raise
        except _DAMAGED as exc:
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise ModelFileError(f"{path} is damaged and cannot be read ({detail}); save the "
                                 "model again") from None
    return config, arrays


def _member_room(archive: zipfile.ZipFile, file_size: int, path: str) -> dict[str, int]:
    """The most bytes each member can really hold: up to the next member or the directory.

    The zip's directory may claim any size; what a member can hold is bounded
    by where the next one starts. Members that share bytes (the trick behind
    some zip bombs) are refused.
    """
    infos = archive.infolist()
    starts = sorted(info.header_offset for info in infos)
    if len(set(starts)) != len(starts):
        raise ModelFileError(f"{path}: two members share the same bytes; the file is damaged or "
                             "was tampered with")
    end = min(getattr(archive, "start_dir", file_size), file_size)
    bounds = sorted(starts + [end])
    room = {}
    for info in infos:
        start = info.header_offset
        following = bounds[bisect.bisect_right(bounds, start)] if 0 <= start < end else start
        room[info.filename] = following - start - _LOCAL_HEADER - len(info.orig_filename.encode())
    return room


def _read_config(archive: zipfile.ZipFile, path: str, kind: str, room: dict) -> dict:
    info = _member_info(archive, CONFIG_MEMBER, path, MAX_CONFIG_BYTES, room)
    with archive.open(info) as member:
        raw = _read_exactly(member, info.file_size, f"{path}: member {CONFIG_MEMBER}")
    try:
        config = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: {CONFIG_MEMBER} is not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{path}: {CONFIG_MEMBER} must hold a JSON object, got "
                             f"{type(config).__name__}")
    _check_format(config, path, kind)
    _check_manifest(config.get("arrays"), path)
    _check_members(archive, config["arrays"], path)
    _check_total(config["arrays"], sum(max(n, 0) for n in room.values()), path)
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
        if dtype not in ALLOWED_DTYPES:
            raise ModelFileError(f"{path}: array {name!r} has dtype {dtype!r}; numnet files hold "
                                 f"only {', '.join(ALLOWED_DTYPES)}")
        _check_shape(shape, name, np.dtype(dtype).itemsize, path)


def _check_shape(shape, name: str, itemsize: int, path: str) -> None:
    if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
        raise ModelFileError(f"{path}: array {name!r} has an invalid shape {shape!r}")
    # NumPy refuses shapes whose nonzero extents overflow, even when a zero makes
    # the array empty; refusing them here keeps NumPy's error out of the reader.
    extent = math.prod(max(n, 1) for n in shape) * itemsize
    if len(shape) > _MAX_NDIM or extent >= 2**62:
        raise ModelFileError(f"{path}: array {name!r} has shape {shape}, which no array can "
                             "have; the file is damaged or was tampered with")


def _check_total(manifest: dict, stored: int, path: str) -> None:
    """Refuse a manifest whose arrays need more bytes than the members can hold."""
    claimed = sum(_data_bytes(entry) for entry in manifest.values())
    if claimed > stored:
        raise ModelFileError(f"{path}: its config claims arrays of {claimed} bytes in all, but "
                             f"the file holds only {stored} bytes of members; the file is "
                             "damaged or was tampered with")


def _data_bytes(entry: dict) -> int:
    return math.prod(entry["shape"]) * np.dtype(entry["dtype"]).itemsize


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


def _member_info(archive: zipfile.ZipFile, member: str, path: str, max_bytes: int,
                 room: dict) -> zipfile.ZipInfo:
    """The member's zip entry, once its claimed size is known to fit the real file."""
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise ModelFileError(f"{path} has no {member}; it is not a numnet model file") from None
    if info.flag_bits & 0x1:
        raise ModelFileError(f"{path}: member {member} is encrypted; numnet files never are")
    if info.compress_type != zipfile.ZIP_STORED:
        raise ModelFileError(f"{path}: member {member} is compressed; numnet writes (and reads) "
                             "only uncompressed members")
    if info.file_size != info.compress_size or info.file_size > room[member]:
        raise ModelFileError(
            f"{path}: member {member} claims {info.file_size} bytes ({info.compress_size} "
            f"stored), but the file has room for only {max(room[member], 0)} bytes there; the "
            "file is damaged or was tampered with")
    if info.file_size > max_bytes:
        raise ModelFileError(f"{path}: member {member} holds {info.file_size} bytes, more than "
                             f"the {max_bytes} its config allows")
    return info


def _read_exactly(member, n_bytes: int, what: str) -> np.ndarray:
    """Read exactly ``n_bytes`` in bounded chunks (the zip checks its CRC at the end).

    The caller has bounded ``n_bytes`` by the file's real size.
    """
    buffer = np.empty(n_bytes, dtype=np.uint8)
    view, filled = memoryview(buffer), 0  # type: ignore[arg-type]  # ndarray has the buffer protocol; NumPy's stubs do not say so
    while filled < n_bytes:
        got = member.readinto(view[filled:filled + _CHUNK])
        if not got:
            break
        filled += got
    if filled != n_bytes or member.read(1):
        raise ModelFileError(f"{what} does not hold the {n_bytes} bytes its header states; the "
                             "file is damaged")
    return buffer


def _read_arrays(archive: zipfile.ZipFile, manifest: dict, path: str,
                 room: dict) -> dict[str, np.ndarray]:
    return {name: _read_array(archive, name, entry, path, room)
            for name, entry in manifest.items()}


def _read_array(archive: zipfile.ZipFile, name: str, entry: dict, path: str,
                room: dict) -> np.ndarray:
    dtype, shape = np.dtype(entry["dtype"]), tuple(entry["shape"])
    data_bytes = _data_bytes(entry)
    info = _member_info(archive, entry["member"], path, data_bytes + _MAX_NPY_HEADER, room)
    with archive.open(info) as member:
        offset = _check_npy_header(member, name, shape, dtype, path)
        if info.file_size - offset != data_bytes:
            raise ModelFileError(f"{path}: array {name!r} holds {info.file_size - offset} bytes "
                                 f"of data, but shape {shape} and dtype {dtype} need {data_bytes}")
        raw = _read_exactly(member, data_bytes, f"{path}: array {name!r}")
    return raw.view(dtype).reshape(shape)


def _check_npy_header(member, name: str, shape: tuple, dtype: np.dtype, path: str) -> int:
    """Parse the ``.npy`` header (NumPy's reader never unpickles); return the data offset."""
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            found = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            found = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, SyntaxError, TypeError, struct.error) as exc:
        raise ModelFileError(f"{path}: array {name!r} has a damaged header ({exc})") from None
    found_shape, fortran_order, found_dtype = found
    if tuple(found_shape) != shape or found_dtype != dtype or fortran_order:
        raise ModelFileError(
            f"{path}: array {name!r} is stored with shape {tuple(found_shape)} and dtype "
            f"{found_dtype}, but the config says shape {shape} and dtype {dtype}")
    return member.tell()
