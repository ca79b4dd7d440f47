"""Benchmark numnet against scikit-learn, PyTorch, a hand-written NumPy loop and the GEMM floor (issue 7).

Usage::

    python bench/run.py                      # everything; writes BENCHMARKS.md
    python bench/run.py --quick              # smoke run, about a minute
    python bench/run.py --workloads W1,W2 --systems floor,numnet,sklearn32 --repeats 5

Each (workload, system) pair is timed in its own fresh subprocess: one
warm-up fit, then ``--repeats`` timed fits (a fresh model each time); the table
shows their median, min and max. The W2 worker then times single-row
predictions of its trained network. Peak memory is measured in another fresh
subprocess per pair. (``--quick`` runs all workloads of a system in one
subprocess and measures memory on W3 only.) Every subprocess gets
the same environment, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
(they pin an old, slower OpenBLAS kernel); BLAS threads are left at their
default and recorded with threadpoolctl.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import report  # noqa: E402
from systems import PREDICT_SYSTEMS, SYSTEMS  # noqa: E402
from workloads import SEED, WORKLOADS  # noqa: E402

# Set on some machines so that old OpenBLAS builds run; they slow a current one.
BLAS_PINNING = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
MEMORY_EPOCHS = 2  # enough to catch anything allocated per epoch and kept until the next
PREDICT_CALLS = 1000
BATCH_ROWS = 10_000  # issue 11: predict of 10,000 rows of W2 within 1.2x the bare matrix products


# -- workers: each runs in a fresh subprocess and prints one JSON line --------------
def time_worker(workload, system, quick, repeats, latency):
    """Warm-up, then ``repeats`` timed fits; the median is taken by the parent.

    Each fit is paired with a run of the GEMM floor just before it, in the same
    process: the machine's speed drifts from minute to minute, and a ratio of
    neighbours is steadier than one of runs minutes apart. With ``latency``,
    also times single-row predictions of the last trained model.
    """
    epochs, _ = workload.settings(quick)
    X_raw, y_raw = workload.data(quick)
    X, y = system.prepare(X_raw, y_raw)
    floor = SYSTEMS["floor"] if system.key != "floor" else None
    # numnet's fits are also paired with the hand-written loop's, for the same reason.
    peer = SYSTEMS["hand"] if system.key == "numnet" else None
    peer_data = peer.prepare(X_raw, y_raw) if peer else None
    system.fit(workload, X, y, epochs, SEED)  # warm-up: loads code, spins up BLAS threads
    if floor:
        floor.fit(workload, X_raw, y_raw, epochs, SEED)
    if peer:
        peer.fit(workload, *peer_data, epochs, SEED)
    times, floor_times, peer_times, model = [], [], [], None
    for r in range(repeats):
        if floor:
            floor_times.append(_timed(floor.fit, workload, X_raw, y_raw, epochs, SEED + r)[0])
        if peer:
            gc.collect()
            peer_times.append(_timed(peer.fit, workload, *peer_data, epochs, SEED + r)[0])
        del model
        gc.collect()
        elapsed, model = _timed(system.fit, workload, X, y, epochs, SEED + r)
        times.append(elapsed)
    result = {"times": times, "floor_times": floor_times or times, "hand_times": peer_times,
              "accuracy": system.accuracy(model, X, y), "epochs": epochs,
              "n_samples": len(X), "blas": _threadpool_info(), "torch_threads": _torch_threads()}
    if latency:
        result["predict"] = predict_latency(system.predictor(model, np.ascontiguousarray(X_raw[:1])))
        if system.key == "numnet":
            result["predict"]["batch"] = batch_predict(model, X)
    return result


def _timed(function, *args):
    start = time.perf_counter()
    out = function(*args)
    return time.perf_counter() - start, out


def predict_latency(predict):
    """Median and min seconds of one call of ``predict`` (each call timed on its own)."""
    for _ in range(100):
        predict()
    clock, times = time.perf_counter, []
    for _ in range(PREDICT_CALLS):
        start = clock()
        predict()
        times.append(clock() - start)
    return {"median_us": 1e6 * float(np.median(times)), "min_us": 1e6 * min(times)}


def batch_predict(model, X, rows=BATCH_ROWS, repeats=30):
    """numnet's ``predict`` of ``rows`` rows against only the matrix products of the same network.

    ``X``'s rows are repeated up to ``rows``. The products (``A @ W`` per Dense
    layer, float32, into preallocated outputs) are the least any forward pass
    must do; predict adds the biases, activations, softmax and its input checks.
    The two alternate, and each reports the median in milliseconds.
    """
    batch = np.resize(np.asarray(X, np.float32), (rows, X.shape[1]))
    weights = [W for W in model.get_weights() if W.ndim == 2]
    outputs = [np.empty((rows, W.shape[1]), np.float32) for W in weights]

    def products():
        A = batch
        for W, out in zip(weights, outputs):
            A = np.matmul(A, W, out=out)

    times = {"predict": [], "products": []}
    for _ in range(repeats):
        times["predict"].append(_timed(model.predict, batch)[0])
        times["products"].append(_timed(products)[0])
    return {"rows": rows, **{f"{k}_ms": 1e3 * float(np.median(v)) for k, v in times.items()}}


def memory_worker(workload, system, quick):
    """Fit peak memory above the loaded data: RSS high-water mark, then tracemalloc."""
    epochs = min(workload.settings(quick)[0], MEMORY_EPOCHS)
    X, y = system.prepare(*workload.data(quick))
    tiny = 2 * workload.batch_size  # a fit on a few rows loads the code, allocating little
    system.fit(workload, X[:tiny], y[:tiny], 1, SEED)
    gc.collect()
    reset = _reset_peak_rss()
    baseline = _rss_kb() if reset else _peak_rss_kb(reset)
    system.fit(workload, X, y, epochs, SEED)
    result = {"rss_peak_mb": (_peak_rss_kb(reset) - baseline) / 1024, "rss_reset": reset,
              "data_mb": _nbytes(X, y) / 2**20, "epochs": epochs}
    if system.key == "torch":  # torch allocates outside tracemalloc's view
        return result
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    system.fit(workload, X, y, epochs, SEED)
    result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result


def _nbytes(*arrays):
    return sum(a.nbytes if hasattr(a, "nbytes") else a.numel() * a.element_size() for a in arrays)


def _reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (Linux >= 4.0), so ru_maxrss restarts from now."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss_kb(field="VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")


def _peak_rss_kb(reset: bool) -> int:
    """The process's peak resident size in kB since start, or since the reset.

    After a reset, VmHWM is the right number: ru_maxrss also folds in the
    parent's peak inherited at exec, which a reset does not clear.
    """
    if reset:
        return _rss_kb("VmHWM")
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux


def _threadpool_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = ("user_api", "internal_api", "prefix", "version", "architecture", "num_threads",
            "threading_layer")
    return [{k: info.get(k) for k in keys if info.get(k) is not None} for info in threadpool_info()]


def _torch_threads():
    if "torch" not in sys.modules:
        return None
    return sys.modules["torch"].get_num_threads()


def worker_main(args):
    warnings.simplefilter("ignore")
    if args.worker == "check":
        result = {key: system.missing() for key, system in SYSTEMS.items()}
    elif args.worker == "time":
        system = SYSTEMS[args.system]
        latency = args.latency and system.key in PREDICT_SYSTEMS
        result = {w: time_worker(WORKLOADS[w], system, args.quick, args.repeats, latency and w == "W2")
                  for w in args.workload.split(",")}
    else:
        result = memory_worker(WORKLOADS[args.workload], SYSTEMS[args.system], args.quick)
    print("RESULT " + json.dumps(result))


# -- the parent: runs every worker, then writes the report ------------------------
def bench_env() -> dict:
    """The environment every worker gets: this one, less the OpenBLAS kernel pinning."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_PINNING}
    env.setdefault("PYTHONHASHSEED", "0")
    return env


class ForeignLoad:
    """How busy the CPUs were with other processes while this run's workers ran.

    /proc/stat counts every process's CPU time; the workers' own time
    (RUSAGE_CHILDREN) is subtracted. On a shared machine this says how far to
    trust the numbers: anything much above 0 % slows the timed fits.
    """

    def __init__(self):
        self.start = self._sample()

    @staticmethod
    def _sample():
        import resource

        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        except (OSError, ValueError):
            return None
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        ticks = os.sysconf("SC_CLK_TCK")
        user, nice, system, idle, iowait, irq, softirq, steal = fields
        busy = user + nice + system + irq + softirq + steal
        return busy, busy + idle + iowait, (children.ru_utime + children.ru_stime) * ticks

    def fraction(self):
        """Share of all CPU time since creation spent by other processes (None if unknown)."""
        end = self._sample()
        if self.start is None or end is None or end[1] == self.start[1]:
            return None
        busy, total, ours = (e - s for e, s in zip(end, self.start))
        return max(0.0, (busy - ours) / total)


def run_worker(kind, system=None, workload=None, quick=False, repeats=3, latency=False, timeout=3600):
    """Run one worker in a fresh interpreter; its JSON result, or ``{"error": ...}``.

    The result gets ``foreign_load``: see :class:`ForeignLoad`.
    """
    load = ForeignLoad()
    result = _run_worker(kind, system, workload, quick, repeats, latency, timeout)
    result["foreign_load"] = load.fraction()
    return result


def _run_worker(kind, system, workload, quick, repeats, latency, timeout):
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--repeats", str(repeats)]
    command += ["--system", system] if system else []
    command += ["--workload", workload] if workload else []
    command += ["--quick"] if quick else []
    command += ["--latency"] if latency else []
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=bench_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return {"error": f"exit {done.returncode}: " + " | ".join(tail)}


def _selected(text, known, what):
    if not text:
        return list(known)
    chosen = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in chosen if item not in known]
    if unknown:
        raise SystemExit(f"unknown {what} {unknown}; choose from {', '.join(known)}")
    return chosen


def _log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message} ...", file=sys.stderr, flush=True)


def run_all(args) -> dict:
    """Time every (workload, system), then measure memory; returns the raw results."""
    workloads = _selected(args.workloads, WORKLOADS, "workloads")
    systems = _selected(args.systems, SYSTEMS, "systems")
    # Imports happen in a worker: the parent stays small, and a child inherits nothing heavy.
    missing = run_worker("check")
    if "error" in missing:
        raise SystemExit(f"cannot import the benchmark's systems: {missing['error']}")
    results = {"timing": {w: {} for w in workloads}, "memory": {}, "predict": {},
               "missing": {k: missing[k] for k in systems if missing.get(k)}}
    runnable = [key for key in systems if not missing.get(key)]
    latency = not args.skip_predict and "W2" in workloads
    # --quick: one process per system for all workloads (interpreter and import time
    # dominate a smoke run); otherwise a fresh process per pair.
    groups = [",".join(workloads)] if args.quick else workloads
    for group in groups:
        for s in runnable:
            _log(f"time {group} {s}")
            timed = run_worker("time", s, group, args.quick, args.repeats, latency and "W2" in group)
            for w in group.split(","):
                result = timed.get(w, timed)  # a failed worker's error stands for all its workloads
                result["foreign_load"] = timed["foreign_load"]
                if "predict" in result:
                    results["predict"][s] = result.pop("predict")
                results["timing"][w][s] = result
    for w in _memory_workloads(workloads, args):
        for s in (s for s in runnable if s != "floor"):
            _log(f"memory {w} {s}")
            results["memory"].setdefault(w, {})[s] = run_worker("memory", s, w, args.quick)
    return results


def _memory_workloads(workloads, args):
    if args.skip_memory:
        return []
    # A smoke run measures only the workload that has a memory target.
    return [w for w in workloads if w == "W3"] if args.quick else workloads


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and rows: a ~1 minute smoke run")
    parser.add_argument("--workloads", help=f"comma-separated, from {','.join(WORKLOADS)} (default all)")
    parser.add_argument("--systems", help=f"comma-separated, from {','.join(SYSTEMS)} (default all)")
    parser.add_argument("--repeats", type=int, default=None, help="timed fits after the warm-up (default 3)")
    parser.add_argument("--out", default="BENCHMARKS.md", help="markdown file to write (default BENCHMARKS.md)")
    parser.add_argument("--json", help="also write the raw results as JSON to this file")
    parser.add_argument("--skip-memory", action="store_true", help="do not measure peak memory")
    parser.add_argument("--skip-predict", action="store_true", help="do not measure predict latency")
    parser.add_argument("--worker", choices=("check", "time", "memory"), help=argparse.SUPPRESS)
    parser.add_argument("--latency", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--system", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return worker_main(args)
    started, load = time.perf_counter(), ForeignLoad()
    results = run_all(args)
    results["meta"] = report.machine_info(results, args, removed={k: os.environ[k] for k in BLAS_PINNING
                                                                   if k in os.environ})
    results["meta"]["total_s"] = time.perf_counter() - started
    results["meta"]["foreign_load"] = load.fraction()
    text = report.render(results)
    print(text)
    Path(args.out).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    _log(f"wrote {args.out} in {results['meta']['total_s']:.0f} s")


if __name__ == "__main__":
    main()
