"""Question 2: what does a Dense layer look like?

Spiral data with 100 samples per class and 3 classes gives X of shape
(300, 2). It goes through Dense(2, 3), a ReLU and Dense(3, 3). Why are the
first layer's weights (2, 3) and not (300, 3)? Are the 300 samples drawn as
300 input nodes?

Answer: the network has 2 input nodes (one per feature) and 3 neurons in each
layer. The 300 samples are a batch: each row flows through the *same*
weights, one row at a time or all rows in one matrix product, and the output
has one row per sample, (300, 3). The figure draws the network.

Run:  python examples/dense_shapes.py [OUTPUT_FOLDER]   (default ./example-output)
"""
import sys
from pathlib import Path

import numpy as np

from numnet import Adam, Dense, ReLU, Sequential, Softmax, spiral_data


def output_folder() -> Path:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "example-output")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def build():
    # Softmax turns the last 3 outputs into class probabilities for training.
    return Sequential([Dense(2, 3, random_state=0), ReLU(), Dense(3, 3, random_state=1), Softmax()],
                      name="spiral_net")


def print_shapes(model, X):
    dense1, dense2 = model.layers[0], model.layers[2]
    outputs = model.activations(X)
    print(f"X                 {X.shape}   300 samples (rows) x 2 features (columns)")
    print(f"Dense(2, 3)  W    {dense1.weights.shape}     one row per input feature, one column per neuron")
    print(f"             b    {dense1.biases.shape}       one bias per neuron, added to every row")
    print("                            (written (1, 3) in the question: the same 3 numbers, broadcast)")
    print(f"  X @ W + b       {outputs[dense1.name].shape}   one row of 3 neuron outputs per sample")
    print(f"ReLU              {outputs['relu'].shape}   element-wise: the shape does not change")
    print(f"Dense(3, 3)  W    {dense2.weights.shape}")
    print(f"  output          {outputs[dense2.name].shape}")
    print(f"Softmax           {outputs['softmax'].shape}   each row: 3 class probabilities")


def one_row_at_a_time(model, X):
    """The batch is a shortcut for a loop over rows: both give the same numbers."""
    layer = model.layers[0]
    rows = np.stack([layer.forward(X[i:i + 1])[0] for i in range(len(X))])
    batch = layer.forward(X)
    same = np.allclose(rows, batch, atol=1e-6)
    print(f"\nrow by row (300 products of (1, 2) @ (2, 3)) == one product (300, 2) @ (2, 3): {same}")


def train(model, X, y):
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=0.05),
                  metrics=["accuracy"])
    model.fit(X, y, epochs=100, batch_size=32, verbose=0, random_state=0)
    accuracy = model.evaluate(X, y)["accuracy"]
    print(f"\nafter training: accuracy {accuracy:.3f} (3 hidden neurons are too few to unroll "
          "the spirals; try Dense(2, 64))")


def draw(untrained, model, X, folder):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from numnet import plot
    except ImportError:
        print("\n(the network diagram needs matplotlib: pip install \".[plot]\")")
        return
    figure, axes = plt.subplots(1, 2, figsize=(11, 5.5), layout="constrained")
    plot.network(untrained, ax=axes[0], X_shape=X.shape, title="before training: shapes only")
    plot.network(model, ax=axes[1], X_shape=X.shape, title="after training: the learned weights")
    path = folder / "dense_shapes_network.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"\nnetwork diagram: {path}")


def main():
    folder = output_folder()
    X, y = spiral_data(samples=100, classes=3, random_state=0)
    model = build()
    model.summary()
    print()
    print_shapes(model, X)
    one_row_at_a_time(model, X)
    untrained = build()
    train(model, X, y)
    draw(untrained, model, X, folder)
    print("\nSo: 2 input nodes (features), 3 neurons, 3 outputs; the 300 samples are a batch, "
          "not 300 input nodes.")


if __name__ == "__main__":
    main()
