"""Tests for numnet.optimizers: updates against hand-written formulas, convergence,
clipping, in-place updates, dtypes, state and config round trips, schedules,
the registry and argument validation."""
import json
import math
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from numnet.optimizers import (SGD, Adagrad, Adam, AdamW, Constant, CosineDecay, ExponentialDecay,
                               InverseTimeDecay, Optimizer, RMSprop, Schedule, StepDecay,
                               clip_by_global_norm, global_norm)
from numnet.registry import OPTIMIZERS, SCHEDULES, serialize

P0 = np.array([0.5, -1.5, 2.0, 0.0])
G1 = np.array([0.3, -0.2, 0.0, -4.0])  # a zero entry exercises epsilon's role
G2 = np.array([-0.1, 0.4, 0.5, 2.0])

# One factory per optimizer variant, for the tests that hold for all of them.
FACTORIES = {
    "sgd": lambda: SGD(learning_rate=0.1),
    "sgd_momentum": lambda: SGD(learning_rate=0.1, momentum=0.9),
    "sgd_nesterov_decay": lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True,
                                      weight_decay=0.01),
    "adam": lambda: Adam(learning_rate=0.01),
    "adam_amsgrad": lambda: Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda: AdamW(learning_rate=0.01, weight_decay=0.1),
    "rmsprop": lambda: RMSprop(learning_rate=0.01),
    "rmsprop_momentum": lambda: RMSprop(learning_rate=0.01, momentum=0.9),
    "adagrad": lambda: Adagrad(learning_rate=0.1),
}
ALL = pytest.mark.parametrize("make", FACTORIES.values(), ids=FACTORIES.keys())


def two_steps(optimizer):
    """Run two steps from P0 with G1 then G2; return the parameters after each."""
    p = P0.copy()
    after = []
    for g in (G1, G2):
        optimizer.step([p], [g.copy()])
        after.append(p.copy())
    return after


def check_two_steps(optimizer, expected_1, expected_2):
    p1, p2 = two_steps(optimizer)
    assert_allclose(p1, expected_1, rtol=1e-12, atol=1e-15)
    assert_allclose(p2, expected_2, rtol=1e-12, atol=1e-15)


# -- one and two steps against the formulas ----------------------------------
def test_sgd_steps_match_formula():
    lr = 0.1
    p1 = P0 - lr * G1
    check_two_steps(SGD(learning_rate=lr), p1, p1 - lr * G2)


def test_sgd_momentum_steps_match_velocity_form():
    lr, mu = 0.1, 0.9
    v1 = -lr * G1
    p1 = P0 + v1
    v2 = mu * v1 - lr * G2
    check_two_steps(SGD(learning_rate=lr, momentum=mu), p1, p1 + v2)


def test_sgd_nesterov_steps_look_ahead_along_the_velocity():
    lr, mu = 0.1, 0.9
    v1 = -lr * G1
    p1 = P0 + mu * v1 - lr * G1
    v2 = mu * v1 - lr * G2
    check_two_steps(SGD(learning_rate=lr, momentum=mu, nesterov=True), p1, p1 + mu * v2 - lr * G2)


def test_sgd_weight_decay_adds_l2_gradient_before_momentum():
    lr, mu, wd = 0.1, 0.5, 0.2
    v1 = -lr * (G1 + wd * P0)
    p1 = P0 + v1
    v2 = mu * v1 - lr * (G2 + wd * p1)
    check_two_steps(SGD(learning_rate=lr, momentum=mu, weight_decay=wd), p1, p1 + v2)


def adam_reference(lr, b1, b2, eps, amsgrad=False, weight_decay=0.0):
    """Two Adam steps written out with whole-array float64 formulas."""
    p, m, v, v_max, out = P0.copy(), 0.0, 0.0, 0.0, []
    for t, g in enumerate((G1, G2), start=1):
        p = p - lr * weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        v_max = np.maximum(v_max, v)
        lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        p = p - lr_t * m / (np.sqrt(v_max if amsgrad else v) + eps)
        out.append(p)
    return out


