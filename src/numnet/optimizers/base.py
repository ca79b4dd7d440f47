"""The optimizer contract, and gradient clipping.

``optimizer.step(params, grads)`` updates every array in ``params`` **in
place** from the matching array in ``grads``. A model hands over one flat
parameter buffer and one flat gradient buffer (``params=[flat]``), and the
layers hold views into those buffers, so an update must write into the arrays
it is given and never rebind them: ``p -= update``, never ``p = p - update``.

Optimizer state (moment estimates) lives in the optimizer, keyed by the
position ``i`` of each array in ``params``; it is created on the first step
with that array's shape and dtype. Each position also gets one scratch array,
reused every step, so that a step allocates nothing: the updates are written
as a handful of in-place NumPy calls with ``out=``. Large arrays are updated
in cache-sized blocks (see ``Optimizer.block_size``).
"""
from __future__ import annotations

import math
import operator
from collections.abc import Mapping

import numpy as np

from numnet import _kernels as kernels
from numnet._validation import check_number
from numnet.optimizers.schedules import Schedule
from numnet.registry import SCHEDULES, deserialize, serialize


def global_norm(grads: list[np.ndarray]) -> float:
    """Return the L2 norm of all of ``grads`` taken together, as one vector.

    Parameters
    ----------
    grads : list of ndarray
        Arrays of any shapes.

    Returns
    -------
    float
        ``sqrt(sum over arrays of sum(g ** 2))``.
    """
    # np.dot of a contiguous array with itself is one BLAS call with no
    # temporary array, where np.sum(g * g) would allocate a full copy.
    with np.errstate(over="ignore"):  # overflow is handled just below
        total = sum(_sum_of_squares(g.ravel()) for g in grads)
    if math.isinf(total):
        # Squares of huge (> 1e19) float32 entries overflow to inf even when
        # the entries are finite; redo that rare case in float64.
        total = sum(_sum_of_squares(g.astype(np.float64).ravel()) for g in grads)
    return math.sqrt(total)


def _sum_of_squares(flat: np.ndarray) -> float:
    return float(np.dot(flat, flat))


def clip_by_value(grads: list[np.ndarray], clipvalue: float) -> None:
    """Clip every entry of every array in ``grads`` to ``[-clipvalue, clipvalue]``, in place."""
    for g in grads:
        np.clip(g, -clipvalue, clipvalue, out=g)


def clip_by_global_norm(grads: list[np.ndarray], clipnorm: float) -> float:
    """Rescale ``grads`` in place so that their global norm is at most ``clipnorm``.

    All arrays are scaled by the same factor ``clipnorm / global_norm``, so the
    direction of the full gradient is kept. Gradients holding NaN or inf are
    left as they are: no rescaling can make them useful.

    Returns
    -------
    float
        The global norm before clipping.
    """
    norm = global_norm(grads)
    if math.isfinite(norm) and norm > clipnorm:
        factor = clipnorm / norm
        for g in grads:
            g *= factor
    return norm


class Optimizer:
    """Base class of all optimizers.

    Parameters
    ----------
    learning_rate : float or Schedule, default=0.001
        The step size, > 0, or a :class:`~numnet.optimizers.Schedule` called
        with the step count before each step.
    clipnorm : float, optional
        If set, gradients are rescaled so that their global L2 norm (over all
        arrays together) is at most ``clipnorm``.
    clipvalue : float, optional
        If set, each gradient entry is clipped to ``[-clipvalue, clipvalue]``.
        When both are set, ``clipvalue`` is applied first.

    Attributes
    ----------
    iterations : int
        The number of :meth:`step` calls since creation or :meth:`reset`.
    slot_names : tuple of str
        The names of the state arrays kept for each parameter array.

    Notes
    -----
    Subclasses set ``slot_names`` and implement :meth:`_update`, which updates
    one parameter array in place; the base class does validation, clipping,
    state bookkeeping, the learning-rate schedule and the step counter.
    """

    _plan: tuple | None = None  # see _updates_for


    slot_names: tuple[str, ...] = ()  # a class attribute, or a property in a subclass

    #: Contiguous arrays with more entries than this are updated block by
    #: block (cache blocking). An update makes about a dozen passes over its
    #: arrays; on a whole 1e6-entry array each pass streams megabytes from main
    #: memory, while a block of 65536 float32 entries (256 KiB per array) stays
    #: in the CPU's L2 cache across the passes. On a 2-core VM that made Adam
    #: on 1e6 float32 entries about 1.2x faster (3.7 ms -> 3.1 ms a step); the
    #: gain depends on the CPU (on a later AMD EPYC VM with 1 MiB of L2, none:
    #: 4.5 ms a step on 1.6e6 entries with blocks of 8K to 128K or without).
    #: Results are bitwise identical to one
    #: whole-array update, since every operation is elementwise. None turns
    #: blocking off.
    block_size: int | None = 65536

    #: Arrays of at least this many blocks are updated on two threads, half
    #: the blocks each (NumPy releases the GIL in elementwise loops, and an
    #: update is memory-bound). Results are bitwise the same: each entry sees
    #: the same operations. Off (None) by default: measured on 2 cores with
    #: BLAS using both for the matrix products, the split made a W3 epoch 10 %
    #: slower (1.46 s against 1.33 s serial) and W4 no faster; set it (e.g. 3)
    #: where spare cores sit idle during the update.
    parallel_min_blocks: int | None = None

    def __init__(self, learning_rate: float | Schedule = 0.001, clipnorm: float | None = None, clipvalue: float | None = None) -> None:
        self.learning_rate = learning_rate
        self.clipnorm = check_number(clipnorm, "clipnorm", low=0, low_open=True, allow_none=True)
        self.clipvalue = check_number(clipvalue, "clipvalue", low=0, low_open=True, allow_none=True)
        self.reset()

    # -- learning rate -------------------------------------------------------
    @property
    def learning_rate(self) -> float | Schedule:
        """The learning rate: a float or a Schedule. Setting it validates the value."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._learning_rate = _check_learning_rate(value)

    @property
    def current_learning_rate(self) -> float:
        """The rate the next step will use: ``schedule(iterations)`` or the float."""
        rate = self._learning_rate
        return float(rate(self.iterations)) if isinstance(rate, Schedule) else rate

    # -- the update ----------------------------------------------------------
    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update each ``params[i]`` in place from ``grads[i]``, then count the step.

        Parameters
        ----------
        params : list of ndarray
            Floating-point arrays, updated in place (they may be views).
        grads : list of ndarray
            ``dL/dparams[i]``, same shapes as ``params``. Clipping, when set,
            modifies these arrays in place.
        """
        updates = self._updates_for(params, grads)  # checks the arguments when they are new
        if self.clipvalue is not None:
            clip_by_value(grads, self.clipvalue)
        if self.clipnorm is not None:
            clip_by_global_norm(grads, self.clipnorm)
        lr = self.current_learning_rate
        for update in updates:
            if type(update) is tuple:  # (param, grad, slots, scratch): one call
                param, grad, slots, scratch = update
                self._update(param, grad, slots, scratch, lr)
            else:  # a list of such tuples, one per block
                self._update_blocks(update, lr)
        self.iterations += 1
        if self.iterations % _FLUSH_EVERY == 0:
            self._flush_tiny_values(params)

    def _flush_tiny_values(self, params: list[np.ndarray]) -> None:
        """Set state and parameter entries too small to matter to exactly 0.

        A moment whose gradient stays 0 (a dead ReLU) decays geometrically
        (``m *= beta_1``) into the subnormal range, and so does a weight pulled
        to 0 by an L2 penalty; every arithmetic operation on a subnormal float
        is 10-100x slower on x86 CPUs (measured: Adam steps 2.5x slower late in
        training, a whole float32 fit with ``alpha`` 1.7x slower). Below
        ``tiny * 2**24`` (about 2e-31 in float32) an entry changes no output or
        update by a representable amount, and from there it needs more than
        ``_FLUSH_EVERY`` steps to become subnormal. Done every ``_FLUSH_EVERY``
        steps, it costs well under one NumPy call per step.
        """
        masks = vars(self).setdefault("_flush_masks", {})  # (an optimizer pickled before they existed)
        for i, param in enumerate(params):
            # Position i's scratch array and a boolean array of its shape hold the temporaries.
            scratch, mask = self._scratch.get(i), masks.get(i)
            if scratch is None or scratch.shape != param.shape or scratch.dtype != param.dtype:
                scratch = mask = None  # no scratch made for it yet: NumPy makes the temporaries
            elif mask is None or mask.shape != param.shape:
                mask = masks[i] = np.empty(param.shape, bool)
            kernels.flush_tiny([*self._slots.get(i, {}).values(), param], scratch, mask)

    def _updates_for(self, params, grads) -> list:
        """What one step updates: per position ``(param, grad, slots, scratch)``, or a list of
        them, one per block.

        Made when the step sees new arrays or new state, and reused while the training
        loop passes the very same arrays: looking everything up again costs a few
        microseconds a step, a noticeable share on a small network.
        """
        plan = self._plan
        if plan is not None:
            key = plan[0]
            if key[0] is params and key[1] is grads and key[2] is self._scratch and key[3] == self.block_size:
                # The very same tuples hold the very same arrays (numnet's training loop passes
                # tuples); the same lists may have had items replaced since.
                if type(params) is tuple and type(grads) is tuple:
                    return plan[3]
                if (len(plan[1]) == len(params) and all(map(operator.is_, plan[1], params))
                        and all(map(operator.is_, plan[2], grads))):
                    return plan[3]
        # A training loop passes the same two lists of the same arrays every step: they are
        # checked here, when the plan is made, not per batch.
        _check_step_args(params, grads)
        # Prepare every position before updating any, so that an error leaves
        # all parameters untouched.
        scratches = [self._scratch_for(i, param) for i, param in enumerate(params)]
        updates = []
        for i, (param, grad, scratch) in enumerate(zip(params, grads, scratches)):
            blocks = self._blocks_for(i, param, grad, scratch)
            updates.append((param, grad, self._slots[i], scratch) if blocks is None else blocks)
        self._plan = ((params, grads, self._scratch, self.block_size), tuple(params), tuple(grads), updates)
        return updates

    def _scratch_for(self, i: int, param: np.ndarray) -> np.ndarray:
        """Return position ``i``'s scratch array, creating its state on first use."""
        scratch = self._scratch.get(i)
        # The state is checked against the parameter once, when the scratch
        # array is made; later steps only compare shape and dtype.
        if scratch is None or scratch.shape != param.shape or scratch.dtype != param.dtype:
            scratch = self._prepare_position(i, param)
        return scratch

    def _blocks_for(self, i: int, param, grad, scratch):
        """``(param, grad, slots, scratch)`` views per block of position ``i``, or None (one call).

        Cached per position: slicing a dozen views costs a few microseconds
        every step. The cache is keyed on the very arrays (and the block size);
        new state always comes with a new scratch array, so it misses then.
        """
        key = (param, grad, scratch, self.block_size)
        cached = self._block_cache.get(i)
        if cached is not None:
            old = cached[0]
            if old[0] is param and old[1] is grad and old[2] is scratch and old[3] == key[3]:
                return cached[1]
        size = self.block_size
        if (size is None or param.size <= size or not param.flags.c_contiguous
                or not grad.flags.c_contiguous):
            blocks = None
        else:
            # reshape(-1) of a C-contiguous array is a view: the blocks write into the
            # caller's array (state and scratch are C-contiguous by construction).
            flat = [param.reshape(-1), grad.reshape(-1), scratch.reshape(-1)]
            slots = {name: array.reshape(-1) for name, array in self._slots[i].items()}
            blocks = [(flat[0][b], flat[1][b], {name: a[b] for name, a in slots.items()}, flat[2][b])
                      for b in (slice(start, start + size) for start in range(0, param.size, size))]
        self._block_cache[i] = (key, blocks)
        return blocks

    def _update_blocks(self, blocks, lr: float) -> None:
        """:meth:`_update` on each block; on both cores when the buffer is large (elementwise work
        releases the GIL), for numnet's own optimizers, whose updates touch only their block."""
        if (self.parallel_min_blocks is not None and len(blocks) >= self.parallel_min_blocks
                and type(self)._update.__module__.startswith("numnet.")):
            kernels.in_parallel(lambda part: self._update_blocks_serially(part, lr), blocks)
        else:
            self._update_blocks_serially(blocks, lr)

    def _update_blocks_serially(self, blocks, lr: float) -> None:
        for param, grad, slots, scratch in blocks:
            self._update(param, grad, slots, scratch, lr)

    def _update(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray],
                scratch: np.ndarray, lr: float) -> None:
        """Update ``param`` in place. ``scratch`` has ``param``'s shape; its contents are junk."""
        raise NotImplementedError("subclasses implement _update")

    def _initial_slot_value(self, name: str) -> float:
        """The value a state array starts at (0 unless a subclass says otherwise)."""
        return 0.0

    def _prepare_position(self, i: int, param: np.ndarray) -> np.ndarray:
        """Create or check the state of position ``i`` and return its new scratch array."""
        if self._scratch.get(i) is not None:
            raise ValueError(
                f"params[{i}] has shape {param.shape} and dtype {param.dtype}, but the optimizer's "
                f"state for it was made for shape {self._scratch[i].shape} and dtype "
                f"{self._scratch[i].dtype}; call optimizer.reset() when the parameters change"
            )
        if not np.issubdtype(param.dtype, np.floating):
            raise TypeError(f"params[{i}] must be a floating-point array, got dtype "
                            f"{param.dtype}; convert it once with param.astype(np.float32)")
        slots = self._slots.setdefault(i, {})
        for name in self.slot_names:
            if name not in slots:
                slots[name] = np.full(param.shape, self._initial_slot_value(name), param.dtype)
            elif slots[name].shape != param.shape:
                raise ValueError(f"the loaded state {i}/{name} has shape {slots[name].shape}, but "
                                 f"params[{i}] has shape {param.shape}")
            else:  # state loaded from a file may be float64 while params are float32
                slots[name] = slots[name].astype(param.dtype, copy=False)
        self._scratch[i] = np.empty(param.shape, param.dtype)  # C order, for blocking
        return self._scratch[i]

    # -- state ---------------------------------------------------------------
    def reset(self) -> None:
        """Forget all state arrays and set ``iterations`` back to 0."""
        self._slots: dict[int, dict[str, np.ndarray]] = {}
        self._scratch: dict[int, np.ndarray] = {}
        self._block_cache: dict = {}
        self._flush_masks: dict[int, np.ndarray] = {}  # see _flush_tiny_values
        self._plan = None  # see _updates_for
        self.iterations = 0

    def __getstate__(self):
        # The block views are a cache of views into the arrays: never pickled.
        return {**self.__dict__, "_block_cache": {}, "_flush_masks": {}, "_plan": None}

    def get_state(self) -> dict[str, np.ndarray]:
        """Return copies of all state arrays, named ``"<i>/<slot>"``, plus ``"iterations"``.

        Returns
        -------
        dict of str to ndarray
            ``"iterations"`` is a 0-d int64 array; ``"0/m"`` is the slot ``m``
            of ``params[0]``, with ``params[0]``'s shape.
        """
        state = {"iterations": np.array(self.iterations, dtype=np.int64)}
        for i in sorted(self._slots):
            for name, array in self._slots[i].items():
                state[f"{i}/{name}"] = array.copy()
        return state

    def set_state(self, state: Mapping[str, np.ndarray]) -> None:
        """Replace the optimizer's state by ``state``, as returned by :meth:`get_state`.

        Shapes are checked against the parameters on the next :meth:`step`.

        Raises
        ------
        TypeError
            If ``state`` is not a mapping or holds a non-floating array.
        ValueError
            If ``"iterations"`` is missing, a key is not ``"<i>/<slot>"`` with a
            slot name of this optimizer, or a position lacks one of its slots.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be the dict returned by get_state(), got "
                            f"{type(state).__name__}")
        if "iterations" not in state:
            raise ValueError("state has no 'iterations' entry; pass the complete dict returned "
                             "by get_state()")
        slots = self._slots_from_state(state)
        self.iterations = _check_iterations(state["iterations"])
        self._slots = slots
        self._scratch = {}  # so that the next step checks the new state against the params

    def _slots_from_state(self, state: Mapping) -> dict[int, dict[str, np.ndarray]]:
        """Group the ``"<i>/<slot>"`` entries of ``state`` by position, checking each."""
        slots: dict[int, dict[str, np.ndarray]] = {}
        for key, value in state.items():
            if key != "iterations":
                i, name = self._parse_state_key(key)
                slots.setdefault(i, {})[name] = _check_state_array(value, key)
        for i, named in slots.items():
            missing = [f"{i}/{name}" for name in self.slot_names if name not in named]
            if missing:
                raise ValueError(f"state for params[{i}] lacks {', '.join(missing)}; pass the "
                                 "complete dict returned by get_state()")
        return slots

    def _parse_state_key(self, key) -> tuple[int, str]:
        """Split ``"3/m"`` into ``(3, "m")``, checking the slot name."""
        position, _, name = str(key).partition("/")
        if not position.isdigit() or name not in self.slot_names:
            expected = ", ".join(f"'<i>/{n}'" for n in self.slot_names) or "none"
            raise ValueError(f"unexpected state entry {key!r} for {type(self).__name__}; "
                             f"expected 'iterations' and entries named {expected}")
        return int(position), name

    # -- configuration -------------------------------------------------------
    def get_config(self) -> dict:
        """Return the constructor's arguments as plain JSON data.

        A schedule is stored as ``{"class_name": ..., "config": ...}``.
        """
        rate = self._learning_rate
        return {"learning_rate": serialize(rate) if isinstance(rate, Schedule) else rate,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        """Build an optimizer from the dict written by :meth:`get_config`."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize(config["learning_rate"], SCHEDULES)
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _check_learning_rate(value):
    """Return a positive float or a Schedule, or raise."""
    if isinstance(value, Schedule):
        return value
    if callable(value):
        raise TypeError(
            f"learning_rate must be a float or a numnet Schedule, got {type(value).__name__}; "
            "to use your own function, subclass numnet.optimizers.Schedule so that it can be "
            "saved with the model"
        )
    return check_number(value, "learning_rate", low=0, low_open=True)


# How often state is flushed of subnormal-bound values (see Optimizer._flush_tiny_state).
_FLUSH_EVERY = 16


def _check_state_array(value, key: str) -> np.ndarray:
    array = np.array(value, copy=True, order="C")  # C order, for blocking
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"state[{key!r}] must be a floating-point array, got dtype {array.dtype}")
    return array


def _check_iterations(value) -> int:
    array = np.asarray(value)
    if array.ndim != 0 or not np.issubdtype(array.dtype, np.integer) or array < 0:
        raise ValueError(f"state['iterations'] must be a non-negative integer, got {value!r}")
    return int(array)


def _check_step_args(params, grads) -> None:
    """Check that ``params`` and ``grads`` are matching lists of arrays (cheap: no data read)."""
    for name, arrays in (("params", params), ("grads", grads)):
        if not isinstance(arrays, (list, tuple)):
            raise TypeError(f"{name} must be a list of arrays, got {type(arrays).__name__}; "
                            f"wrap a single array as [{name[:-1]}]")
    if len(params) != len(grads):
        raise ValueError(f"params and grads must have the same length, got {len(params)} "
                         f"params and {len(grads)} grads")
    for i, (param, grad) in enumerate(zip(params, grads)):
        for name, array in (("params", param), ("grads", grad)):
            if not isinstance(array, np.ndarray):
                raise TypeError(f"{name}[{i}] must be a numpy array, got {type(array).__name__}")
        if grad.shape != param.shape:
            raise ValueError(f"grads[{i}] has shape {grad.shape}, but params[{i}] has shape "
                             f"{param.shape}; each gradient must match its parameter")
