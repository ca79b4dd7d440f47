"""The one forward-through-layers helper (model/forward.py) behind every forward pass."""
import numpy as np
import pytest

from numnet import Dense, MaskedSoftmax, ReLU, Sequential
from numnet.model.forward import ForwardPlan, run_layers, takes_mask


class Recorder:
    """A user layer that records the keyword arguments of each forward call."""

    def __init__(self, accepts_mask=None):
        if accepts_mask is not None:
            self.accepts_mask = accepts_mask
        self.calls = []

    def forward(self, X, **kwargs):
        self.calls.append(kwargs)
        return X

    def backward(self, dY):
        return dY


def masked_model():
    return Sequential([Dense(3, 4, random_state=0), ReLU(), Dense(4, 3, random_state=1), MaskedSoftmax()])


X = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
MASK = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1], [0, 0, 1]], dtype=bool)


def test_takes_mask_reads_the_accepts_mask_flag():
    assert takes_mask(MaskedSoftmax()) and not takes_mask(ReLU()) and not takes_mask(Recorder())


def test_only_layers_that_accept_a_mask_are_given_it():
    plain, masked = Recorder(), Recorder(accepts_mask=True)
    run_layers([plain, masked], X, training=True, mask=MASK)
    assert plain.calls == [{"training": True}]
    assert set(masked.calls[0]) == {"mask", "training"} and masked.calls[0]["mask"] is MASK


def test_no_mask_means_no_mask_argument_even_for_mask_layers():
    masked = Recorder(accepts_mask=True)
    ForwardPlan([masked]).run(X)
    assert masked.calls == [{"training": False}]


def test_outputs_yields_every_layer_and_ends_with_what_run_returns():
    model = masked_model()
    plan = ForwardPlan(model.layers)
    outputs = list(plan.outputs(X, mask=MASK))
    assert [layer for layer, _ in outputs] == model.layers
    np.testing.assert_array_equal(outputs[-1][1], plan.run(X, mask=MASK))


def test_forward_activations_and_predict_agree_with_a_mask():
    model = masked_model()
    expected = model.forward(X, mask=MASK)
    assert np.all(expected[~MASK] == 0)  # the mask reached MaskedSoftmax
    np.testing.assert_array_equal(model.activations(X, mask=MASK)[model.layers[-1].name], expected)
    np.testing.assert_array_equal(model.predict(X, mask=MASK), expected)
    np.testing.assert_array_equal(model.predict(X, mask=MASK, batch_size=2), expected)


def test_training_step_plan_is_built_once_per_fit():
    from numnet.model.training import _BatchStep

    model = masked_model().compile(loss="mse", optimizer="sgd")
    step = _BatchStep(model)
    assert isinstance(step.forward_plan, ForwardPlan)
    assert [masked for _, masked in step.forward_plan.steps] == [False, False, False, True]


def test_first_non_finite_layer_runs_with_the_mask():
    from numnet.model.training import _BatchStep

    model = masked_model().compile(loss="mse", optimizer="sgd")
    step = _BatchStep(model)
    assert step.first_non_finite_layer(X, MASK) is None
    model.layers[2].params["weights"][...] = np.inf
    with np.errstate(invalid="ignore"):
        where = step.first_non_finite_layer(X, MASK)
    assert where == f"the output of layer '{model.layers[2].name}'"


@pytest.mark.parametrize("training", [False, True])
def test_run_layers_matches_the_layers_called_by_hand(training):
    layers = masked_model().layers
    by_hand = X
    for layer in layers[:-1]:
        by_hand = layer.forward(by_hand, training=training)
    by_hand = layers[-1].forward(by_hand, mask=MASK, training=training)
    np.testing.assert_array_equal(run_layers(layers, X, training, MASK), by_hand)