def test_adam_steps_match_formula_with_folded_bias_correction():
    expected = adam_reference(0.01, 0.9, 0.999, 1e-7)
    check_two_steps(Adam(learning_rate=0.01), *expected)


def test_adam_first_step_moves_each_weight_by_about_the_learning_rate():
    p1, _ = two_steps(Adam(learning_rate=0.01))
    moved = np.abs(p1 - P0)
    assert_allclose(moved[G1 != 0], 0.01, rtol=1e-4)
    assert moved[G1 == 0] == 0


def test_adam_amsgrad_divides_by_the_largest_second_moment_so_far():
    # beta_2 = 0.5 makes v shrink at entry 3 between the steps (16 then 4).
    expected = adam_reference(0.01, 0.9, 0.5, 1e-7, amsgrad=True)
    check_two_steps(Adam(learning_rate=0.01, beta_2=0.5, amsgrad=True), *expected)
    assert not np.allclose(expected[1], adam_reference(0.01, 0.9, 0.5, 1e-7)[1])


def test_adamw_decays_weights_decoupled_from_the_adam_step():
    expected = adam_reference(0.01, 0.9, 0.999, 1e-7, weight_decay=0.1)
    check_two_steps(AdamW(learning_rate=0.01, weight_decay=0.1), *expected)


def test_rmsprop_steps_match_formula():
    lr, rho, eps = 0.01, 0.9, 1e-7
    s1 = (1 - rho) * G1 ** 2
    p1 = P0 - lr * G1 / (np.sqrt(s1) + eps)
    s2 = rho * s1 + (1 - rho) * G2 ** 2
    check_two_steps(RMSprop(learning_rate=lr, rho=rho), p1, p1 - lr * G2 / (np.sqrt(s2) + eps))


def test_rmsprop_momentum_steps_match_formula():
    lr, rho, mu, eps = 0.01, 0.8, 0.5, 1e-7
    s1 = (1 - rho) * G1 ** 2
    v1 = -lr * G1 / (np.sqrt(s1) + eps)
    p1 = P0 + v1
    s2 = rho * s1 + (1 - rho) * G2 ** 2
    v2 = mu * v1 - lr * G2 / (np.sqrt(s2) + eps)
    check_two_steps(RMSprop(learning_rate=lr, rho=rho, momentum=mu), p1, p1 + v2)


def test_adagrad_steps_match_formula():
    lr, a0, eps = 0.1, 0.1, 1e-7
    a1 = a0 + G1 ** 2
    p1 = P0 - lr * G1 / (np.sqrt(a1) + eps)
    a2 = a1 + G2 ** 2
    check_two_steps(Adagrad(learning_rate=lr, initial_accumulator_value=a0), p1,
                    p1 - lr * G2 / (np.sqrt(a2) + eps))


# -- convergence ---------------------------------------------------------------
A = np.array([[3.0, 1, 0], [1, 2, 0], [0, 1, 1], [1, 0, 2], [0.5, 0.5, 0.5]])
B = np.array([1.0, 2, 3, 4, 5])


@pytest.mark.parametrize("optimizer, n_steps", [
    (SGD(learning_rate=0.02), 500),
    (SGD(learning_rate=0.01, momentum=0.9), 400),
    (SGD(learning_rate=0.01, momentum=0.9, nesterov=True), 300),
    (Adam(learning_rate=0.05), 1000),
    (Adam(learning_rate=0.05, amsgrad=True), 1000),
    (AdamW(learning_rate=0.05, weight_decay=0.0), 1000),
    (RMSprop(learning_rate=CosineDecay(0.05, decay_steps=1000)), 1000),
    (RMSprop(learning_rate=CosineDecay(0.005, decay_steps=1000), momentum=0.9), 1000),
    (Adagrad(learning_rate=0.5), 1000),
], ids=["sgd", "sgd_momentum", "sgd_nesterov", "adam", "adam_amsgrad", "adamw",
        "rmsprop_cosine", "rmsprop_momentum_cosine", "adagrad"])
