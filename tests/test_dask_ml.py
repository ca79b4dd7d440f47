"""Issue 12 section 3: numnet's scikit-learn estimators under Dask-ML.

``dask_ml.wrappers.Incremental`` trains block by block through ``partial_fit``
(with ``classes=``), ``ParallelPostFit`` predicts a Dask array block by block, and
scikit-learn's ``GridSearchCV`` fans out under joblib's Dask backend, all against
a real ``distributed.LocalCluster`` with 2 workers.
"""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

pytest.importorskip("sklearn")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
wrappers = pytest.importorskip("dask_ml.wrappers")

import joblib  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from numnet.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

# Short trainings on purpose: what is tested is where and how they run, not convergence.
pytestmark = pytest.mark.filterwarnings("ignore:Stochastic Optimizer. Maximum iterations")


@pytest.fixture(scope="module")
def client():
    # Threads in this process start in a fraction of the time of worker processes; the
    # estimators still travel between the workers as the scheduler decides.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as dask_client:
        yield dask_client


def _blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [3.0, 3.0], [0.0, 3.0]])
    y = rng.integers(0, 3, n)
    return (centres[y] + rng.normal(scale=0.6, size=(n, 2))).astype(np.float32), y


def _classifier():
    return MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.02, random_state=0)


def test_incremental_trains_block_by_block_like_partial_fit(client):
    X, y = _blobs()
    dX, dy = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    wrapped = wrappers.Incremental(_classifier(), scoring="accuracy", shuffle_blocks=False)
    wrapped.fit(dX, dy, classes=[0, 1, 2])
    by_hand = _classifier()
    for start in range(0, 300, 100):  # the same blocks, in order, one partial_fit each
        by_hand.partial_fit(X[start:start + 100], y[start:start + 100], classes=[0, 1, 2])
    for got, expected in zip(wrapped.estimator_.coefs_, by_hand.coefs_):
        assert_allclose(got, expected, rtol=1e-6)
    predicted = wrapped.predict(dX)
    assert isinstance(predicted, da.Array)
    np.testing.assert_array_equal(predicted.compute(), by_hand.predict(X))


def test_parallel_post_fit_predicts_a_dask_array_block_by_block(client):
    X, y = _blobs()
    target = X[:, 0] - 2.0 * X[:, 1]
    wrapped = wrappers.ParallelPostFit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=50,
                                                    random_state=0))
    wrapped.fit(X, target)
    dX = da.from_array(X, chunks=75)
    predicted = wrapped.predict(dX)
    assert isinstance(predicted, da.Array) and predicted.numblocks == (4,)
    assert_allclose(predicted.compute(), wrapped.estimator.predict(X), rtol=1e-5, atol=1e-6)


def test_grid_search_under_joblibs_dask_backend_matches_the_local_search(client):
    X, y = _blobs(200)
    grid = {"hidden_layer_sizes": [(4,), (16,)], "alpha": [1e-4, 1e-1]}
    search = GridSearchCV(MLPClassifier(max_iter=30, random_state=0), grid, cv=2, n_jobs=2)
    with joblib.parallel_backend("dask"):
        search.fit(X, y)
    local = GridSearchCV(MLPClassifier(max_iter=30, random_state=0), grid, cv=2).fit(X, y)
    assert search.best_params_ == local.best_params_
    assert_allclose(search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"])
