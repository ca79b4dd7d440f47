"""validation_split that cannot mislead (issue 13 item 5): warn on skewed classes, split at random on request."""
import warnings

import numpy as np
import pytest

from numnet import Dense, ReLU, Sequential, Softmax, one_hot, spiral_data
from numnet.model.validation_split import ValidationSplitWarning, class_shares, split_mismatch


def net(random_state=0):
    return Sequential([Dense(2, 16), ReLU(), Dense(16, 3), Softmax()], random_state=random_state).compile(
        optimizer="adam", metrics=["accuracy"])


def fit_quietly(model, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ValidationSplitWarning)  # these fits must not warn
        return model.fit(X, y, verbose=0, **kwargs)


def test_sorted_spiral_data_warns_and_names_the_unseen_class():
    X, y = spiral_data(20, 3, random_state=0)  # rows sorted class after class
    with pytest.warns(ValidationSplitWarning, match=r"classes \[2\] that the training part never sees.*"
                                                    r"shuffle_before_split=True"):
        net().fit(X, y, epochs=1, validation_split=0.34, verbose=0)


def test_skewed_shares_warn_even_when_every_class_is_seen():
    X, y = spiral_data(40, 2, random_state=0)
    # class 1 fills the last 30 % of rows: 20 % of validation rows are class 0, 71 % of training rows
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    with pytest.warns(ValidationSplitWarning, match=r"distribution unlike the training part's.*"
                                                    r"class 0: \d+% of training rows, 0% of validation rows"):
        net().fit(X, y, epochs=1, validation_split=0.3, verbose=0)


def test_one_hot_targets_are_checked_too():
    X, y = spiral_data(20, 3, random_state=0)
    with pytest.warns(ValidationSplitWarning, match=r"classes \[2\]"):
        net().fit(X, one_hot(y, 3), epochs=1, validation_split=0.34, verbose=0)


def test_shuffled_data_does_not_warn():
    X, y = spiral_data(100, 3, random_state=0)
    order = np.random.default_rng(1).permutation(len(y))
    fit_quietly(net(), X[order], y[order], epochs=1, validation_split=0.2)


def test_regression_targets_are_never_flagged():
    assert split_mismatch(np.linspace(0, 1, 80), np.linspace(5, 6, 20)) == []
    assert class_shares(np.zeros((5, 1))) is None


def test_shuffle_before_split_makes_validation_agree_with_training():
    from numnet import Adam

    X, y = spiral_data(100, 3, random_state=0)

    def gap(**kwargs):
        model = Sequential([Dense(2, 64), ReLU(), Dense(64, 3), Softmax()], random_state=0)
        model.compile(optimizer=Adam(0.05), metrics=["accuracy"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ValidationSplitWarning)
            logs = model.fit(X, y, epochs=40, validation_split=0.2, verbose=0, **kwargs).history
        return logs["accuracy"][-1] - logs["val_accuracy"][-1], logs["val_accuracy"][-1]

    sorted_gap, sorted_val = gap()
    assert sorted_val == 0.0 and sorted_gap > 0.5  # the issue: val_accuracy 0.0000 every epoch
    shuffled_gap, _ = gap(shuffle_before_split=True)
    assert abs(shuffled_gap) < 0.2


def test_shuffle_before_split_is_reproducible_from_the_model_seed_alone():
    X, y = spiral_data(30, 3, random_state=0)
    runs = [fit_quietly(net(random_state=7), X, y, epochs=2, validation_split=0.25,
                        shuffle_before_split=True).history["val_loss"] for _ in range(2)]
    assert runs[0] == runs[1]
    other = fit_quietly(net(random_state=8), X, y, epochs=2, validation_split=0.25, shuffle_before_split=True)
    assert other.history["val_loss"] != runs[0]


def test_shuffle_before_split_follows_the_fit_seed():
    X, y = spiral_data(30, 3, random_state=0)
    a = fit_quietly(net(), X, y, epochs=1, validation_split=0.25, shuffle_before_split=True, random_state=3)
    b = fit_quietly(net(), X, y, epochs=1, validation_split=0.25, shuffle_before_split=True, random_state=3)
    assert a.history["val_loss"] == b.history["val_loss"]


def test_chance_differences_of_a_random_split_are_not_flagged():
    rng = np.random.default_rng(0)
    flagged = 0
    for _ in range(200):
        y = rng.integers(0, 3, size=300)
        flagged += bool(split_mismatch(y[:240], y[240:]))
    assert flagged <= 2  # a 4-standard-error rule: false alarms are rare
