"""Question 1: over which axis does softmax normalise?

A 3-class classifier has 2 inputs, one hidden layer of 4 sigmoid neurons and
3 softmax outputs, trained on m samples. Computing the output logits as a
(3, m) array and applying exp/sum along each row normalises every *class*
over the samples, not every *sample* over the classes, and indexing "sample
i" then picks a row that does not exist. What shape should the logits have,
and how is softmax applied so that each sample gets probabilities?

Answer: with samples as rows the logits are (m, 3); softmax normalises each
row (axis=1, keepdims=True), after subtracting the row maximum so that exp
never overflows. Every row then sums to 1.

Run:  python examples/softmax_axis.py [OUTPUT_FOLDER]   (default ./example-output)
"""
import sys
from pathlib import Path

import numpy as np

from numnet import Adam, Dense, Sequential, Sigmoid, Softmax, softmax, vertical_data


def output_folder() -> Path:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "example-output")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def train_network():
    """The 2-4-3 network of the question, trained on three blobs of 50 samples each."""
    X, y = vertical_data(samples=50, classes=3, random_state=0)
    model = Sequential([Dense(2, 4, random_state=0), Sigmoid(),
                        Dense(4, 3, random_state=1), Softmax()])
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=0.05),
                  metrics=["accuracy"])
    model.fit(X, y, epochs=150, batch_size=32, verbose=0, random_state=0)
    return model, X, y


def show_shapes(model, X):
    W1, b1 = model.layers[0].weights, model.layers[0].biases
    W2, b2 = model.layers[2].weights, model.layers[2].biases
    print(f"X  {X.shape}: m = {len(X)} samples as rows, 2 features as columns")
    print(f"W1 {W1.shape}, b1 {b1.shape}; W2 {W2.shape}, b2 {b2.shape}")
    print("   (numnet stores W as (n_inputs, n_neurons) and computes X @ W + b; the question's")
    print("    W1 (4, 2) is the same matrix transposed, used as W1 @ X.T)")


def right_axis(model, X):
    """Logits (m, 3) and a row-wise softmax: one probability vector per sample."""
    logits = model.activations(X)[model.layers[2].name]  # output of Dense(4, 3), before softmax
    P = softmax(logits, axis=1)
    rows = P.sum(axis=1)
    print(f"\nlogits Z2 have shape {logits.shape}: one row per sample, one column per class")
    print(f"softmax over axis=1: row sums lie in [{rows.min():.6f}, {rows.max():.6f}] -> every row sums to 1")
    print("first 3 samples' probabilities:\n" + np.array2string(P[:3], precision=3, suppress_small=True))
    print(f"model.predict(X) gives the same probabilities: {np.allclose(P, model.predict(X), atol=1e-6)}")
    return logits, P


def wrong_axis(logits):
    """What the question did: normalise each class over the samples."""
    Q = softmax(logits, axis=0)
    print(f"\nsoftmax over axis=0 (the wrong axis): row sums range from {Q.sum(axis=1).min():.4f} "
          f"to {Q.sum(axis=1).max():.4f},")
    print(f"while each column sums to 1 ({Q.sum(axis=0).round(6).tolist()}): that is a distribution "
          "over the samples for each class, not a prediction per sample")
    Z_classes_first = logits.T  # the question's (3, m) layout
    try:
        Z_classes_first[5]
    except IndexError as exc:
        print(f"with logits laid out {Z_classes_first.shape}, 'sample 5' is row 5 -> IndexError: {exc}")
    return Q


def stability():
    z = np.array([[1000.0, 0.0, -1000.0]])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    print(f"\nlogits {z.tolist()}: naive exp/sum gives {naive.tolist()} (exp overflows);")
    print(f"shifted by the row max, softmax gives {softmax(z, axis=1).tolist()}")


def plot(P, Q, y, folder):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("\n(figures need matplotlib: pip install \".[plot]\")")
        return
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, layout="constrained")
    picks = np.concatenate([np.flatnonzero(y == k)[:4] for k in range(3)])  # 4 samples per class
    positions = np.arange(len(picks))
    for ax, probs, title in ((axes[0], P, "softmax over axis=1: each row (sample) sums to 1"),
                             (axes[1], Q, "softmax over axis=0: rows do not sum to 1")):
        bottom = np.zeros(len(picks))
        for k in range(3):
            ax.bar(positions, probs[picks, k], bottom=bottom, label=f"class {k}")
            bottom += probs[picks, k]
        ax.axhline(1.0, color="black", linestyle=":", linewidth=1)
        ax.set_xticks(positions, [f"{i}" for i in picks], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("sample (row of X)")
    axes[0].set_ylabel("probability (stacked)")
    axes[0].set_ylim(0, 1.15)
    axes[0].legend(fontsize=8, ncols=3, loc="upper center")
    path = folder / "softmax_axis.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"\nfigure: {path}")


def main():
    folder = output_folder()
    model, X, y = train_network()
    show_shapes(model, X)
    logits, P = right_axis(model, X)
    Q = wrong_axis(logits)
    stability()
    print(f"\ntraining accuracy of the 2-4-3 network: {model.evaluate(X, y)['accuracy']:.3f}")
    plot(P, Q, y, folder)


if __name__ == "__main__":
    main()
