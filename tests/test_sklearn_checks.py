"""scikit-learn's own estimator checks, run on both drop-ins."""
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("pandas")  # so that the DataFrame checks run instead of skipping

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from numnet.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # Multi-threaded float64 BLAS on tiny matrices is slower than one thread on some machines.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", [MLPClassifier(), MLPRegressor()], ids=repr)
def test_dataframe_column_names_consistency(estimator):
    # Not yielded by parametrize_with_checks in every scikit-learn version; run it explicitly.
    from sklearn.utils.estimator_checks import check_dataframe_column_names_consistency

    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)
