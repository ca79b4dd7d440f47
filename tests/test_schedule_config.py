"""Schedules write their config once, in the base class, from their constructor's arguments."""
import pytest

from numnet.optimizers import SGD, Schedule
from numnet.optimizers.schedules import (Constant, CosineDecay, ExponentialDecay, InverseTimeDecay,
                                         StepDecay)
from numnet.registry import SCHEDULES, deserialize, serialize


@pytest.mark.parametrize("schedule, config", [
    (Constant(0.1), {"learning_rate": 0.1}),
    (InverseTimeDecay(0.1, 0.5, 10), {"learning_rate": 0.1, "decay_rate": 0.5, "decay_steps": 10.0}),
    (ExponentialDecay(0.1, 0.5, 10), {"learning_rate": 0.1, "decay_rate": 0.5, "decay_steps": 10.0}),
    (StepDecay(0.1), {"learning_rate": 0.1, "drop": 0.5, "step_size": 10.0}),
    (CosineDecay(0.1, 100, alpha=0.1), {"learning_rate": 0.1, "decay_steps": 100.0, "alpha": 0.1}),
])
def test_config_is_the_constructor_arguments_and_round_trips(schedule, config):
    assert schedule.get_config() == config
    again = deserialize(serialize(schedule), SCHEDULES)
    assert type(again) is type(schedule) and again.get_config() == config
    assert [again(step) for step in (0, 7, 50)] == [schedule(step) for step in (0, 7, 50)]


def test_a_user_schedule_gets_get_config_and_repr_for_free():
    class Halving(Schedule):
        def __init__(self, start, every=10):
            self.start, self.every = start, every

        def __call__(self, step):
            return self.start * 0.5 ** (step // self.every)

    schedule = Halving(0.2, every=5)
    assert schedule.get_config() == {"start": 0.2, "every": 5}
    assert repr(schedule) == "Halving(start=0.2, every=5)"
    assert SGD(learning_rate=schedule).current_learning_rate == 0.2


def test_a_user_schedule_that_renames_its_arguments_is_told_what_to_do():
    class Renamed(Schedule):
        def __init__(self, rate):
            self.lr = rate

        def __call__(self, step):
            return self.lr

    with pytest.raises(NotImplementedError, match=r"Renamed keeps no attribute 'rate'; store each "
                                                  r"constructor argument under its own name"):
        Renamed(0.1).get_config()


def test_a_schedule_without_its_own_init_has_an_empty_config():
    class Fixed(Schedule):
        def __call__(self, step):
            return 0.01

    assert Fixed().get_config() == {}
