"""Fixtures shared by several test files (pytest finds this file by name)."""
import pytest


@pytest.fixture
def one_blas_thread():
    """Run the test with one BLAS thread.

    Multi-threaded float64 BLAS on the small matrices of the scikit-learn tests is
    slower than one thread on some machines; one thread keeps those files fast and
    steady. Use it with ``pytestmark = pytest.mark.usefixtures("one_blas_thread")``.
    """
    threadpoolctl = pytest.importorskip("threadpoolctl", reason='pip install ".[dev]" brings threadpoolctl')
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield
