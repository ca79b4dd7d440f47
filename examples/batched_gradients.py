"""Question 6: gradients for an n-layer network, computed for a whole batch.

How do forward and backward propagation look when a layer processes a batch
X of shape (num_instances, num_inputs) at once, how do we know the gradients
are right, and is batching really faster than looping over the instances?
XOR is the test problem; the timing uses a layer with 5000 inputs and 10
outputs on 1000 instances.

Answer: a layer maps X (n, n_inputs) to Y = X @ W + b (n, n_outputs); its
backward takes dE/dY (n, n_outputs) and returns dE/dX = dE/dY @ W.T, and stores
dE/dW = X.T @ dE/dY (the sum over instances) and dE/db = sum of dE/dY over
instances. For softmax + cross-entropy the output delta is Y - T (divided by
n for a mean loss). A finite-difference gradient check confirms every
gradient, and one batched matrix product is several times faster than a
loop over instances, forward and backward.

Run:  python examples/batched_gradients.py [OUTPUT_FOLDER] [REPEATS]
      (defaults ./example-output and 10 repetitions, as in the question)
"""
import sys
import time
from pathlib import Path

import numpy as np

from numnet import (Adam, CategoricalCrossEntropy, Dense, Sequential, Softmax, Tanh, gradcheck,
                    one_hot, softmax, xor)

def output_folder() -> Path:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "example-output")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def xor_network():
    model = Sequential([Dense(2, 4, random_state=0), Tanh(), Dense(4, 2, random_state=1), Softmax()])
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=0.05),
                  metrics=["accuracy"])
    return model


def check_gradients(model, X, y):
    report = gradcheck(model, X, y)
    print("gradcheck of the 2-4-2 XOR network against central finite differences (float64):")
    print("  " + str(report).replace("\n", "\n  "))
    return report


def output_delta(model, X, y):
    """For softmax + cross-entropy, dE/dZ (the logits) is (Y - T) / n."""
    logits = model.activations(X)[model.layers[2].name]
    loss = CategoricalCrossEntropy(from_logits=True)
    loss.forward(logits, y)
    delta = loss.backward() * len(X)
    Y, T = softmax(logits), one_hot(y, 2)
    print(f"output delta equals Y - T for all 4 instances: {np.allclose(delta, Y - T, atol=1e-6)}")


def bias_row(layer, X):
    """The question stores W with an extra bias row; that is X with a column of ones appended."""
    W_aug = np.vstack([layer.weights, layer.biases])  # (n_inputs + 1, n_units)
    X_aug = np.hstack([X, np.ones((len(X), 1), X.dtype)])
    same = np.allclose(X_aug @ W_aug, layer.forward(X), atol=1e-6)
    print(f"bias row form: [X, 1] @ [[W], [b]] == X @ W + b: {same}")


def repeats() -> int:
    return int(sys.argv[2]) if len(sys.argv) > 2 else 10


def time_it(function, n_repeats):
    start = time.perf_counter()
    for _ in range(n_repeats):
        function()
    return time.perf_counter() - start


def timing(n_repeats, random_state=0):
    """Instance-wise loop against one batched call, forward and backward."""
    rng = np.random.default_rng(random_state)
    X = rng.standard_normal((1000, 5000)).astype(np.float32)
    dY = rng.standard_normal((1000, 10)).astype(np.float32)
    layer = Dense(5000, 10, random_state=random_state)
    print(f"\ntiming: X {X.shape}, W {layer.weights.shape} (the question's W (10, 5000) transposed), "
          f"{n_repeats} repetitions")

    def forward_loop():
        return [layer.forward(X[i:i + 1]) for i in range(len(X))]

    def backward_loop():
        total = np.zeros_like(layer.weights)
        for i in range(len(X)):
            layer.forward(X[i:i + 1], training=True)
            layer.backward(dY[i:i + 1])
            total += layer.grads["weights"]  # dE/dW of the batch is the sum over instances
        return total

    def backward_batch():
        layer.forward(X, training=True)
        layer.backward(dY)
        return layer.grads["weights"].copy()

    same = np.allclose(backward_loop(), backward_batch(), rtol=1e-3, atol=1e-2)
    rows = [("forward", time_it(forward_loop, n_repeats), time_it(lambda: layer.forward(X), n_repeats)),
            ("forward + backward", time_it(backward_loop, n_repeats), time_it(backward_batch, n_repeats))]
    print(f"  {'':<20}{'instance-wise':>15}{'batch-wise':>12}{'speed-up':>10}")
    for name, loop, batch in rows:
        print(f"  {name:<20}{loop:>14.3f}s{batch:>11.3f}s{loop / batch:>9.1f}x")
    print(f"  summed per-instance dE/dW equals the batched dE/dW: {same}")
    return rows


def plot(rows, n_repeats, folder):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(the timing chart needs matplotlib: pip install \".[plot]\")")
        return
    figure, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
    names = [row[0] for row in rows]
    positions = np.arange(len(rows))
    ax.bar(positions - 0.2, [row[1] for row in rows], 0.4, label="instance-wise (loop)")
    ax.bar(positions + 0.2, [row[2] for row in rows], 0.4, label="batch-wise (one matmul)")
    ax.set_xticks(positions, names)
    ax.set_ylabel(f"seconds for {n_repeats} repetitions")
    ax.set_title("X (1000, 5000) through Dense(5000, 10)")
    ax.legend()
    path = folder / "batched_gradients.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"\ntiming chart: {path}")


def main():
    folder = output_folder()
    X, y = xor()
    model = xor_network()
    check_gradients(model, X, y)
    output_delta(model, X, y)
    bias_row(model.layers[0], X)
    model.fit(X, y, epochs=300, batch_size=4, verbose=0, random_state=0)
    print(f"after training on XOR: predictions {model.predict_classes(X).tolist()}, targets {y.tolist()}, "
          f"accuracy {model.evaluate(X, y)['accuracy']:.2f}")
    n_repeats = repeats()
    rows = timing(n_repeats)
    plot(rows, n_repeats, folder)


if __name__ == "__main__":
    main()
