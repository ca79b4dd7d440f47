"""Sequential.fit/evaluate/predict on dask.array inputs, block by block, on a real LocalCluster."""
import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from numnet import Dense, ReLU, Sequential, Softmax  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


def _data(n=1200, d=5):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
    return X, y


def _model(d=5):
    model = Sequential([Dense(d, 16), ReLU(), Dense(16, 2), Softmax()], random_state=0)
    return model.compile(metrics=["accuracy"])


class _NoWholeCompute:
    """Fails the test if anything computes the whole Dask array at once."""

    def __init__(self, X):
        self.X = X

    def __enter__(self):
        def refuse(*args, **kwargs):
            raise AssertionError("the whole Dask array was computed")
        self.saved = type(self.X).compute
        type(self.X).compute = refuse
        return self

    def __exit__(self, *exc):
        type(self.X).compute = self.saved
        return False


def test_fit_on_dask_matches_numpy_without_shuffle(client):
    X, y = _data()
    Xd, yd = da.from_array(X, chunks=(300, 5)), da.from_array(y, chunks=250)  # unaligned y chunks
    a, b = _model(), _model()
    a.fit(X, y, epochs=1, shuffle=False, verbose=0)
    with _NoWholeCompute(Xd):
        b.fit(Xd, yd, epochs=1, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_fit_shuffled_with_validation_and_numpy_labels(client):
    X, y = _data()
    Xd = da.from_array(X, chunks=(400, 5))
    model = _model()
    history = model.fit(Xd, y, epochs=3, verbose=0, random_state=0,
                        validation_data=(da.from_array(X[:200], chunks=100), y[:200]))
    assert history.history["val_accuracy"][-1] > 0.7


def test_predict_on_dask_returns_a_lazy_dask_array(client):
    X, y = _data()
    model = _model()
    model.fit(X, y, epochs=1, verbose=0)
    Xd = da.from_array(X, chunks=(400, 2))  # columns split across blocks too
    out = model.predict(Xd)
    assert isinstance(out, da.Array) and out.shape == (1200, 2) and out.numblocks == (3, 1)
    np.testing.assert_allclose(out.compute(), model.predict(X), rtol=1e-5, atol=1e-6)


def test_evaluate_on_dask_matches_numpy(client):
    X, y = _data()
    model = _model()
    model.fit(X, y, epochs=1, verbose=0)
    Xd, yd = da.from_array(X, chunks=(500, 5)), da.from_array(y, chunks=500)
    expected = model.evaluate(X, y)
    got = model.evaluate(Xd, yd)
    assert got["loss"] == pytest.approx(expected["loss"], rel=1e-5)
    assert got["accuracy"] == pytest.approx(expected["accuracy"])


def test_dask_width_and_length_errors(client):
    X, y = _data()
    model = _model()
    model.fit(X, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="X has 4 features, but this model was built for 5"):
        model.predict(da.from_array(X[:, :4], chunks=(400, 4)))
    with pytest.raises(ValueError, match="X has 1200 samples but y has 1000"):
        model.fit(da.from_array(X, chunks=(400, 5)), y[:1000], verbose=0)
