"""Tests for numnet.onnx: every exportable layer and whole models, run in onnxruntime and
compared with numnet's predict (rtol 1e-5, atol 1e-6), in float32 and float64."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from numnet import (ELU, GELU, Adam, BatchNorm, Dense, Dropout, Identity, LeakyReLU,  # noqa: E402
                    MaskedSoftmax, ReLU, Sequential, Sigmoid, Softmax, Softplus, Tanh)
from numnet.layers.base import Layer  # noqa: E402
from numnet.onnx import export, to_onnx  # noqa: E402

RNG = np.random.default_rng(0)
RTOL, ATOL = 1e-5, 1e-6


def run_onnx(path_or_proto, X, mask=None):
    source = path_or_proto if isinstance(path_or_proto, str) else path_or_proto.SerializeToString()
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    feeds = {"input": X}
    if mask is not None:
        feeds["mask"] = mask
    return session.run(["output"], feeds)[0]


def inputs(dtype, n=23, scale=3.0):
    X = RNG.normal(size=(n, 4)) * scale
    X[0] = [30, -30, 0, 1e-3]  # large values exercise the stable forms
    return X.astype(dtype)


def with_layer(layer, dtype):
    model = Sequential([Dense(4, 6, random_state=1), layer], dtype=dtype)
    model.build(4)
    return model


LAYERS = {
    "relu": ReLU, "leaky_relu": lambda: LeakyReLU(0.2), "elu": lambda: ELU(0.7), "gelu": GELU,
    "sigmoid": Sigmoid, "tanh": Tanh, "softplus": Softplus, "identity": Identity,
    "softmax": Softmax, "dropout": lambda: Dropout(0.5), "batchnorm": BatchNorm,
}
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


@DTYPES
@pytest.mark.parametrize("opset", [13, 17, 18, 20])
@pytest.mark.parametrize("make", LAYERS.values(), ids=LAYERS.keys())
def test_each_layer_matches_numnet(make, opset, dtype, tmp_path):
    model = with_layer(make(), dtype)
    if isinstance(model.layers[1], BatchNorm):  # non-trivial statistics and scale
        bn = model.layers[1]
        bn.state["running_mean"][:] = RNG.normal(size=6)
        bn.state["running_var"][:] = RNG.uniform(0.2, 3.0, size=6)
        bn.params["gamma"][:] = RNG.normal(size=6)
        bn.params["beta"][:] = RNG.normal(size=6)
    path = str(tmp_path / "model.onnx")
    export(model, path, opset=opset)
    X = inputs(dtype)
    got = run_onnx(path, X)
    assert got.dtype == dtype
    assert_allclose(got, model.predict(X), rtol=RTOL, atol=ATOL)


@DTYPES
@pytest.mark.parametrize("opset", [13, 17, 18])
def test_masked_softmax_takes_the_mask_as_a_second_input(opset, dtype):
    model = with_layer(MaskedSoftmax(), dtype)
    X = inputs(dtype)
    mask = (RNG.random((len(X), 6)) > 0.5).astype(dtype)
    mask[1] = 0  # fully masked row -> all zeros
    mask[2] = 1
    proto = to_onnx(model, opset=opset)
    assert [i.name for i in proto.graph.input] == ["input", "mask"]
    got = run_onnx(proto, X, mask)
    expected = model.predict(X, mask=mask.astype(bool))
    assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    assert np.all(got[mask == 0] == 0.0)  # exactly zero
    assert np.all(got[1] == 0.0)
    assert_allclose(got[mask.any(axis=1)].sum(axis=1), 1.0, rtol=1e-6)


def trained_classifier(dtype):
    X = inputs(dtype, n=200, scale=1.0)
    y = (X[:, 0] * X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
    model = Sequential([Dense(4, 16, random_state=0), BatchNorm(), GELU(), Dropout(0.2),
                        Dense(16, 16, random_state=1), LeakyReLU(0.1), Dense(16, 8, random_state=2),
                        ELU(), Dense(8, 3, random_state=3), Softmax()], dtype=dtype)
    model.compile(optimizer=Adam(0.01))
    model.fit(X, y, epochs=3, batch_size=32, verbose=0, random_state=0)
    return model, X


@DTYPES
def test_a_trained_classifier_matches_numnet(dtype, tmp_path):
    model, X = trained_classifier(dtype)
    path = str(tmp_path / "classifier.onnx")
    export(model, path)
    assert_allclose(run_onnx(path, X), model.predict(X), rtol=RTOL, atol=ATOL)


@DTYPES
def test_a_trained_regressor_matches_numnet(dtype):
    X = inputs(dtype, n=100, scale=1.0)
    y = X[:, :1] ** 2 - X[:, 1:2]
    model = Sequential([Dense(4, 12, random_state=0), Softplus(), Dense(12, 12, random_state=1),
                        Tanh(), Dense(12, 6, random_state=2), Sigmoid(),
                        Dense(6, 1, random_state=3), Identity()], dtype=dtype)
    model.compile(loss="mse", optimizer=Adam(0.01))
    model.fit(X, y, epochs=3, verbose=0, random_state=0)
    assert_allclose(run_onnx(to_onnx(model), X), model.predict(X), rtol=RTOL, atol=ATOL)


def test_the_batch_dimension_is_dynamic():
    model, X = trained_classifier(np.float32)
    proto = to_onnx(model)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 4
    for n in (1, 7, 200):
        assert_allclose(run_onnx(proto, X[:n]), model.predict(X[:n]), rtol=RTOL, atol=ATOL)


def test_dropout_is_dropped_and_the_file_passes_the_checker(tmp_path):
    model = with_layer(Dropout(0.5), np.float32)
    proto = to_onnx(model)
    assert [node.op_type for node in proto.graph.node] == ["Gemm", "Identity"]
    path = tmp_path / "m.onnx"
    export(model, path, metadata={"numnet_preprocessing": {"a": 1}, "note": "x"})
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    props = {p.key: p.value for p in loaded.metadata_props}
    assert props == {"numnet_preprocessing": '{"a": 1}', "note": "x"}
    assert loaded.producer_name == "numnet"


def test_gelu_uses_the_onnx_operator_from_opset_20():
    model = with_layer(GELU(), np.float32)
    assert "Gelu" in [n.op_type for n in to_onnx(model, opset=20).graph.node]
    assert "Gelu" not in [n.op_type for n in to_onnx(model, opset=17).graph.node]


def test_a_custom_layer_gives_a_clear_error():
    class Doubler(Layer):
        def forward(self, X, training=False):
            return 2 * X

        def backward(self, dY):
            return 2 * dY

    model = Sequential([Dense(4, 3), Doubler()])
    model.build(4)
    with pytest.raises(ValueError, match=r"layer 'doubler' \(Doubler\) cannot be exported to ONNX"
                                         r".*Dense.*Softmax"):
        to_onnx(model)


def test_a_subclass_of_an_exportable_layer_is_not_exported_silently():
    class MyReLU(ReLU):
        def forward(self, X, training=False):
            return np.maximum(X, 1.0)

    model = with_layer(MyReLU(), np.float32)
    with pytest.raises(ValueError, match="MyReLU"):
        to_onnx(model)


def test_an_unbuilt_model_and_bad_opsets_are_refused():
    with pytest.raises(ValueError, match="not built"):
        to_onnx(Sequential([Dense(3), ReLU()]))
    model = with_layer(ReLU(), np.float32)
    for opset in (12, 10_000, "17", 17.0):
        with pytest.raises(ValueError, match="opset must be an int from 13"):
            to_onnx(model, opset=opset)


def test_export_of_a_fitted_estimator_says_to_pass_its_network(tmp_path):
    import warnings

    from numnet.sklearn import MLPClassifier

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3).fit(X, y)
    with pytest.raises(TypeError, match=r"pass its network: numnet\.onnx\.export\(estimator\.network_"):
        export(clf, tmp_path / "clf.onnx")
