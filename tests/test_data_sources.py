"""Data sources (numnet.data): memory maps, CSV, Parquet and generators in fit/evaluate/predict."""
import os
import signal
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest

from numnet import Dense, ReLU, Sequential, Softmax, data
from numnet.exceptions import TrainingDivergedError
from numnet.model.callbacks import Callback, EarlyStopping


def _data(n=600, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X, y


def _model(d=6, seed=0):
    model = Sequential([Dense(d, 16), ReLU(), Dense(16, 2), Softmax()], random_state=seed)
    return model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])


def _memmap(tmp_path, X, name="X.npy"):
    np.save(tmp_path / name, X)
    return np.load(tmp_path / name, mmap_mode="r")


# -- batching ---------------------------------------------------------------
def test_from_arrays_len_and_batch_sizes():
    X, y = _data(103)
    source = data.from_arrays(X, y, batch_size=25)
    assert len(source) == 5
    sizes = [len(b[0]) for b in source.batches(25, False)]
    assert sizes == [25, 25, 25, 25, 3]


def test_shuffled_epoch_visits_every_row_once_and_is_seeded():
    X = np.arange(1000, dtype=np.float32).reshape(-1, 1)
    source = data.from_arrays(X, np.zeros(1000), batch_size=64, buffer_rows=100)
    order = np.concatenate([b[0][:, 0] for b in source.batches(64, True, np.random.default_rng(1))])
    again = np.concatenate([b[0][:, 0] for b in source.batches(64, True, np.random.default_rng(1))])
    assert sorted(order.tolist()) == list(range(1000))
    assert not np.array_equal(order, np.arange(1000))
    np.testing.assert_array_equal(order, again)


def test_source_settings_win_over_fit_arguments():
    X, y = _data(100)
    source = data.from_arrays(X, y, batch_size=10, shuffle=False)
    seen = []

    class Sizes(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)

    _model().fit(source, epochs=1, batch_size=50, verbose=0, callbacks=[Sizes()])
    assert len(seen) == 10


