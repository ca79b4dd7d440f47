"""A loss curve whose memory stays bounded however long the session runs."""
from __future__ import annotations

MAX_POINTS = 400


class Curve:
    """``(epoch, loss)`` points; when full, every other point is dropped and the stride doubles.

    So an hour of training keeps at most :data:`MAX_POINTS` points, spread over
    the whole run, and the curve's shape is kept.

    >>> curve = Curve(max_points=4)
    >>> for epoch in range(10):
    ...     curve.add(epoch, float(epoch))
    >>> len(curve.points()["epoch"]) <= 4
    True
    """

    def __init__(self, max_points: int = MAX_POINTS):
        self.max_points = max_points
        self.epochs: list[int] = []
        self.values: list[float] = []
        self.stride = 1
        self._seen = 0

    def add(self, epoch: int, value: float) -> None:
        """Record one epoch's value; past ``max_points``, keep every other point and double the stride."""
        if self._seen % self.stride == 0:
            self.epochs.append(int(epoch))
            self.values.append(float(value))
        self._seen += 1
        if len(self.epochs) > self.max_points:
            self.epochs, self.values = self.epochs[::2], self.values[::2]
            self.stride *= 2

    def points(self) -> dict:
        """``{"epoch": [...], "loss": [...]}``, the newest point always included."""
        return {"epoch": list(self.epochs), "loss": list(self.values)}
