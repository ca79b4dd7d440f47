"""The Callback base class documents each hook, and fit calls them in the documented order."""
import inspect

import numpy as np
import pytest

from numnet import Callback, Dense, Sequential

HOOKS = ["on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end", "on_train_end"]


@pytest.mark.parametrize("hook", HOOKS + ["set_model"])
def test_every_hook_of_the_base_class_has_a_docstring(hook):
    assert inspect.getdoc(getattr(Callback, hook)), f"Callback.{hook} has no docstring"


def test_fit_calls_the_hooks_in_the_documented_order():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            calls.append(("on_train_begin", None))

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(("on_epoch_begin", epoch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("on_batch_end", batch))

        def on_epoch_end(self, epoch, logs=None):
            calls.append(("on_epoch_end", epoch))

        def on_train_end(self, logs=None):
            calls.append(("on_train_end", None))

    model = Sequential([Dense(2, 1)], random_state=0).compile(loss="mse", optimizer="sgd")
    X = np.zeros((4, 2), np.float32)
    model.fit(X, np.zeros(4), epochs=2, batch_size=2, shuffle=False, verbose=0, callbacks=[Recorder()])
    assert [name for name, _ in calls] == ["on_train_begin",
                                           *["on_epoch_begin", "on_batch_end", "on_batch_end",
                                             "on_epoch_end"] * 2,
                                           "on_train_end"]
    assert [arg for name, arg in calls if name == "on_epoch_end"] == [0, 1]
    assert [arg for name, arg in calls if name == "on_batch_end"] == [0, 1, 0, 1]
