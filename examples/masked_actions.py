"""Action masking: a policy-style classifier that never picks an illegal action.

Each sample is a game state (8 numbers) with a 0/1 mask over 10 actions
saying which are legal there. The right answer is the legal action with the
highest (hidden) value. A network ending in ``MaskedSoftmax`` gets the mask
with every batch (``fit(X, y, mask=M)``, ``predict(X, mask=M)``): its
probabilities for illegal actions are exactly 0, so it cannot choose one.
For comparison, the same network with a plain ``Softmax`` is trained twice:
without the mask, and with the mask appended to the inputs as 10 extra
features (a common workaround). Both pick illegal actions on held-out states.

Run:  python examples/masked_actions.py [OUTPUT_FOLDER]
With a folder, the figures are also written to OUTPUT_FOLDER/masked_actions.json.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from numnet import Dense, MaskedSoftmax, ReLU, Sequential, Softmax

N_FEATURES, N_ACTIONS = 8, 10


def make_states(n_samples: int, rng: np.random.Generator, values: np.ndarray):
    """States X (n, 8), legal-action masks M (n, 10) and the best legal action y (n,)."""
    X = rng.normal(size=(n_samples, N_FEATURES))
    M = rng.random((n_samples, N_ACTIONS)) < 0.5
    M[np.arange(n_samples), rng.integers(0, N_ACTIONS, n_samples)] = True  # at least one legal
    Q = np.tanh(X @ values)  # the hidden value of each action in each state
    y = np.argmax(np.where(M, Q, -np.inf), axis=1)
    return X, M.astype(np.int8), y  # masks as 0/1 numbers, as a game engine would give them


def train(last_layer, X, y, M=None, seed=0):
    model = Sequential([Dense(X.shape[1], 64, random_state=seed), ReLU(),
                        Dense(64, N_ACTIONS, random_state=seed + 1), last_layer])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(X, y, mask=M, epochs=30, batch_size=64, verbose=0, random_state=seed)
    return model


def main(out_dir: str | None = None) -> dict:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(N_FEATURES, N_ACTIONS))
    X, M, y = make_states(4000, rng, values)
    X_test, M_test, y_test = make_states(1000, rng, values)

    masked = train(MaskedSoftmax(), X, y, M)
    plain = train(Softmax(), X, y)
    as_features = train(Softmax(), np.hstack([X, M]), y)

    P = masked.predict(X_test, mask=M_test)
    chosen = P.argmax(axis=1)
    plain_chosen = plain.predict(X_test).argmax(axis=1)
    features_chosen = as_features.predict(np.hstack([X_test, M_test])).argmax(axis=1)
    legal = M_test.astype(bool)
    rows = np.arange(len(y_test))
    results = {
        "test_accuracy_masked": float(np.mean(chosen == y_test)),
        "test_accuracy_unmasked": float(np.mean(plain_chosen == y_test)),
        "test_accuracy_mask_as_features": float(np.mean(features_chosen == y_test)),
        "masked_actions_chosen_masked": int(np.sum(~legal[rows, chosen])),
        "masked_actions_chosen_unmasked": int(np.sum(~legal[rows, plain_chosen])),
        "masked_actions_chosen_mask_as_features": int(np.sum(~legal[rows, features_chosen])),
        "largest_masked_probability": float(P[~legal].max()),
        "largest_row_sum_error": float(np.abs(P.sum(axis=1) - 1.0).max()),
        "fully_masked_row": masked.predict(X_test[:1], mask=np.zeros((1, N_ACTIONS))).tolist()[0],
    }
    report(results, P, M_test)
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / "masked_actions.json").write_text(json.dumps(results, indent=2))
    return results


def report(results: dict, P: np.ndarray, M: np.ndarray) -> None:
    n = len(P)
    print(f"held-out accuracy, MaskedSoftmax with masks: {results['test_accuracy_masked']:.3f}")
    print(f"held-out accuracy, plain Softmax, no masks:  {results['test_accuracy_unmasked']:.3f}")
    print(f"held-out accuracy, plain Softmax, mask as 10 input features: "
          f"{results['test_accuracy_mask_as_features']:.3f}")
    print(f"masked actions chosen, MaskedSoftmax: {results['masked_actions_chosen_masked']} of {n}")
    print(f"masked actions chosen, plain Softmax, no masks: "
          f"{results['masked_actions_chosen_unmasked']} of {n}")
    print(f"masked actions chosen, plain Softmax, mask as input features: "
          f"{results['masked_actions_chosen_mask_as_features']} of {n}")
    print(f"largest probability of a masked action: {results['largest_masked_probability']!r} "
          f"(exactly 0: {results['largest_masked_probability'] == 0.0})")
    print(f"largest |row sum - 1| over allowed actions: {results['largest_row_sum_error']:.2e}")
    legal = M[0].astype(bool)
    print(f"one held-out state, mask {M[0].tolist()}:")
    print(f"  masked actions {np.flatnonzero(~legal).tolist()} get {P[0, ~legal].tolist()}")
    print(f"  legal actions {np.flatnonzero(legal).tolist()} get "
          f"[{', '.join(f'{p:.3g}' for p in P[0, legal])}] (sum {P[0, legal].sum():.6f})")
    print(f"fully masked row gives: {results['fully_masked_row']}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
