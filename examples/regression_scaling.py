"""Question 3: why does my regression cost explode?

A network with 11 inputs, 11 sigmoid hidden units and 1 identity output is
trained by full-batch gradient descent on m = 4527 examples, with the cost
J = sum((z2 - y)**2) / (2m). With or without feature scaling, the plotted cost
was of order 1e12 and never settled. What is wrong?

Answer: the scale of the data. With features up to ~1e5 and targets around
1e6, the gradients are huge, so a learning rate that suits unit-scale data
makes gradient descent diverge (numnet stops and says why). Scaling only the
features is not enough: targets of ~1e6 still produce huge output gradients
that push every sigmoid into saturation, and the network learns nothing but
the mean (J stays near var(y) / 2, ~1e10). Standardise the features *and*
the target, train, and undo the target scaling on the predictions.

Run:  python examples/regression_scaling.py [OUTPUT_FOLDER]   (default ./example-output)
"""
import sys
import warnings
from pathlib import Path

import numpy as np

from numnet import SGD, Dense, Sequential, Sigmoid, TrainingDivergedError, train_test_split

EPOCHS = 500  # full-batch: one gradient step per epoch


def output_folder() -> Path:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "example-output")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def make_data(m=4527, random_state=0):
    """11 features on scales from 1 to 1e5 and a target around 1e6 (think house prices)."""
    rng = np.random.default_rng(random_state)
    Z = rng.standard_normal((m, 11))
    scales = np.array([1, 5, 10, 50, 100, 500, 1e3, 5e3, 1e4, 5e4, 1e5])
    X = np.abs(0.5 * Z + 2.0) * scales
    coef = rng.uniform(-1, 1, 11)
    y = 1e6 + 2e5 * (Z @ coef) / np.sqrt(11) + 1e5 * np.tanh(Z[:, 0] * Z[:, 1])
    y += 2e4 * rng.standard_normal(m)
    return X, y.reshape(-1, 1)


def network(learning_rate):
    """11 inputs -> 11 sigmoid units -> 1 identity output, plain gradient descent."""
    model = Sequential([Dense(11, 11, random_state=0), Sigmoid(), Dense(11, 1, random_state=1)])
    model.compile(loss="mse", optimizer=SGD(learning_rate=learning_rate))
    return model


def train(X, y, learning_rate, label):
    """Full-batch training; returns the model (its history survives a divergence) and the error."""
    model, error = network(learning_rate), None
    print(f"\n{label}  (learning rate {learning_rate})")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(X, y, epochs=EPOCHS, batch_size=len(X), shuffle=False, verbose=0)
        except TrainingDivergedError as exc:
            print(f"  TrainingDivergedError: {exc}")
            error = exc
    for warning in caught:
        if issubclass(warning.category, RuntimeWarning):  # NumPy's overflow notes while diverging
            continue
        print(f"  {type(warning.message).__name__}: {str(warning.message)[:160]}...")
    losses = model.history.history["loss"]
    print(f"  {len(losses)} epochs; cost J = MSE/2 went from {losses[0] / 2:.3g} to {losses[-1] / 2:.3g}")
    return model, error


def report_scaled(model, X_test, y_test, x_mean, x_std, y_mean, y_std):
    """Predict on new data with the *training* mean and std, then undo the target scaling."""
    y_pred = model.predict((X_test - x_mean) / x_std) * y_std + y_mean
    rmse = float(np.sqrt(np.mean((y_pred - y_test) ** 2)))
    r2 = 1.0 - float(np.sum((y_pred - y_test) ** 2) / np.sum((y_test - y_test.mean()) ** 2))
    print(f"  held-out data, original units: R^2 = {r2:.3f}, RMSE = {rmse:,.0f} (y is around 1e6, "
          f"std {y_test.std():,.0f})")


def diagnose_stuck(model, X, y):
    try:
        from numnet.plot import diagnose
    except ImportError:
        return
    report = diagnose(model, X[:500], y[:500])
    print("  " + str(report).replace("\n", "\n  "))


def plot(models, error, folder):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from numnet import plot as nnplot
    except ImportError:
        print("\n(the cost curves need matplotlib: pip install \".[plot]\")")
        return
    figure, axes = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained")
    for ax, (title, model) in zip(axes, models.items()):
        nnplot.history(model.history, ax=ax, title=title, log_scale=True)
        ax.set_ylabel("MSE = 2 J (log scale)")
    if error is not None:
        axes[0].annotate(f"epoch {error.epoch + 1}: loss = inf,\nTrainingDivergedError",
                         xy=(0.97, 0.1), xycoords="axes fraction", ha="right", fontsize=9, color="darkred")
    path = folder / "regression_scaling.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"\ncost curves: {path}")


def main():
    folder = output_folder()
    X, y = make_data()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    print(f"X {X_train.shape}: |x| up to {np.abs(X_train).max():.3g}; y around {y_train.mean():.3g} "
          f"(std {y_train.std():.3g})")

    raw, error = train(X_train, y_train, 0.5, "1. unscaled X and y")
    x_mean, x_std = X_train.mean(axis=0), X_train.std(axis=0)
    Xs = (X_train - x_mean) / x_std
    features_only, _ = train(Xs, y_train, 0.1, "2. standardised X, unscaled y, 5x smaller learning rate")
    print(f"  J stays near var(y)/2 = {y_train.var() / 2:.3g}: the network only learned the mean")
    diagnose_stuck(features_only, Xs, y_train)
    y_mean, y_std = y_train.mean(), y_train.std()
    both, _ = train(Xs, (y_train - y_mean) / y_std, 0.5, "3. standardised X and y")
    report_scaled(both, X_test, y_test, x_mean, x_std, y_mean, y_std)
    plot({"1. unscaled: diverges": raw, "2. only X scaled: stuck at the mean": features_only,
          "3. X and y standardised: converges": both}, error, folder)
    print("\nAdvice: standardise every feature and the target (keep the training mean/std for new "
          "data), then tune the learning rate; if the cost still grows, lower it 10x or clip "
          "gradients. A bias gradient must sum over the samples (axis 0), giving shape (n_units,).")


if __name__ == "__main__":
    main()