def test_optimizer_minimises_least_squares(optimizer, n_steps):
    p, grad = np.zeros(3), np.empty(3)
    for _ in range(n_steps):
        np.dot(A.T, A @ p - B, out=grad)  # d/dp ||A p - b||^2 = 2 A^T (A p - b)
        grad *= 2
        optimizer.step([p], [grad])
    assert_allclose(p, np.linalg.lstsq(A, B, rcond=None)[0], atol=1e-4)


# -- clipping ------------------------------------------------------------------
def test_clipnorm_rescales_all_grads_by_their_global_norm_in_place():
    params, grads = [np.zeros(2), np.zeros(1)], [np.array([3.0, 0.0]), np.array([4.0])]
    SGD(learning_rate=1.0, clipnorm=1.0).step(params, grads)
    assert_allclose(grads[0], [0.6, 0.0])
    assert_allclose(grads[1], [0.8])
    assert_allclose(params[0], [-0.6, 0.0])
    assert_allclose(params[1], [-0.8])


def test_clipnorm_leaves_grads_below_the_threshold_alone():
    grads = [np.array([3.0, 0.0]), np.array([4.0])]
    SGD(clipnorm=5.0).step([np.zeros(2), np.zeros(1)], grads)
    assert_array_equal(grads[0], [3.0, 0.0])
    assert_array_equal(grads[1], [4.0])


def test_clipvalue_clips_each_entry_then_clipnorm_rescales():
    p, g = np.zeros(3), np.array([3.0, -0.5, -5.0])
    SGD(learning_rate=1.0, clipvalue=1.0).step([p], [g])
    assert_array_equal(g, [1.0, -0.5, -1.0])
    assert_array_equal(p, [-1.0, 0.5, 1.0])
    g = np.array([3.0, 0.0, -5.0])
    SGD(clipvalue=1.0, clipnorm=1.0).step([np.zeros(3)], [g])
    assert_allclose(g, [math.sqrt(0.5), 0.0, -math.sqrt(0.5)])


def test_global_norm_survives_float32_squares_that_overflow():
    grads = [np.array([3e20], dtype=np.float32), np.array([4e20], dtype=np.float32)]
    assert global_norm(grads) == pytest.approx(5e20, rel=1e-6)
    assert clip_by_global_norm(grads, 1.0) == pytest.approx(5e20, rel=1e-6)
    assert_allclose(grads[0], [0.6], rtol=1e-6)


def test_clipnorm_leaves_nan_grads_unscaled():
    g = np.array([np.nan, 1.0])
    clip_by_global_norm([g], 0.5)
    assert g[1] == 1.0


# -- in place, views and dtypes --------------------------------------------------
@ALL
def test_step_updates_a_view_into_a_flat_buffer_in_place(make):
    flat = np.arange(10.0)
    view = flat[2:6]
    optimizer = make()
    optimizer.step([view], [G1.copy()])
    optimizer.step([view], [G2.copy()])
    assert_array_equal(flat[:2], [0.0, 1.0])
    assert_array_equal(flat[6:], [6.0, 7.0, 8.0, 9.0])
    assert_array_equal(flat[2:6], view)
    assert not np.array_equal(view, [2.0, 3.0, 4.0, 5.0])
    assert optimizer.iterations == 2


@ALL
def test_step_keeps_the_same_array_objects_for_several_params(make):
    params = [np.ones((3, 2)), np.ones(4)]
    ids = [id(p) for p in params]
    make().step(params, [np.full((3, 2), 0.5), G1.copy()])
    assert [id(p) for p in params] == ids
    assert not np.array_equal(params[0], np.ones((3, 2)))


