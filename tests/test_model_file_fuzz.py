"""Fuzz test: damaged model files either load to the identical model or raise ModelFileError.

2,000 random mutations (bytes overwritten, bits flipped, files cut short) of a
small valid model file. No other exception may escape, and no load may hang.
Then 150 random size claims (in the zip's directory or the config's shapes):
each is refused without allocating more than the file justifies.
"""
import io
import json
import signal
import tracemalloc
import zipfile
from contextlib import contextmanager

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from numnet import Adam, BatchNorm, Dense, ModelFileError, ReLU, Sequential, Softmax
from numnet.io import load_model, save_model

N_CASES = 2000
N_CLAIMS = 150
MAX_TRACED_BYTES = 16 * 2**20  # per load of a file of a few KB
SECONDS_PER_LOAD = 5


@contextmanager
def time_limit(seconds):
    """Raise TimeoutError if the block runs longer than ``seconds`` (a hang)."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"loading took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def mutate(data: bytes, rng) -> bytes:
    """One random mutation: overwrite 1-4 bytes, flip one bit, or truncate."""
    kind = rng.integers(3)
    if kind == 2:
        return data[:rng.integers(len(data))]
    buffer = bytearray(data)
    if kind == 1:
        i = rng.integers(len(buffer))
        buffer[i] ^= 1 << int(rng.integers(8))
        return bytes(buffer)
    for i in rng.integers(len(buffer), size=rng.integers(1, 5)):
        buffer[i] = (buffer[i] + rng.integers(1, 256)) % 256  # always a different value
    return bytes(buffer)


def assert_identical(model, reference, X):
    assert model.get_config() == reference.get_config()
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True):
        assert a.dtype == b.dtype
        assert_array_equal(a, b)
    state_a, state_b = model.optimizer.get_state(), reference.optimizer.get_state()
    assert state_a.keys() == state_b.keys()
    for key in state_a:
        assert_array_equal(state_a[key], state_b[key])
    assert model.metadata == reference.metadata
    assert model.preprocessing == reference.preprocessing
    assert_array_equal(model.predict(X), reference.predict(X))


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX timers")
def test_random_mutations_load_identically_or_raise_model_file_error(tmp_path):
    rng = np.random.default_rng(2024)
    X = rng.normal(size=(32, 3)).astype(np.float32)
    model = Sequential([Dense(3, 6, random_state=0), BatchNorm(), ReLU(),
                        Dense(6, 2, random_state=1), Softmax()])
    model.compile(optimizer=Adam(0.01))
    model.fit(X, (X[:, 0] > 0).astype(int), epochs=2, batch_size=8, verbose=0, random_state=0)
    original = tmp_path / "original.numnet"
    save_model(model, original, preprocessing={"classes": ["a", "b"]})
    reference = load_model(original)
    data = original.read_bytes()
    path = tmp_path / "mutated.numnet"
    counts = {"identical": 0, "ModelFileError": 0}
    for case in range(N_CASES):
        mutated = mutate(data, rng)
        path.write_bytes(mutated)
        try:
            with time_limit(SECONDS_PER_LOAD):
                loaded = load_model(path)
        except ModelFileError:
            counts["ModelFileError"] += 1
            continue
        except Exception as exc:  # the test's whole point: nothing else may escape
            pytest.fail(f"case {case}: {type(exc).__name__}: {exc}")
        assert_identical(loaded, reference, X)
        counts["identical"] += 1
    print(f"\nfuzz: {N_CASES} mutations of a {len(data)}-byte file: {counts}")
    assert sum(counts.values()) == N_CASES
    assert counts["ModelFileError"] > N_CASES // 2  # most mutations hit checked bytes


CLAIMED_SIZES = (0, 1, 2**20, 2**30, 2**31 - 1, 2**32 - 1, 2**34, 2**40, 2**63 - 1)
CLAIMED_SHAPES = ([2**28], [2**32], [2**20, 2**20], [0, 2**62], [-5], [1] * 40, [2**61, 8], [])


def claim_mutation(data: bytes, rng) -> bytes:
    """Rewrite one member's size in the zip directory, or one array's shape in the config."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    names = sorted(members)
    if rng.integers(2):
        config = json.loads(members["config.json"])
        entry = config["arrays"][sorted(config["arrays"])[rng.integers(len(config["arrays"]))]]
        entry["shape"] = CLAIMED_SHAPES[rng.integers(len(CLAIMED_SHAPES))]
        members["config.json"] = json.dumps(config).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in members.items():
            archive.writestr(name, value)
        info = archive.getinfo(names[rng.integers(len(names))])
        claim = int(CLAIMED_SIZES[rng.integers(len(CLAIMED_SIZES))]) + int(rng.integers(-2, 3))
        info.file_size = max(claim, 0)
        if rng.integers(2):  # a stored member: both sizes agree, or only one of them lies
            info.compress_size = info.file_size
    return buffer.getvalue()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX timers")
def test_random_size_claims_are_refused_within_bounded_memory(tmp_path):
    rng = np.random.default_rng(7)
    model = Sequential([Dense(3, 6, random_state=0), ReLU(), Dense(6, 2, random_state=1),
                        Softmax()])
    model.compile(optimizer=Adam(0.01))
    original = tmp_path / "original.numnet"
    save_model(model, original)
    data = original.read_bytes()
    path = tmp_path / "claims.numnet"
    peaks = []
    tracemalloc.start()  # NumPy reports its array buffers to tracemalloc too
    try:
        for case in range(N_CLAIMS):
            path.write_bytes(claim_mutation(data, rng))
            tracemalloc.reset_peak()
            with time_limit(SECONDS_PER_LOAD), pytest.raises(ModelFileError):
                load_model(path)
            peaks.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()
    print(f"\nsize claims: {N_CLAIMS} files of ~{len(data)} bytes, largest traced peak "
          f"{max(peaks) / 2**20:.2f} MiB")
    assert max(peaks) < MAX_TRACED_BYTES
