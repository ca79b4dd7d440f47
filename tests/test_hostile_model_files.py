"""Hostile model files: no allocation or read that the file does not justify.

Files that lie about their sizes (in the zip's directory or in the config's
list of arrays), compressed bombs, devices, named pipes and folders are
refused with ModelFileError before anything large is allocated or read;
paths may be str, bytes or os.PathLike; saving names the target in its
errors and leaves no temporary file behind, even on SIGTERM.
"""
import io
import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import threading
import zipfile

import numpy as np
import pytest

from numnet import Adam, Dense, ModelFileError, ReLU, Sequential, Softmax
from numnet.io import load_model, save_model

GiB = 2**30
REPO = pathlib.Path(__file__).resolve().parents[1]
posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX files and signals")


# -- helpers ------------------------------------------------------------------------------
def small_model():
    model = Sequential([Dense(3, 5, random_state=0), ReLU(), Dense(5, 2, random_state=1),
                        Softmax()])
    model.compile(optimizer=Adam(0.01))
    return model


@pytest.fixture()
def good_file(tmp_path):
    path = tmp_path / "good.numnet"
    save_model(small_model(), path)
    return path


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_members(path, members, claims=None, compression=zipfile.ZIP_STORED):
    """Write ``members``; ``claims`` maps a member to the size the zip's directory will claim."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name, size in (claims or {}).items():
            # the local header keeps the true size; the directory, which readers trust, lies
            info = archive.getinfo(name)
            info.file_size = info.compress_size = size


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def claim_array(path, shape, dtype="<f4", data=None, claims=None):
    """Make the config list array 0 with ``shape``; its member gets ``data`` (or a tiny array)."""
    members = members_of(path)
    config = json.loads(members["config.json"])
    name, entry = next(iter(config["arrays"].items()))
    entry.update(shape=shape, dtype=dtype)
    members["config.json"] = json.dumps(config)
    members[entry["member"]] = npy_bytes(np.zeros(2, np.float32)) if data is None else data
    write_members(path, members, claims)
    return entry["member"]


def expect_error(path, pattern, load=load_model):
    with pytest.raises(ModelFileError, match=pattern):
        load(path)


def returns_promptly(function, seconds=20):
    """Run ``function`` in a thread; fail (not hang) if it has not returned after ``seconds``."""
    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    return thread, outcome


# -- sizes the file claims --------------------------------------------------------------------
@pytest.mark.parametrize("shape", [[2**28], [2**32], [2**16, 2**16, 4]],
                         ids=["1GiB", "16GiB", "64GiB"])
def test_a_config_claiming_huge_arrays_is_refused_against_the_file_size(good_file, shape):
    claim_array(good_file, shape)
    expect_error(good_file, r"claims arrays of \d+ bytes in all, but the file holds only \d+")


@pytest.mark.parametrize("claim", [GiB, 16 * GiB], ids=["1GiB", "16GiB"])
def test_a_zip_directory_claiming_a_huge_member_is_refused_before_reading(good_file, claim):
    members = members_of(good_file)
    write_members(good_file, members, claims={"arrays/0.npy": claim})
    expect_error(good_file, rf"member arrays/0.npy claims {claim} bytes .* room for only \d+")


def test_the_1gib_claim_that_allocated_1gb_is_refused_with_both_claims_agreeing(good_file):
    # config and zip directory both say 1 GiB; the member really holds 136 bytes
    member = claim_array(good_file, [2**28])
    members = members_of(good_file)
    write_members(good_file, members, claims={member: GiB + 128})
    expect_error(good_file, "claims")


def test_a_member_whose_directory_size_disagrees_with_its_stored_size(good_file):
    members = members_of(good_file)
    size = len(members["arrays/1.npy"])
    with zipfile.ZipFile(good_file, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.getinfo("arrays/1.npy").file_size = size + 8  # compress_size stays true
    expect_error(good_file, rf"arrays/1.npy claims {size + 8} bytes \({size} stored\)")


def test_a_config_member_claiming_more_than_the_file_holds(good_file):
    write_members(good_file, members_of(good_file), claims={"config.json": 60 * 2**20})
    expect_error(good_file, "member config.json claims 62914560 bytes")


@pytest.mark.parametrize("shape, pattern", [
    ([-1, 4], "invalid shape"),
    ([2**62, -2**62], "invalid shape"),
    ([4.0], "invalid shape"),
    ([0, 2**62], "no array can have"),
    ([2**40, 2**40, 0], "no array can have"),
    ([1] * 40, "no array can have"),
])
def test_negative_fractional_and_impossible_shapes(good_file, shape, pattern):
    claim_array(good_file, shape)
    expect_error(good_file, pattern)


def test_an_empty_array_with_a_large_zero_extent_is_only_a_model_mismatch(good_file):
    claim_array(good_file, [0, 2**20], data=npy_bytes(np.zeros((0, 2**20), np.float32)))
    expect_error(good_file, "has shape|needs")


def test_a_header_that_agrees_with_the_config_but_data_cut_short(good_file):
    header = npy_bytes(np.zeros((4, 8), np.float32))[:-128]
    claim_array(good_file, [4, 8], data=header + b"\0" * 10)
    expect_error(good_file,
                 r"holds 10 bytes of data, but shape \(4, 8\) and dtype float32 need 128")


def test_a_header_whose_dtype_disagrees_with_the_member_size(good_file):
    claim_array(good_file, [2], dtype="<f8", data=npy_bytes(np.zeros(2, np.float32)))
    expect_error(good_file, "stored with shape .* float32, but the config says .* float64")


def test_many_members_claiming_large_arrays(good_file):
    members = members_of(good_file)
    config = json.loads(members["config.json"])
    for i in range(2000):
        member = f"arrays/{100 + i}.npy"
        config["arrays"][f"params/ghost{i}/w"] = {"member": member, "shape": [2**20],
                                                  "dtype": "<f8"}
        members[member] = npy_bytes(np.zeros(1))
    members["config.json"] = json.dumps(config)
    write_members(good_file, members)
    expect_error(good_file, "claims arrays of .* in all")


def test_many_small_members_load_in_bounded_memory_and_are_refused(good_file):
    members = members_of(good_file)
    config = json.loads(members["config.json"])
    for i in range(3000):
        member = f"arrays/{100 + i}.npy"
        config["arrays"][f"params/ghost{i}/w"] = {"member": member, "shape": [], "dtype": "<f4"}
        members[member] = npy_bytes(np.float32(i))
    members["config.json"] = json.dumps(config)
    write_members(good_file, members)
    expect_error(good_file, "unexpected")


def test_many_layers_each_under_the_allowance_cannot_add_up(good_file):
    members = members_of(good_file)
    config = json.loads(members["config.json"])
    dense = {"class_name": "Dense", "config": {"n_inputs": 1000, "n_neurons": 1000}}
    config["model"]["layers"] = [json.loads(json.dumps(dense)) for _ in range(200)]
    for i, layer in enumerate(config["model"]["layers"]):
        layer["config"]["name"] = f"big{i}"  # 200 x 4 MB of float32 if built
    config["model"]["n_features"] = 1000
    members["config.json"] = json.dumps(config)
    write_members(good_file, members)
    expect_error(good_file, r"layer 'big1' .* beyond the 1048576 allowed")


def test_members_that_share_their_bytes_are_refused(good_file):
    data = bytearray(good_file.read_bytes())
    with zipfile.ZipFile(good_file) as archive:
        first, second = archive.getinfo("arrays/0.npy"), archive.getinfo("arrays/1.npy")
        directory = archive.start_dir
    # point arrays/1.npy's directory entry at arrays/0.npy's bytes
    entry = data.index(b"PK\x01\x02", directory)
    while data[entry + 46:entry + 46 + len(b"arrays/1.npy")] != b"arrays/1.npy":
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 42:entry + 46] = first.header_offset.to_bytes(4, "little")
    assert second.header_offset != first.header_offset
    good_file.write_bytes(bytes(data))
    expect_error(good_file, "share the same bytes|damaged")


# -- compressed members --------------------------------------------------------------------
def test_a_compressed_bomb_is_refused_without_inflating_it(good_file):
    members = members_of(good_file)
    with zipfile.ZipFile(good_file, "w") as archive:
        for name, data in members.items():
            if name != "arrays/0.npy":
                archive.writestr(name, data)
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w") as member:  # 16 MiB of zeros in about 16 KB
                member.write(data)
                for _ in range(16):
                    member.write(bytes(2**20))
        archive.getinfo("arrays/0.npy").file_size = GiB  # and the directory claims 1 GiB
    assert good_file.stat().st_size < 100_000
    expect_error(good_file, "member arrays/0.npy is compressed")


def test_a_compressed_config_bomb_is_refused(good_file):
    members = members_of(good_file)
    members["config.json"] = members["config.json"] + b" " * (8 * 2**20)
    write_members(good_file, members, compression=zipfile.ZIP_DEFLATED)
    expect_error(good_file, "config.json is compressed")


# -- what is not a regular file ---------------------------------------------------------------
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("linked", [False, True], ids=["device", "symlink"])
def test_dev_zero_and_a_link_to_it_are_refused_at_once(tmp_path, linked):
    path = "/dev/zero"
    if linked:
        path = tmp_path / "model.numnet"
        os.symlink("/dev/zero", path)
    thread, outcome = returns_promptly(lambda: load_model(path))
    assert not thread.is_alive(), "load_model kept reading /dev/zero"
    assert isinstance(outcome.get("error"), ModelFileError)
    assert "is a character device, not a regular file" in str(outcome["error"])
    if linked:
        assert "a link to /dev/zero" in str(outcome["error"])


@posix_only
def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    path = tmp_path / "model.numnet"
    os.mkfifo(path)
    thread, outcome = returns_promptly(lambda: load_model(path), seconds=10)
    if thread.is_alive():  # a regression: free the blocked open, then fail
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("load_model blocked on a named pipe")
    assert isinstance(outcome.get("error"), ModelFileError)
    assert "is a named pipe (FIFO), not a regular file" in str(outcome["error"])


def test_a_folder_and_a_broken_link(tmp_path):
    expect_error(tmp_path, "is a folder, not a model file")
    if hasattr(os, "symlink"):
        os.symlink(tmp_path / "gone.numnet", tmp_path / "link.numnet")
        expect_error(tmp_path / "link.numnet", "does not exist .a link whose target is missing")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_estimator_files_get_the_same_protections(tmp_path, good_file):
    pytest.importorskip("sklearn")
    from numnet.sklearn import load_estimator

    thread, outcome = returns_promptly(lambda: load_estimator("/dev/zero"))
    assert not thread.is_alive() and isinstance(outcome.get("error"), ModelFileError)
    members = members_of(good_file)
    config = json.loads(members["config.json"])
    config["format"] = "numnet.sklearn"
    members["config.json"] = json.dumps(config)
    write_members(good_file, members, claims={"arrays/0.npy": 16 * GiB})
    expect_error(good_file, "claims 17179869184 bytes", load=load_estimator)


def test_an_estimator_config_array_cannot_blow_up_through_its_dtype(tmp_path):
    pytest.importorskip("sklearn")
    from numnet.sklearn.persistence import _from_json

    small = {"__array__": ["cat", "dog", "a much longer class name"], "dtype": "<U24"}
    assert list(_from_json(small, "f")) == small["__array__"]
    with pytest.raises(ModelFileError, match=r"10000 values of dtype <U999 .* 39960000 bytes"):
        _from_json({"__array__": [""] * 10_000, "dtype": "<U999"}, "f")
    with pytest.raises(ModelFileError, match="far more than its text justifies"):
        _from_json({"__array__": ["x" * 5000] + [""] * 5000, "dtype": "<U"}, "f")


# -- paths of every kind ----------------------------------------------------------------------
class Where(os.PathLike):
    def __init__(self, path):
        self.path = path

    def __fspath__(self):
        return self.path


@pytest.mark.parametrize("kind", [str, bytes, pathlib.Path, Where])
def test_save_and_load_accept_str_bytes_and_pathlike(tmp_path, kind):
    text = str(tmp_path / "model.numnet")
    path = os.fsencode(text) if kind is bytes else kind(text)
    model = small_model()
    save_model(model, path)
    X = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(load_model(path).predict(X), model.predict(X))
    model.save(path)  # the method takes the same paths


@pytest.mark.parametrize("bad", [io.BytesIO(b"PK"), 42, None, ["m.numnet"]])
def test_other_path_types_are_a_clear_type_error(tmp_path, bad):
    with pytest.raises(TypeError, match=r"path must be a file path \(str, bytes or os.PathLike\), "
                                        rf"got {type(bad).__name__}"):
        load_model(bad)
    with pytest.raises(TypeError, match="path must be a file path"):
        save_model(small_model(), bad)
    assert os.listdir(tmp_path) == []


def test_a_path_with_a_nul_character(tmp_path):
    with pytest.raises(ValueError, match="contains a NUL character"):
        load_model(str(tmp_path) + "/a\0b.numnet")


# -- saving -----------------------------------------------------------------------------------
def test_saving_into_a_missing_folder_names_the_target(tmp_path):
    target = tmp_path / "x" / "y.numnet"
    with pytest.raises(FileNotFoundError) as info:
        save_model(small_model(), target)
    message = str(info.value)
    assert f"cannot save to '{target}': folder '{tmp_path / 'x'}' does not exist" in message
    assert ".tmp" not in message


def test_saving_onto_a_folder_or_below_a_file_names_the_target(tmp_path):
    with pytest.raises(IsADirectoryError, match=rf"cannot save to '{tmp_path}': it is a folder"):
        save_model(small_model(), tmp_path)
    (tmp_path / "plain").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"folder '.*plain' is a file, not a folder"):
        save_model(small_model(), tmp_path / "plain" / "m.numnet")
    assert sorted(os.listdir(tmp_path)) == ["plain"]


@posix_only
def test_saving_onto_a_named_pipe_is_refused_and_leaves_it(tmp_path):
    target = tmp_path / "pipe.numnet"
    os.mkfifo(target)
    with pytest.raises(OSError, match="it is a named pipe .FIFO., not a regular file"):
        save_model(small_model(), target)
    assert os.listdir(tmp_path) == ["pipe.numnet"] and not target.is_file()


def test_saving_into_a_read_only_folder_names_the_target(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running with rights that ignore folder permissions")
        with pytest.raises(PermissionError, match=r"cannot save to '.*m.numnet': cannot create"):
            save_model(small_model(), folder / "m.numnet")
    finally:
        folder.chmod(0o700)


SAVE_SCRIPT = """
import os, signal, sys
import numpy as np
from numnet import Dense, Sequential
from numnet.io import archive, save_model

model = Sequential([Dense(1000, 1000, random_state=0), Dense(1000, 1000, random_state=1)])
target = sys.argv[1]
if sys.argv[2] == "mid-write":  # SIGTERM exactly while the second array is written
    real_save, calls = np.save, []
    def save_then_terminate(file, array, allow_pickle=True):
        calls.append(1)
        real_save(file, array, allow_pickle=allow_pickle)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
    archive.np.save = save_then_terminate
    save_model(model, target)
    print("not terminated", flush=True)
else:  # save in a loop until the parent sends SIGTERM
    save_model(model, target)
    print("saved", flush=True)
    while True:
        save_model(model, target)
"""


def run_saver(tmp_path, mode):
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(SAVE_SCRIPT),
                             str(tmp_path / "model.numnet"), mode], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")})


@posix_only
def test_sigterm_while_writing_removes_the_temporary_file(tmp_path):
    process = run_saver(tmp_path, "mid-write")
    out, _ = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGTERM, out
    assert os.listdir(tmp_path) == []  # no .tmp, and no half-written target


@posix_only
def test_sigterm_during_a_loop_of_saves_leaves_no_temporary_file(tmp_path):
    process = run_saver(tmp_path, "loop")
    assert process.stdout.readline().strip() == "saved"
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=120)
    assert process.returncode == -signal.SIGTERM
    assert os.listdir(tmp_path) == ["model.numnet"]
    assert load_model(tmp_path / "model.numnet").n_params == 2 * (1000 * 1000 + 1000)


def test_a_save_on_another_thread_leaves_sigterm_alone(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=save_model, args=(small_model(), tmp_path / "m.numnet"))
    thread.start()
    thread.join()
    save_model(small_model(), tmp_path / "n.numnet")
    assert signal.getsignal(signal.SIGTERM) is before
    assert sorted(os.listdir(tmp_path)) == ["m.numnet", "n.numnet"]


# -- memory --------------------------------------------------------------------------------------
MEMORY_SCRIPT = """
import resource, sys
from numnet import ModelFileError
from numnet.io import load_model

def peak_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10

load_model(sys.argv[1])  # warm: imports and one ordinary load
baseline = peak_mb()
for path in sys.argv[2:]:
    try:
        load_model(path)
    except ModelFileError:
        pass
print(peak_mb() - baseline)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="needs the resource module")
def test_loading_files_that_claim_1gib_stays_small_in_memory(tmp_path):
    good = tmp_path / "good.numnet"
    save_model(small_model(), good)
    hostile = []
    for i, (shape, claim) in enumerate([([2**28], None), ([2**28], GiB + 128), ([2], GiB),
                                        ([2], 16 * GiB)]):
        path = tmp_path / f"hostile{i}.numnet"
        path.write_bytes(good.read_bytes())
        member = claim_array(path, shape)
        if claim is not None:
            write_members(path, members_of(path), claims={member: claim})
        assert path.stat().st_size < 4096
        hostile.append(str(path))
    result = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(good), *hostile],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert result.returncode == 0, result.stderr
    grown_mb = float(result.stdout)
    print(f"\npeak memory growth while refusing 4 files claiming 1-16 GiB: {grown_mb:.1f} MB")
    assert grown_mb < 100
