"""Pictures of a network and its training, drawn with matplotlib (``pip install ".[plot]"``).

Every function computes what it shows once, draws it on an optional
matplotlib ``ax`` (or makes a new figure), and returns a small *display*
object holding what it drew, so that a test or a notebook can check it:

- :func:`network`: the neurons, their connections and activations;
- :func:`history`: loss and metric curves of ``fit``;
- :func:`decision_boundary`: class regions of a 2-feature classifier;
- :func:`confusion_matrix` and :func:`predicted_vs_actual`: results on data;
- :func:`weights`: histograms of weights and gradients, and :func:`diagnose`,
  a text report on dead ReLUs, saturated units and gradient norms;
- :class:`LiveHistory`: a ``fit`` callback that redraws the curves (and the
  decision boundary) in place, in a notebook, a window or a file.

The display objects have one-line reprs (numbers and shapes), so a notebook
shows the figure, not a dump of arrays, under a cell.

The core of numnet never imports this package, so ``import numnet`` needs
only NumPy.
"""
try:
    import matplotlib  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "numnet.plot draws with matplotlib, which is not installed; install it with "
        "`pip install \".[plot]\"` (or `pip install matplotlib`)"
    ) from exc

from numnet.plot.boundary import BoundaryDisplay, decision_boundary
from numnet.plot.curves import HistoryDisplay, history
from numnet.plot.diagnosis import Diagnosis, diagnose
from numnet.plot.diagram import NetworkDisplay, network
from numnet.plot.live import LiveHistory
from numnet.plot.evaluation import (ConfusionMatrixDisplay, PredictionDisplay, confusion_matrix,
                                    predicted_vs_actual)
from numnet.plot.parameters import WeightsDisplay, weights

__all__ = [
    "network", "history", "decision_boundary", "confusion_matrix", "predicted_vs_actual",
    "weights", "diagnose", "LiveHistory", "NetworkDisplay", "HistoryDisplay", "BoundaryDisplay",
    "ConfusionMatrixDisplay", "PredictionDisplay", "WeightsDisplay", "Diagnosis",
]
