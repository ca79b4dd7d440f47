"""Question 5: an MLP from scratch on the 8x8 digits.

The digits data has 1797 images of 8x8 pixels, flattened to 64 features, in
10 classes. Is each of the 64 pixels an input? Do you train on one image at
a time or on all of them at once? Is the output a 10-vector with a 1 at the
true digit (one-hot), and the prediction its argmax?

Answer: yes, 64 inputs, one per pixel; train on mini-batches (here 32 images
per step), which is as exact as one image at a time and much faster per
epoch; the targets are one-hot rows (1797, 10), the network outputs 10
probabilities per image and the predicted digit is the argmax. Accuracy and
the confusion matrix are measured on held-out images the network never saw.

Run:  python examples/digits_from_scratch.py [OUTPUT_FOLDER]   (default ./example-output)
"""
import sys
import time
from pathlib import Path

import numpy as np

from numnet import (Adam, Dense, ReLU, Sequential, Softmax, from_one_hot, load_digits, one_hot,
                    train_test_split)


def output_folder() -> Path:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "example-output")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def show_digit(image, label):
    """Print one 8x8 image as text: each of the 64 inputs is one pixel."""
    shades = " .:-=+*#%@"
    for row in image.reshape(8, 8):
        print("    " + "".join(shades[int(v * 9)] * 2 for v in row))
    print(f"    label {label} -> one-hot {one_hot([label], n_classes=10)[0].astype(int).tolist()}")


def network():
    return Sequential([Dense(64, 64, random_state=0), ReLU(), Dense(64, 10, random_state=1), Softmax()],
                      name="digits_mlp")


def time_one_epoch(X, Y, batch_size):
    model = network()
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=1e-3))
    start = time.perf_counter()
    model.fit(X, Y, epochs=1, batch_size=batch_size, verbose=0, random_state=0)
    return time.perf_counter() - start


def confusion(y_true, y_pred, n_classes=10):
    matrix = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(matrix, (y_true, y_pred), 1)  # rows: true digit, columns: predicted digit
    return matrix


def print_confusion(matrix):
    print("confusion matrix (rows: true digit, columns: predicted digit):")
    print("      " + " ".join(f"{k:>3}" for k in range(10)))
    for k, row in enumerate(matrix):
        print(f"   {k:>2} " + " ".join(f"{v:>3}" if v else "  ." for v in row))


def plot(model, history, X_test, y_test, folder):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from numnet import plot as nnplot
    except ImportError:
        print("\n(figures need matplotlib: pip install \".[plot]\")")
        return
    shown = nnplot.confusion_matrix(model, X_test, y_test)
    shown.figure.savefig(folder / "digits_confusion.png", dpi=100)
    curves = nnplot.history(history)
    curves.figure.savefig(folder / "digits_history.png", dpi=100)
    for figure in (shown.figure, curves.figure):
        plt.close(figure)
    print(f"\nfigures: {folder / 'digits_confusion.png'}, {folder / 'digits_history.png'}")


def main():
    folder = output_folder()
    X, y = load_digits()  # pixels scaled to [0, 1]
    print(f"X {X.shape}: 1797 images, 64 pixel inputs each; y {y.shape}: digits 0-9")
    show_digit(X[0], y[0])
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    Y_train = one_hot(y_train, n_classes=10)
    print(f"training {X_train.shape} with one-hot targets {Y_train.shape}; held out {X_test.shape}")

    one, batch = time_one_epoch(X_train, Y_train, 1), time_one_epoch(X_train, Y_train, 32)
    print(f"one epoch, one image per step: {one:.2f}s ({len(X_train)} steps); mini-batches of 32: "
          f"{batch:.3f}s ({-(-len(X_train) // 32)} steps)")

    model = network()
    print()
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=1e-3), metrics=["accuracy"])
    history = model.fit(X_train, Y_train, epochs=25, batch_size=32, verbose=0, random_state=0,
                        validation_data=(X_test, one_hot(y_test, 10)))

    probabilities = model.predict(X_test)  # (n_test, 10): one probability per digit
    predicted = from_one_hot(probabilities)  # argmax of each row
    print(f"\nfirst test image: probabilities {np.round(probabilities[0], 2).tolist()}")
    print(f"argmax -> predicted digit {predicted[0]}, true digit {y_test[0]}")
    accuracy = float(np.mean(predicted == y_test))
    print(f"held-out accuracy: {accuracy:.3f} on {len(y_test)} images never seen in training")
    print_confusion(confusion(y_test, predicted))
    plot(model, history, X_test, y_test, folder)


if __name__ == "__main__":
    main()
