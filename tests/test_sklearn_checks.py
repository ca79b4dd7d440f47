"""scikit-learn's own estimator checks, run on both drop-ins."""
import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from numnet.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

# The checks train for the default max_iter on tiny data; not converging there is expected.
pytestmark = [pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
              pytest.mark.usefixtures("one_blas_thread")]


ESTIMATORS = [
    MLPClassifier(),
    MLPRegressor(),
    MLPClassifier(solver="lbfgs"),
    MLPRegressor(solver="sgd"),
    MLPClassifier(hidden_layer_sizes=(50, 20), activation=["tanh", "relu"], dropout=0.2,
                  batch_norm=True),
    MLPRegressor(loss="absolute_error", dropout=0.1, batch_norm=True),
]


def _expected_failures(estimator):
    reasons = {}
    if estimator.batch_norm or estimator.dropout:
        why = ("weighting a sample by k is not repeating it k times here: "
               + ("batch normalisation uses the unweighted mean and variance of each batch, "
                  "which repeated rows shift and weights do not" if estimator.batch_norm else
                  "dropout draws one mask per row, so k copies average k masks"))
        reasons["check_sample_weight_equivalence_on_dense_data"] = why
        reasons["check_sample_weight_equivalence_on_sparse_data"] = why
    if isinstance(estimator, MLPClassifier) and estimator.solver == "lbfgs":
        reasons["check_classifiers_multilabel_output_format_predict_proba"] = (
            "L-BFGS fits the check's separable training labels until some logits pass ~37, "
            "where a float64 sigmoid rounds to exactly 1.0 and the check's strict `< 1` fails; "
            "scikit-learn's own MLPClassifier(solver='lbfgs') fails it the same way")
    return reasons


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_pandas_is_installed_so_the_dataframe_checks_run():
    # Without pandas, scikit-learn's checks skip their DataFrame and Series cases silently.
    import pandas  # noqa: F401


@pytest.mark.parametrize("estimator", [MLPClassifier(), MLPRegressor()], ids=repr)
def test_dataframe_column_names_consistency(estimator):
    # Not yielded by parametrize_with_checks in every scikit-learn version; run it explicitly.
    from sklearn.utils.estimator_checks import check_dataframe_column_names_consistency

    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)