@ALL
def test_float32_params_and_state_stay_float32(make):
    rng = np.random.default_rng(0)
    p32 = rng.normal(size=1000).astype(np.float32)
    p64 = p32.astype(np.float64)
    opt32, opt64 = make(), make()
    for _ in range(3):
        g = rng.normal(size=1000)
        opt32.step([p32], [g.astype(np.float32)])
        opt64.step([p64], [g])
    assert p32.dtype == np.float32
    assert all(a.dtype == np.float32 for k, a in opt32.get_state().items() if k != "iterations")
    assert_allclose(p32, p64, rtol=1e-4, atol=1e-5)


@ALL
def test_step_allocates_no_array_sized_temporaries(make):
    p, g = np.ones(100_000), np.full(100_000, 0.5)
    optimizer = make()
    optimizer.clipnorm = 1.0  # clipping must not allocate either
    optimizer.step([p], [g])  # the first step creates state and scratch
    tracemalloc.start()
    try:
        optimizer.step([p], [g])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < p.nbytes / 10


@ALL
def test_blockwise_update_of_large_arrays_is_bitwise_identical_to_whole_array(make):
    rng = np.random.default_rng(2)
    p_blocks = rng.normal(size=(50, 21))
    p_whole = p_blocks.copy()
    blocked, whole = make(), make()
    blocked.block_size, whole.block_size = 64, None  # 1050 entries: 16 blocks and a remainder
    for _ in range(3):
        g = rng.normal(size=(50, 21))
        blocked.step([p_blocks], [g.copy()])
        whole.step([p_whole], [g.copy()])
    assert_array_equal(p_blocks, p_whole)
    for key, value in whole.get_state().items():
        assert_array_equal(blocked.get_state()[key], value)


@ALL
def test_non_contiguous_and_fortran_ordered_arrays_are_updated_in_place(make):
    flat = np.zeros(400)
    strided, fortran = flat[::2], np.asfortranarray(np.ones((20, 10)))
    reference = [np.zeros(200), np.ones((20, 10))]
    optimizer, whole = make(), make()
    optimizer.block_size, whole.block_size = 16, None
    for _ in range(2):
        grads = [np.linspace(-1, 1, 200), np.full((20, 10), 0.3, order="F")]
        optimizer.step([strided, fortran], [g.copy() for g in grads])
        whole.step(reference, [np.ascontiguousarray(g) for g in grads])
    assert_array_equal(flat[::2], reference[0])
    assert_array_equal(flat[1::2], 0.0)
    assert_array_equal(fortran, reference[1])


# -- state -------------------------------------------------------------------------
@ALL
def test_set_state_continues_exactly_like_an_uninterrupted_run(make):
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=(2, 4)) for _ in range(6)]
    p_a, first = np.ones((2, 4)), make()
    for g in grads[:3]:
        first.step([p_a], [g.copy()])
    p_b, second = p_a.copy(), make()
    second.set_state(first.get_state())
    for g in grads[3:]:
        first.step([p_a], [g.copy()])
        second.step([p_b], [g.copy()])
    assert_array_equal(p_a, p_b)
    assert second.iterations == 6


def test_get_state_names_slots_by_position_and_returns_copies():
    optimizer = Adam()
    optimizer.step([np.ones(3), np.ones(2)], [np.ones(3), np.ones(2)])
    state = optimizer.get_state()
    assert set(state) == {"iterations", "0/m", "0/v", "1/m", "1/v"}
    assert state["iterations"].shape == () and state["iterations"].dtype == np.int64
    state["0/m"][:] = 99.0
    assert optimizer.get_state()["0/m"][0] != 99.0


def test_plain_sgd_has_no_state_but_iterations():
    optimizer = SGD()
    optimizer.step([np.ones(2)], [np.ones(2)])
    assert list(optimizer.get_state()) == ["iterations"]


def test_set_state_accepts_fortran_ordered_arrays_for_blockwise_updates():
    source, p_source = Adam(), np.ones((30, 10))
    source.step([p_source], [np.full((30, 10), 0.5)])
    state = {k: np.asfortranarray(v) if v.ndim else v for k, v in source.get_state().items()}
    target, p_target = Adam(), p_source.copy()
    target.block_size = source.block_size = 32
    target.set_state(state)
    for optimizer, p in ((source, p_source), (target, p_target)):
        optimizer.step([p], [np.full((30, 10), -0.2)])
    assert_array_equal(p_target, p_source)
    assert_array_equal(target.get_state()["0/m"], source.get_state()["0/m"])


