"""predict's InferencePlan gives what the layers' own forward gives, bit for bit (nothing is timed)."""
import copy
import dataclasses
import pickle

import numpy as np
import pytest

from numnet import BatchNorm, Dense, Dropout, ReLU, Sequential, Softmax, Tanh
from numnet.layers.activations import Identity
from numnet.model.forward import run_layers
from numnet.model.inference import InferencePlan


def _data(n=50, d=6, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)


def _trained(layers, dtype=np.float32):
    X = _data().astype(dtype)
    model = Sequential(layers, dtype=dtype, random_state=0)
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    model.fit(X, np.arange(len(X)) % 3, epochs=2, batch_size=16, verbose=0, random_state=0)
    return model


STACKS = {
    "dense-relu-softmax": lambda: [Dense(6, 16), ReLU(), Dense(16, 8), ReLU(), Dense(8, 3), Softmax()],
    "other-layers-between": lambda: [Dense(6, 16), Tanh(), BatchNorm(), Dropout(0.3), Dense(16, 16),
                                     Identity(), ReLU(), Dense(16, 3), Softmax(axis=1)],
    "no-dense-first": lambda: [ReLU(), Dense(6, 3), Softmax()],
}


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 2, 50])
def test_predict_equals_the_layers_forward_bitwise(stack, dtype, rows):
    model = _trained(STACKS[stack](), dtype)
    X = _data(rows, seed=1).astype(dtype)
    np.testing.assert_array_equal(model.predict(X), run_layers(model.layers, X, training=False))


@pytest.mark.parametrize("layers", [[ReLU(), Softmax()], [Softmax()], [Dense(6, 6), Identity(), ReLU()]])
def test_predict_never_writes_the_callers_array(layers):
    model = Sequential(layers, random_state=0).build(6)
    X = _data(3)
    before = X.copy()
    out = model.predict(X)
    np.testing.assert_array_equal(X, before)
    assert not np.shares_memory(out, X) or isinstance(layers[-1], Identity)


def test_the_plan_follows_new_weights_and_is_remade_for_new_layers():
    model = _trained(STACKS["dense-relu-softmax"]())
    X = _data(1, seed=2)
    model.predict(X)
    plan = model._inference_plan()
    model.set_weights([w * 0.5 for w in model.get_weights()])  # in place: the plan reads them anew
    np.testing.assert_array_equal(model.predict(X), run_layers(model.layers, X))
    model.set_dtype(np.float64)  # new arrays
    np.testing.assert_array_equal(model.predict(X), run_layers(model.layers, X.astype(np.float64)))
    assert model._inference_plan() is plan
    model.layers[1] = Tanh()
    np.testing.assert_array_equal(model.predict(X), run_layers(model.layers, X.astype(np.float64)))
    assert model._inference_plan() is not plan


def test_layers_with_their_own_eq_are_told_apart_by_identity():
    @dataclasses.dataclass
    class Scale:  # dataclasses compare by fields: two of these are ==, yet not the same layer
        factor: float = 1.0
        params: dict = dataclasses.field(default_factory=dict)

        def forward(self, X, training=False):
            return X * self.factor

        def backward(self, dY):
            return dY * self.factor

    first = Scale()
    plan = InferencePlan([first])
    replacement = Scale()
    assert replacement == first and plan.serves([first]) and not plan.serves([replacement])


def test_a_dense_activation_set_after_add_is_still_refused():
    model = Sequential([Dense(6, 3), Softmax()], random_state=0)
    model.predict(_data(1))
    model.layers[0].activation = ReLU()
    with pytest.raises(ValueError, match="activation=ReLU"):
        model.predict(_data(1))


def test_pickles_and_copies_carry_no_plan_and_predict_the_same():
    model = _trained(STACKS["dense-relu-softmax"]())
    X = _data(1, seed=3)
    expected = model.predict(X)
    assert model._inference is not None
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model), copy.copy(model)):
        assert clone._inference is None
        np.testing.assert_array_equal(clone.predict(X), expected)
        assert clone._inference.layers[0] is clone.layers[0]


def test_one_row_input_errors_are_unchanged():
    model = _trained(STACKS["dense-relu-softmax"]())
    with pytest.raises(ValueError, match=r"X contains NaN or other non-finite values \(1 entries, "
                                         r"first at \(0, 2\)\)"):
        model.predict(np.array([[0, 0, np.nan, 0, 0, 0]], np.float32))
    with pytest.raises(ValueError, match=r"X contains inf"), np.errstate(invalid="ignore"):  # inf - inf
        model.predict(np.array([[0, 0, 0, 0, np.inf, -np.inf]], np.float32))
    with pytest.raises(ValueError, match="X has 5 features, but this model was built for 6"):
        model.predict(np.zeros((1, 5), np.float32))
    with pytest.raises(ValueError, match="must be 2-D"):
        model.predict(np.zeros(6, np.float32))
    with pytest.raises(TypeError, match="must hold numbers"):
        model.predict(np.array([["a"] * 6]))


def test_a_large_finite_row_is_accepted():
    model = _trained(STACKS["dense-relu-softmax"]())
    X = np.full((1, 6), np.finfo(np.float32).max, np.float32)  # its float32 sum would overflow
    with np.errstate(all="ignore"):  # the network itself overflows on it
        np.testing.assert_array_equal(model.predict(X), run_layers(model.layers, X))


def test_softmax_after_a_layer_of_another_shape_normalises_its_last_axis():
    class Split:  # (n, 6) -> (n, 2, 3)
        def forward(self, X, training=False):
            return X.reshape(len(X), 2, 3)

    layers = [Dense(6, 6, random_state=0), Split(), Dense(3, 4, random_state=0), ReLU(), Softmax()]
    X = _data(5)
    P = InferencePlan(layers).run(X)
    assert P.shape == (5, 2, 4)
    np.testing.assert_array_equal(P, run_layers(layers, X))
