"""One learner's playground: data, model and a training thread that publishes frames.

Each browser tab gets its own :class:`Session`. Training runs on the session's
own thread, never on the server's event loop; after each burst of epochs the
thread builds one frame and hands it to ``on_frame`` (the server keeps only
the newest, so a slow page skips frames instead of queueing them).
"""
from __future__ import annotations

import os
import tempfile
import threading
import time

import numpy as np

from numnet.exceptions import TrainingDivergedError
from numnet.playground import frames
from numnet.playground.config import Settings, check_settings, is_classification, n_classes
from numnet.playground.curves import Curve
from numnet.playground.data import make_dataset, make_features, parse_csv, split
from numnet.playground.network import build_model

MAX_FPS = 30        # frames per second at most: more is invisible and costs training time
MAX_SPEED = 50      # epochs per frame at most
DATA_KEYS = {"dataset", "classes", "noise", "n_samples", "test_ratio", "seed", "features", "problem"}


class Session:
    """Data, model, training state and the thread that trains.

    Parameters
    ----------
    on_frame : callable(dict), optional
        Called from the training thread with each new frame or event.
    settings : dict, optional
        Initial settings (checked like any request).
    """

    def __init__(self, on_frame=None, settings=None):
        self.on_frame = on_frame or (lambda message: None)
        self.lock = threading.RLock()
        self.wake = threading.Condition(self.lock)
        self.settings = check_settings(settings or {})
        self.csv = None  # (X_plane, y, is_classification) after an upload
        self.playing, self.pending_steps, self.speed = False, 0, 1
        self.closed = False
        self._load_data()
        self._new_model()
        self.thread = threading.Thread(target=self._loop, name="numnet-playground", daemon=True)
        self.thread.start()

    # -- requests from the page (any thread) -----------------------------------
    def configure(self, data: dict) -> None:
        """Apply new settings; new data or a new network restart training from epoch 0."""
        with self.lock:
            settings = check_settings(data, self.settings)
            if settings.dataset == "csv" and self.csv is None:
                raise ValueError("dataset 'csv' needs an uploaded CSV file first; use 'Upload CSV'")
            reload = any(getattr(settings, key) != getattr(self.settings, key) for key in DATA_KEYS)
            self.settings = settings
            if reload:
                self._load_data()
            self._new_model()

    def upload_csv(self, content: bytes) -> None:
        """Use an uploaded CSV (two feature columns and a label) as the data set."""
        X, y, classification = parse_csv(content)
        with self.lock:
            self.csv = (X, y, classification)
            problem = "classification" if classification else "regression"
            self.settings = check_settings({"dataset": "csv", "problem": problem}, self.settings)
            self._load_data()
            self._new_model()

    def command(self, name: str, value=None) -> None:
        """play, pause, step, reset, regenerate or speed (``value``: epochs per frame)."""
        with self.lock:
            if name == "play":
                self.playing = True
            elif name == "pause":
                self.playing = False
                self.on_frame(self.frame())  # the page learns at once that training stopped
            elif name == "step":
                self.pending_steps += 1
            elif name == "reset":
                self._new_model()
            elif name == "regenerate":
                self.settings.seed = (self.settings.seed + 1) % (2**31 - 1)
                self._load_data()
                self._new_model()
            elif name == "speed":
                self.speed = _check_speed(value)
            else:
                raise ValueError(f"unknown command {name!r}; use play, pause, step, reset, "
                                 "regenerate or speed")
            self.wake.notify()

    def close(self) -> None:
        """Mark the session closed and wake its training thread so it stops."""
        with self.lock:
            self.closed = True
            self.wake.notify()

    # -- state ---------------------------------------------------------------
    def _load_data(self):
        s = self.settings
        if s.dataset == "csv":
            X, y, labels_are_classes = self.csv
        else:
            X, y = make_dataset(s.dataset, s.n_samples, s.noise, s.classes, random_state=s.seed)
            labels_are_classes = s.dataset != "regression"
        if not is_classification(s):
            y = y.astype(np.float32)
        self.X_plane, self.y = X, y
        self.extent = float(np.abs(X).max() * 1.1) or 1.0
        stratify = is_classification(s) and labels_are_classes
        self.split = split(X, y, s.test_ratio, random_state=s.seed, stratify=stratify)

    def _new_model(self):
        s = self.settings
        X_train, X_test, y_train, y_test = self.split
        self.train = (make_features(X_train, s.features), y_train)
        self.test = (make_features(X_test, s.features), y_test)
        self.grid = make_features(frames.plane_grid(self.extent), s.features)
        self.k = n_classes(s, self.y) if is_classification(s) else 1
        self.model = build_model(s, len(s.features), self.k)
        self.rng = np.random.default_rng(s.seed)
        self.epoch = 0
        self.curves = {"train": Curve(), "test": Curve()}
        self.version = getattr(self, "version", 0) + 1  # the page redraws its diagram on a change
        self._record_losses()
        self.on_frame(self.data_message())
        self.on_frame(self.frame())

    def _record_losses(self):
        train, test = self.model.evaluate(*self.train), self.model.evaluate(*self.test)
        self.curves["train"].add(self.epoch, train["loss"])
        self.curves["test"].add(self.epoch, test["loss"])
        self.scores = {"train": train, "test": test}

    # -- training ------------------------------------------------------------
    def train_epochs(self, epochs: int) -> None:
        """Train ``epochs`` epochs (``model.fit``), then record the losses."""
        with self.lock:
            try:
                self.model.fit(*self.train, epochs=epochs, batch_size=self.settings.batch_size,
                               verbose=0, random_state=self.rng)
            except TrainingDivergedError as exc:
                self.playing, self.pending_steps = False, 0
                self.on_frame({"type": "error", "message": f"training stopped: {exc}"})
                return
            self.epoch += epochs
            self._record_losses()

    def _loop(self):
        while True:
            with self.lock:
                while not (self.closed or self.playing or self.pending_steps):
                    self.wake.wait()
                if self.closed:
                    return
                epochs = self.speed if self.playing else 1
                self.pending_steps = 0 if self.playing else self.pending_steps - 1
            started = time.perf_counter()
            self.train_epochs(epochs)
            with self.lock:
                self.on_frame(self.frame())
            # Cap the frame rate; the lock is free meanwhile, so requests are never kept waiting.
            time.sleep(max(0.0, 1 / MAX_FPS - (time.perf_counter() - started)))

    # -- messages ------------------------------------------------------------
    def frame(self) -> dict:
        """Everything that changes while training, for the page to draw."""
        with self.lock:
            frames.current_gradients(self.model, *self.train)
            low, high = (float(self.y.min()), float(self.y.max())) if self.k == 1 else (0, 1)
            return {
                "type": "frame", "version": self.version, "epoch": self.epoch,
                "playing": self.playing, "speed": self.speed,
                "scores": self.scores,
                "curves": {name: curve.points() for name, curve in self.curves.items()},
                "output": frames.output_map(self.model, self.grid, self.k > 1, (low, high)),
                "neurons": frames.neuron_maps(self.model, self.grid),
                "markers": frames.neuron_markers(self.model, self.train[0]),
                "weights": frames.weights(self.model),
            }

    def data_message(self) -> dict:
        """The points and the network's structure: sent when either changes."""
        s = self.settings
        X_train, X_test, y_train, y_test = self.split
        return {
            "type": "data", "version": self.version, "settings": s.to_dict(),
            "extent": self.extent, "classes": self.k,
            "value_range": [float(self.y.min()), float(self.y.max())],
            "train": {"x": np.round(X_train, 3).tolist(), "y": np.asarray(y_train).tolist()},
            "test": {"x": np.round(X_test, 3).tolist(), "y": np.asarray(y_test).tolist()},
            "layers": [len(s.features), *s.hidden, self.k],
            "inputs": frames.input_maps(s.features, self.extent),
            "grid": frames.GRID, "neuron_grid": frames.GRID // frames.NEURON_STRIDE,
        }

    def model_bytes(self) -> bytes:
        """The current model as a ``.numnet`` file (``model.save``)."""
        with self.lock, tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "playground.numnet")
            self.model.save(path)
            with open(path, "rb") as file:
                return file.read()


def _check_speed(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SPEED:
        raise ValueError(f"speed is the number of epochs per update, a whole number from 1 to "
                         f"{MAX_SPEED}; got {value!r}")
    return value