def test_set_state_loads_float64_state_into_float32_params():
    source = Adam()
    source.step([np.ones(3)], [np.ones(3)])
    target, p = Adam(), np.ones(3, dtype=np.float32)
    target.set_state(source.get_state())
    target.step([p], [np.ones(3, dtype=np.float32)])
    assert target.get_state()["0/m"].dtype == np.float32


@pytest.mark.parametrize("state, error, match", [
    ({"0/m": np.zeros(2)}, ValueError, "no 'iterations' entry"),
    ({"iterations": np.array(1), "0/velocity": np.zeros(2)}, ValueError,
     "unexpected state entry '0/velocity' for Adam; expected 'iterations' and entries named "
     "'<i>/m', '<i>/v'"),
    ({"iterations": np.array(1), "0/m": np.zeros(2)}, ValueError, "lacks 0/v"),
    ({"iterations": np.array(-1)}, ValueError, "non-negative integer"),
    ({"iterations": np.array(1), "0/m": np.zeros(2, int), "0/v": np.zeros(2)}, TypeError,
     "floating-point"),
    ([("iterations", 1)], TypeError, "state must be the dict returned by get_state"),
])
def test_set_state_rejects_malformed_state(state, error, match):
    with pytest.raises(error, match=match):
        Adam().set_state(state)


def test_loaded_state_of_the_wrong_shape_fails_on_the_next_step():
    optimizer = Adam()
    optimizer.set_state({"iterations": np.array(1), "0/m": np.zeros(5), "0/v": np.zeros(5)})
    with pytest.raises(ValueError, match=r"state 0/m has shape \(5,\), but params\[0\] has"):
        optimizer.step([np.ones(3)], [np.ones(3)])


def test_changing_param_shapes_without_reset_is_an_error_and_reset_fixes_it():
    optimizer = Adam()
    optimizer.step([np.ones(3)], [np.ones(3)])
    with pytest.raises(ValueError, match=r"call optimizer.reset\(\)"):
        optimizer.step([np.ones(4)], [np.ones(4)])
    optimizer.reset()
    assert optimizer.iterations == 0 and list(optimizer.get_state()) == ["iterations"]
    p_fresh, p_reset = np.ones(4), np.ones(4)
    Adam().step([p_fresh], [G1.copy()])
    optimizer.step([p_reset], [G1.copy()])
    assert_array_equal(p_reset, p_fresh)


# -- configuration ---------------------------------------------------------------
@pytest.mark.parametrize("optimizer", [
    SGD(learning_rate=0.5, momentum=0.9, nesterov=True, weight_decay=1e-4, clipnorm=1.0),
    Adam(learning_rate=ExponentialDecay(0.01, decay_rate=0.5, decay_steps=2), amsgrad=True),
    AdamW(learning_rate=CosineDecay(0.01, decay_steps=10, alpha=0.1), weight_decay=0.01,
          clipvalue=0.5),
    RMSprop(learning_rate=StepDecay(0.01, drop=0.1, step_size=1), rho=0.8, momentum=0.5),
    Adagrad(learning_rate=InverseTimeDecay(0.1, decay_rate=0.5), initial_accumulator_value=0.0),
], ids=lambda o: type(o).__name__)
def test_config_round_trips_through_json_including_schedules(optimizer):
    config = json.loads(json.dumps(optimizer.get_config()))
    rebuilt = type(optimizer).from_config(config)
    assert rebuilt.get_config() == optimizer.get_config()
    via_registry = OPTIMIZERS.get(json.loads(json.dumps(serialize(optimizer))))
    assert type(via_registry) is type(optimizer)
    assert_array_equal(two_steps(rebuilt)[1], two_steps(optimizer)[1])