# -- memory maps ------------------------------------------------------------
def test_memmap_fit_matches_array_fit_without_shuffle(tmp_path):
    X, y = _data()
    a, b = _model(), _model()
    a.fit(X, y, epochs=2, shuffle=False, verbose=0)
    b.fit(_memmap(tmp_path, X), y, epochs=2, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    assert a.evaluate(X, y)["loss"] == pytest.approx(b.evaluate(_memmap(tmp_path, X), y)["loss"], rel=1e-5)
    np.testing.assert_allclose(a.predict(X), b.predict(_memmap(tmp_path, X)), rtol=1e-5, atol=1e-6)


def _traced_peak(model, X, y):
    tracemalloc.start()
    model.fit(X, y, epochs=1, batch_size=512, validation_split=0.1, verbose=0)
    model.predict(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memmap_fit_makes_no_full_copy(tmp_path):
    # float64 on disk: a hidden float32 conversion of all of X would allocate half its size at once.
    X = np.random.default_rng(0).normal(size=(120_000, 40))
    y = (X[:, 0] > 0).astype(np.int64)
    Xm = _memmap(tmp_path, X)
    model = _model(40)
    model.fit(Xm[:100], y[:100], epochs=1, verbose=0)  # warm up: build, caches
    half, full = _traced_peak(model, Xm[:60_000], y[:60_000]), _traced_peak(model, Xm, y)
    assert full < X.nbytes / 3, f"peak {full / 1e6:.1f} MB for a {X.nbytes / 1e6:.1f} MB memory map"
    assert full < 1.2 * half + 2e6, f"peak {full / 1e6:.1f} MB on all rows, {half / 1e6:.1f} on half"


def test_memmap_validation_split_keeps_the_last_rows_apart(tmp_path):
    X, y = _data(500)
    history = _model().fit(_memmap(tmp_path, X), y, epochs=1, validation_split=0.2, verbose=0)
    assert "val_loss" in history.history


# -- generators -------------------------------------------------------------
def test_generator_function_is_called_again_every_epoch():
    X, y = _data()
    calls = []

    def batches():
        calls.append(1)
        for i in range(0, len(X), 100):
            yield X[i:i + 100], y[i:i + 100]

    history = _model().fit(batches, epochs=3, verbose=0)
    assert len(calls) >= 3 and len(history.history["loss"]) == 3


def test_generator_object_refused_for_a_second_epoch():
    X, y = _data()
    gen = ((X[i:i + 100], y[i:i + 100]) for i in range(0, len(X), 100))
    with pytest.raises(ValueError, match="generator object.*pass the generator function"):
        _model().fit(data.from_batches(gen), epochs=2, verbose=0)


def test_batches_with_sample_weight_and_unknown_length_show_a_progress_line(capsys):
    X, y = _data()

    def batches():
        for i in range(0, len(X), 200):
            yield X[i:i + 200], y[i:i + 200], np.ones(len(X[i:i + 200]))

    _model().fit(batches, epochs=1, verbose=1)
    assert "Epoch 1/1" in capsys.readouterr().out


def test_inconsistent_widths_are_named():
    X, y = _data()

    def batches():
        yield X[:100], y[:100]
        yield X[100:200, :5], y[100:200]

    with pytest.raises(ValueError, match=r"batch 1 .* X rows of shape \(5,\), but batch 0 had \(6,\)"):
        _model().fit(batches, epochs=1, verbose=0)


def test_inconsistent_label_dtypes_are_named():
    X, y = _data()

    def batches():
        yield X[:100], y[:100]
        yield X[100:200], y[100:200].astype(str)

    with pytest.raises(TypeError, match="batch 1 .* y of dtype kind 'U'.*integers vs text"):
        _model().fit(batches, epochs=1, verbose=0)


def test_labels_outside_the_classes_name_the_batch():
    X, y = _data()

    def batches():
        yield X[:100], y[:100]
        yield X[100:200], y[100:200] + 5

    with pytest.raises(ValueError, match="batch 1 of IterableSource"):
        _model().fit(batches, epochs=1, verbose=0)


def test_source_and_y_together_refused():
    X, y = _data()
    with pytest.raises(ValueError, match="X is a data source.*pass y=None"):
        _model().fit(data.from_arrays(X, y), y, verbose=0)


# -- training behaviour as with arrays --------------------------------------
def test_validation_source_and_early_stopping():
    X, y = _data()
    stop = EarlyStopping(monitor="val_loss", patience=0, min_delta=10.0)
    history = _model().fit(data.from_arrays(X, y), epochs=20, verbose=0, callbacks=[stop],
                           validation_data=data.from_arrays(X[:100], y[:100]))
    assert len(history.history["val_loss"]) < 20


@pytest.mark.filterwarnings("ignore:X has badly scaled features")
def test_divergence_on_a_source_restores_weights_and_raises():
    X, y = _data()
    model = Sequential([Dense(6, 1)], random_state=0).compile(loss="mse", optimizer="sgd")
    model.optimizer.learning_rate = 1e6
    before = model.get_weights()
    with pytest.raises(TrainingDivergedError, match="Training diverged"):
        model.fit(data.from_arrays(X * 1e3, y * 1e3), epochs=5, verbose=0)
    for w0, w1 in zip(before, model.get_weights()):
        np.testing.assert_array_equal(w0, w1)


def test_ctrl_c_stops_a_source_between_batches():
    X, y = _data()

    def batches():
        for i in range(0, len(X), 50):
            if i == 200:
                os.kill(os.getpid(), signal.SIGINT)
            yield X[i:i + 50], y[i:i + 50]

    history = _model().fit(batches, epochs=3, verbose=0)
    assert history.interrupted


# -- CSV --------------------------------------------------------------------
def _write_csv(path, X, y, header=True):
    names = [f"f{j}" for j in range(X.shape[1])] + ["label"]
    with open(path, "w") as handle:
        if header:
            handle.write(",".join(names) + "\n")
        for row, label in zip(X, y):
            handle.write(",".join(f"{v:.6g}" for v in row) + f",{label}\n")


def test_csv_source_reads_in_chunks_and_trains(tmp_path):
    X, y = _data(250)
    _write_csv(tmp_path / "d.csv", X, y)
    source = data.from_csv(tmp_path / "d.csv", target="label", chunk_rows=64, batch_size=50)
    assert len(source) == 5
    rows = np.concatenate([b[0] for b in source.batches(50, False)])
    np.testing.assert_allclose(rows, X, rtol=1e-5)
    a, b = _model(), _model()
    a.fit(source, epochs=2, shuffle=False, verbose=0)
    b.fit(rows, y, epochs=2, batch_size=50, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    assert a.evaluate(source)["loss"] == pytest.approx(b.evaluate(rows, y)["loss"], rel=1e-5)
    np.testing.assert_allclose(a.predict(source), b.predict(rows), rtol=1e-5, atol=1e-6)


def test_csv_text_target_needs_classes(tmp_path):
    X, y = _data(20)
    _write_csv(tmp_path / "d.csv", X, np.array(["no", "yes"])[y])
    with pytest.raises(ValueError, match="'label' .* holds text .*pass classes="):
        data.from_csv(tmp_path / "d.csv", target="label").peek()
    source = data.from_csv(tmp_path / "d.csv", target="label", classes=["no", "yes"])
    np.testing.assert_array_equal(source.peek()[1], y)


def test_csv_errors_name_the_file_line_and_column(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="empty.csv is empty"):
        data.from_csv(tmp_path / "empty.csv", target="label")
    (tmp_path / "bad.csv").write_text("a,label\n1,0\nabc,1\n")
    with pytest.raises(ValueError, match=r"line 3, column 'a': 'abc' is not a number"):
        data.from_csv(tmp_path / "bad.csv", target="label").peek()
    with pytest.raises(ValueError, match="has no column 'price' .*target.*'a', 'label'"):
        data.from_csv(tmp_path / "bad.csv", target="price")
    (tmp_path / "head.csv").write_text("a,label\n")
    with pytest.raises(ValueError, match="yielded no rows"):
        _model(1).fit(data.from_csv(tmp_path / "head.csv", target="label"), verbose=0)


# -- Parquet ----------------------------------------------------------------
def _write_parquet(path, X, y, row_group_size=None, target="label"):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({**{f"f{j}": X[:, j] for j in range(X.shape[1])}, target: y})
    pq.write_table(table, path, row_group_size=row_group_size)


def test_parquet_directory_of_parts_shuffled_by_row_group(tmp_path):
    X, y = _data(400)
    parts = tmp_path / "parts"
    parts.mkdir()
    for k in range(4):
        _write_parquet(parts / f"part-{k}.parquet", X[k * 100:(k + 1) * 100], y[k * 100:(k + 1) * 100],
                       row_group_size=25)
    source = data.from_parquet(parts, target="label", batch_size=32, shuffle=True, random_state=0)
    assert len(source) == 13
    seen = np.concatenate([b[0] for b in source.batches(32, True, np.random.default_rng(0))])
    np.testing.assert_array_equal(np.sort(seen[:, 0]), np.sort(X[:, 0]))
    model = _model()
    model.fit(source, epochs=3, verbose=0, validation_data=data.from_parquet(parts, target="label"))
    assert model.history.history["val_accuracy"][-1] > 0.6


def test_parquet_without_the_target_column(tmp_path):
    X, y = _data(10)
    _write_parquet(tmp_path / "d.parquet", X, y, target="class")
    with pytest.raises(ValueError, match="has no column 'label' .*target.*'f0'"):
        data.from_parquet(tmp_path / "d.parquet", target="label")


def test_parquet_part_without_a_column_is_named(tmp_path):
    X, y = _data(10)
    (tmp_path / "p").mkdir()
    _write_parquet(tmp_path / "p" / "a.parquet", X, y)
    _write_parquet(tmp_path / "p" / "b.parquet", X[:, :5], y)
    with pytest.raises(ValueError, match="b.parquet has no column 'f5'"):
        data.from_parquet(tmp_path / "p", target="label")


def test_empty_directory_refused(tmp_path):
    with pytest.raises(ValueError, match="holds no Parquet files"):
        data.from_parquet(tmp_path, target="label")


# -- memory: bounded by batch and buffer, not by the file --------------------
_RSS_SCRIPT = textwrap.dedent("""
    import sys
    from numnet import Dense, Sequential, data
    kind, path = sys.argv[1], sys.argv[2]
    options = dict(target="label", batch_size=256, shuffle=True, random_state=0, buffer_rows=1000)
    source = (data.from_parquet(path, read_rows=500, **options) if kind == "parquet"
              else data.from_csv(path, chunk_rows=500, **options))
    model = Sequential([Dense(len(source.features), 1)], random_state=0).compile(loss="mse")
    model.fit(data.from_batches([source.peek()]), verbose=0)  # warm up: imports, first buffers
    def kib(field):
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field))
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # Linux: reset the peak (VmHWM) to the resident size now
    before = kib("VmRSS:")
    model.fit(source, epochs=1, verbose=0)
    print((kib("VmHWM:") - before) * 1024)
""")


def _big_file(tmp_path, kind):
    """A file of about 20 MB: 100 float32 columns in Parquet, 50 columns of text in CSV.

    (W3-wide rows, 784 columns, are measured in bench/streaming.py: writing them is slow.)
    """
    rng = np.random.default_rng(0)
    if kind == "parquet":
        X = rng.normal(size=(40_000, 100)).astype(np.float32)
        path = tmp_path / "big.parquet"
        _write_parquet(path, X, X[:, 0], row_group_size=4_000)
        return path
    block = rng.normal(size=(1_000, 50))
    text = "\n".join(",".join(f"{v:.5f}" for v in row) for row in block) + "\n"
    path = tmp_path / "big.csv"
    with open(path, "w") as handle:  # the same 1,000 rows over and over: fast to write
        handle.write(",".join(f"f{j}" for j in range(49)) + ",label\n")
        for _ in range(45):
            handle.write(text)
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="resets the peak RSS in /proc/self")
@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_peak_memory_is_bounded_by_buffers_not_by_the_file(tmp_path, kind):
    path = _big_file(tmp_path, kind)
    size = os.path.getsize(path)
    out = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, kind, str(path)], capture_output=True,
                         text=True, check=True)
    growth = int(out.stdout.split()[-1])
    print(f"{kind}: peak RSS growth {growth / 1e6:.1f} MB, file {size / 1e6:.1f} MB")
    # Buffers here: 1,000 rows of shuffle buffer and 500-row reads, a few MB; the file is ~20 MB.
    assert growth < size / 3, f"peak RSS grew {growth / 1e6:.1f} MB on a {size / 1e6:.1f} MB file"


def test_prefetch_keeps_order_and_raises_the_readers_error():
    from numnet.data.prefetch import prefetch

    assert list(prefetch(iter(range(10)))) == list(range(10))

    def broken():
        yield 1
        raise ValueError("bad chunk")

    reader = prefetch(broken())
    assert next(reader) == 1
    with pytest.raises(ValueError, match="bad chunk"):
        next(reader)


def test_prefetching_source_gives_the_same_batches(tmp_path):
    X, y = _data(300)
    _write_parquet(tmp_path / "d.parquet", X, y, row_group_size=64)
    plain = data.from_parquet(tmp_path / "d.parquet", target="label", read_rows=50)
    ahead = data.from_parquet(tmp_path / "d.parquet", target="label", read_rows=50)
    ahead.prefetch = True
    rng = np.random.default_rng
    for a, b in zip(plain.batches(32, True, rng(0)), ahead.batches(32, True, rng(0))):
        np.testing.assert_array_equal(a[0], b[0])