def test_schedule_is_stored_as_a_serialized_dict():
    config = SGD(learning_rate=Constant(0.1)).get_config()
    assert config["learning_rate"] == {"class_name": "Constant",
                                       "config": {"learning_rate": 0.1}}


# -- schedules --------------------------------------------------------------------
@pytest.mark.parametrize("schedule, steps, expected", [
    (Constant(0.1), [0, 1, 1000], [0.1, 0.1, 0.1]),
    (InverseTimeDecay(0.1, decay_rate=0.5, decay_steps=2), [0, 2, 4, 6],
     [0.1, 0.1 / 1.5, 0.1 / 2, 0.1 / 2.5]),
    (ExponentialDecay(0.1, decay_rate=0.5, decay_steps=10), [0, 5, 10, 20],
     [0.1, 0.1 * 0.5 ** 0.5, 0.05, 0.025]),
    (StepDecay(0.1, drop=0.5, step_size=10), [0, 9, 10, 19, 20, 35], [0.1, 0.1, 0.05, 0.05,
                                                                       0.025, 0.0125]),
    (CosineDecay(0.1, decay_steps=100), [0, 25, 50, 100, 150],
     [0.1, 0.1 * (1 + math.sqrt(0.5)) / 2, 0.05, 0.0, 0.0]),
    (CosineDecay(0.1, decay_steps=100, alpha=0.2), [0, 50, 100, 500], [0.1, 0.06, 0.02, 0.02]),
], ids=lambda x: type(x).__name__ if isinstance(x, Schedule) else None)
def test_schedule_values(schedule, steps, expected):
    assert [schedule(s) for s in steps] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_optimizer_calls_the_schedule_with_the_steps_taken_so_far():
    optimizer, p = SGD(learning_rate=StepDecay(1.0, drop=0.5, step_size=1)), np.zeros(1)
    rates = []
    for _ in range(3):
        rates.append(optimizer.current_learning_rate)
        optimizer.step([p], [np.ones(1)])
    assert rates == [1.0, 0.5, 0.25]
    assert_allclose(p, [-1.75])


def test_learning_rate_can_be_changed_between_steps_and_is_validated():
    optimizer = SGD(learning_rate=0.1)
    optimizer.learning_rate = 0.5
    assert optimizer.current_learning_rate == 0.5
    with pytest.raises(ValueError, match="learning_rate must be > 0, got -1.0"):
        optimizer.learning_rate = -1


@pytest.mark.parametrize("name, cls, required", [
    ("constant", Constant, {}),
    ("inverse_time", InverseTimeDecay, {"decay_rate": 1.0}),
    ("exponential", ExponentialDecay, {"decay_rate": 0.5, "decay_steps": 10}),
    ("step", StepDecay, {}),
    ("cosine", CosineDecay, {"decay_steps": 10}),
])
def test_schedules_are_registered_and_round_trip(name, cls, required):
    assert SCHEDULES.lookup(name) is cls
    schedule = SCHEDULES.get({"class_name": name, "config": {"learning_rate": 0.1, **required}})
    assert type(schedule) is cls
    assert cls.from_config(schedule.get_config()).get_config() == schedule.get_config()


# -- registry ---------------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [("sgd", SGD), ("adam", Adam), ("AdamW", AdamW),
                                       ("rmsprop", RMSprop), ("adagrad", Adagrad)])
def test_optimizers_are_found_by_name(name, cls):
    optimizer = OPTIMIZERS.get(name)
    assert type(optimizer) is cls and isinstance(optimizer, Optimizer)


def test_registry_passes_arguments_and_rejects_unknown_names():
    assert OPTIMIZERS.get("sgd", learning_rate=0.5).learning_rate == 0.5
    with pytest.raises(ValueError, match="Known optimizers: adagrad, adam, adamw, rmsprop, sgd. "
                                         "Did you mean 'adam'"):
        OPTIMIZERS.get("adamm")


# -- validation ---------------------------------------------------------------------
@pytest.mark.parametrize("make, error, match", [
    (lambda: SGD(learning_rate=0), ValueError, "learning_rate must be > 0, got 0.0"),
    (lambda: Adam(learning_rate=float("nan")), ValueError, "learning_rate must be > 0, got nan"),
    (lambda: SGD(learning_rate="fast"), TypeError, "learning_rate must be a real number"),
    (lambda: SGD(learning_rate=lambda step: 0.1), TypeError, "subclass numnet.optimizers.Schedule"),
    (lambda: SGD(momentum=1.5), ValueError, r"momentum must be in \[0, 1\], got 1.5"),
    (lambda: SGD(nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
    (lambda: SGD(nesterov="yes", momentum=0.9), TypeError, "nesterov must be True or False"),
    (lambda: SGD(weight_decay=-0.1), ValueError, "weight_decay must be >= 0, got -0.1"),
    (lambda: Adam(beta_1=1.0), ValueError, r"beta_1 must be in \[0, 1\), got 1.0"),
    (lambda: Adam(beta_2=-0.1), ValueError, r"beta_2 must be in \[0, 1\), got -0.1"),
    (lambda: Adam(epsilon=0), ValueError, "epsilon must be > 0, got 0.0"),
    (lambda: Adam(clipnorm=0), ValueError, "clipnorm must be > 0, got 0.0"),
    (lambda: Adam(clipvalue=-1), ValueError, "clipvalue must be > 0, got -1.0"),
    (lambda: AdamW(weight_decay=-1), ValueError, "weight_decay must be >= 0"),
    (lambda: RMSprop(rho=1), ValueError, r"rho must be in \[0, 1\), got 1.0"),
    (lambda: Adagrad(initial_accumulator_value=-0.1), ValueError,
     "initial_accumulator_value must be >= 0"),
    (lambda: ExponentialDecay(0.1, decay_rate=0, decay_steps=10), ValueError,
     r"decay_rate must be in \(0, 1\], got 0.0"),
    (lambda: CosineDecay(0.1, decay_steps=0), ValueError, "decay_steps must be > 0"),
    (lambda: CosineDecay(0.1, decay_steps=10, alpha=2), ValueError, r"alpha must be in \[0, 1\]"),
    (lambda: StepDecay(0.1, drop=2), ValueError, r"drop must be in \(0, 1\]"),
])
def test_bad_arguments_raise_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("params, grads, error, match", [
    (np.ones(2), np.ones(2), TypeError, r"params must be a list of arrays.*\[param\]"),
    ([np.ones(2)], [np.ones(2), np.ones(2)], ValueError, "1 params and 2 grads"),
    ([np.ones(2)], [np.ones(3)], ValueError, r"grads\[0\] has shape \(3,\), but params\[0\]"),
    ([np.ones(2, dtype=int)], [np.ones(2)], TypeError, r"params\[0\] must be a floating-point"),
    ([[1.0, 2.0]], [np.ones(2)], TypeError, r"params\[0\] must be a numpy array, got list"),
])
def test_step_rejects_mismatched_params_and_grads(params, grads, error, match):
    with pytest.raises(error, match=match):
        Adam().step(params, grads)


def test_a_bad_param_leaves_the_earlier_params_untouched():
    params = [np.ones(2), np.ones(2, dtype=int)]
    optimizer = SGD()
    with pytest.raises(TypeError, match=r"params\[1\]"):
        optimizer.step(params, [np.ones(2), np.ones(2)])
    assert_array_equal(params[0], [1.0, 1.0])
    assert optimizer.iterations == 0


def test_step_follows_new_arrays_put_into_the_same_lists():
    # step() reuses what it looked up while the loop passes the very same arrays; new ones are seen.
    params, grads = [np.ones(10)], [np.full(10, 0.5)]
    optimizer = SGD(learning_rate=0.1)
    optimizer.step(params, grads)
    np.testing.assert_allclose(params[0], 0.95)
    params[0] = np.ones(10)
    optimizer.step(params, grads)
    np.testing.assert_allclose(params[0], 0.95)
    grads[0] = np.full(10, 1.0)
    optimizer.step(params, grads)
    np.testing.assert_allclose(params[0], 0.85)
    params[0], grads[0] = np.ones(5), np.ones(5)
    with pytest.raises(ValueError, match="shape"):
        optimizer.step(params, grads)


def test_a_new_block_size_takes_effect_at_the_next_step_with_the_same_result():
    rng = np.random.default_rng(0)
    p, g = rng.standard_normal(1000), rng.standard_normal(1000)
    blocked, whole = Adam(), Adam()
    q = p.copy()
    for block_size in (100, 64, None, 300):
        blocked.block_size = block_size
        blocked.step([p], [g])
        whole.step([q], [g])
        update = blocked._plan[3][0]  # (param, grad, slots, scratch), or a list of them per block
        first_param = update[0] if type(update) is tuple else update[0][0]
        assert first_param.size == (1000 if block_size is None else block_size)
    np.testing.assert_array_equal(p, q)


# -- subnormal-bound values are flushed to 0 every 16 steps ------------------------------
def _with_tiny_state(opt):
    param, grad = np.ones(8, np.float32), np.zeros(8, np.float32)
    opt.step([param], [grad])  # makes the state
    opt._slots[0]["m"][:4] = 1e-33  # below float32's tiny * 2**24: on the way to subnormal
    opt._slots[0]["m"][4:6] = 1e-3
    opt._slots[0]["m"][6:] = 0.0
    param[6:] = 1e-34  # where m and v are 0, so that the steps leave it as it is
    return param, grad


def test_optimizer_flushes_tiny_state_and_parameters_to_zero_every_16_steps():
    opt = Adam(learning_rate=1e-3)
    param, grad = _with_tiny_state(opt)
    while opt.iterations % 16:
        opt.step([param], [grad])
    assert np.all(opt._slots[0]["m"][:4] == 0) and np.all(param[6:] == 0)
    assert np.all(opt._slots[0]["m"][4:6] > 0) and np.all(param[:6] != 0)  # the rest untouched


def test_an_optimizer_pickled_before_flush_masks_existed_still_flushes():
    import pickle

    opt = Adam(learning_rate=1e-3)
    param, grad = _with_tiny_state(opt)
    state = opt.__getstate__()
    assert state["_flush_masks"] == {}  # scratch space, never pickled
    del state["_flush_masks"]
    old = Adam.__new__(Adam)
    old.__dict__.update(state)  # what unpickling an older optimizer makes
    old = pickle.loads(pickle.dumps(old))
    while old.iterations % 16:
        old.step([param], [grad])
    assert np.all(old._slots[0]["m"][:4] == 0)


def test_float16_parameters_are_not_flushed():
    # float16's tiny * 2**24 is 1024: flushing would zero real weights (NumPy computes float16
    # in float32, where its subnormals are normal, so there is nothing to flush for).
    opt = SGD(learning_rate=0.1, momentum=0.9)
    param, grad = np.array([0.5, 3.0, -200.0, 1e-6], np.float16), np.zeros(4, np.float16)
    before = param.copy()
    for _ in range(32):
        opt.step([param], [grad])
    assert_array_equal(param, before)


@pytest.mark.skipif(np.finfo(np.longdouble).tiny >= np.finfo(np.float64).tiny,
                    reason="long double is float64 on this platform")
def test_long_double_state_is_flushed_in_its_own_range():
    opt = Adam(learning_rate=1e-3)
    param, grad = np.ones(3, np.longdouble), np.zeros(3, np.longdouble)
    opt.step([param], [grad])
    opt._slots[0]["m"][:] = [np.longdouble("1e-4930"), np.longdouble("1e-4000"), np.longdouble("1e-3")]
    while opt.iterations % 16:
        opt.step([param], [grad])
    m = opt._slots[0]["m"]
    assert m[0] == 0 and m[1] != 0 and m[2] != 0  # 1e-4000 is far above long double's tiny * 2**24
