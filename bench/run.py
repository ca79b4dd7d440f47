"""Benchmark numnet against scikit-learn, PyTorch and the GEMM floor (issue 7).

Usage::

    python bench/run.py                      # everything; writes BENCHMARKS.md
    python bench/run.py --quick              # smoke run, about a minute
    python bench/run.py --workloads W1,W2 --systems floor,numnet,sklearn32 --repeats 5

Each (workload, system) pair is timed in its own fresh subprocess: one
warm-up fit, then ``--repeats`` timed fits (a fresh model each time); the table
shows their median, min and max. Peak memory is measured in another fresh
subprocess, and single-row predict latency in a third. Every subprocess gets
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


# -- workers: each runs in a fresh subprocess and prints one JSON line --------------
def time_worker(workload, system, quick, repeats):
    """Warm-up, then ``repeats`` timed fits; the median is taken by the parent."""
    epochs, _ = workload.settings(quick)
    X, y = system.prepare(*workload.data(quick))
    system.fit(workload, X, y, epochs, SEED)  # warm-up: loads code, spins up BLAS threads
    times, model = [], None
    for r in range(repeats):
        del model
        gc.collect()
        start = time.perf_counter()
        model = system.fit(workload, X, y, epochs, SEED + r)
        times.append(time.perf_counter() - start)
    return {"times": times, "accuracy": system.accuracy(model, X, y), "epochs": epochs,
            "n_samples": len(X), "blas": _threadpool_info(), "torch_threads": _torch_threads()}


def memory_worker(workload, system, quick):
    """Fit peak memory above the loaded data: RSS high-water mark, then tracemalloc."""
    epochs = min(workload.settings(quick)[0], MEMORY_EPOCHS)
    X, y = system.prepare(*workload.data(quick))
    tiny = 2 * workload.batch_size  # a fit on a few rows loads the code, allocating little
    system.fit(workload, X[:tiny], y[:tiny], 1, SEED)
    gc.collect()
    reset = _reset_peak_rss()
    baseline = _rss_kb() if reset else _maxrss_kb()
    system.fit(workload, X, y, epochs, SEED)
    result = {"rss_peak_mb": (_maxrss_kb() - baseline) / 1024, "rss_reset": reset,
              "data_mb": _nbytes(X, y) / 2**20, "epochs": epochs}
    if system.key in ("floor", "torch"):  # torch allocates outside tracemalloc's view
        return result
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    system.fit(workload, X, y, epochs, SEED)
    result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result


def predict_worker(system, quick):
    """Median latency of one-row predictions of a trained W2 network (validation included)."""
    workload = WORKLOADS["W2"]
    X, y = workload.data(quick)
    Xs, ys = system.prepare(X, y)
    model = system.fit(workload, Xs, ys, 2, SEED)  # latency does not depend on training
    predict = system.predictor(model, np.ascontiguousarray(X[:1]))
    for _ in range(100):
        predict()
    clock, times = time.perf_counter, []
    for _ in range(PREDICT_CALLS):
        start = clock()
        predict()
        times.append(clock() - start)
    return {"median_us": 1e6 * float(np.median(times)), "min_us": 1e6 * min(times)}


def _nbytes(*arrays):
    return sum(a.nbytes if hasattr(a, "nbytes") else a.numel() * a.element_size() for a in arrays)


def _reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (Linux >= 4.0), so ru_maxrss restarts from now."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return _maxrss_kb()


def _maxrss_kb() -> int:
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
    system = SYSTEMS[args.system]
    if args.worker == "time":
        result = time_worker(WORKLOADS[args.workload], system, args.quick, args.repeats)
    elif args.worker == "memory":
        result = memory_worker(WORKLOADS[args.workload], system, args.quick)
    else:
        result = predict_worker(system, args.quick)
    print("RESULT " + json.dumps(result))


# -- the parent: runs every worker, then writes the report ------------------------
def bench_env() -> dict:
    """The environment every worker gets: this one, less the OpenBLAS kernel pinning."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_PINNING}
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def run_worker(kind, system, workload=None, quick=False, repeats=3, timeout=3600):
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind,
               "--system", system, "--repeats", str(repeats)]
    command += ["--workload", workload] if workload else []
    command += ["--quick"] if quick else []
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
    print(message, file=sys.stderr, flush=True)


def run_all(args) -> dict:
    workloads = _selected(args.workloads, WORKLOADS, "workloads")
    systems = _selected(args.systems, SYSTEMS, "systems")
    missing = {key: SYSTEMS[key].missing() for key in systems}
    results = {"timing": {}, "memory": {}, "predict": {}, "missing": {k: v for k, v in missing.items() if v}}
    runnable = [key for key in systems if not missing[key]]
    for w in workloads:
        for s in runnable:
            _log(f"[{time.strftime('%H:%M:%S')}] time {w} {s} ...")
            results["timing"].setdefault(w, {})[s] = run_worker("time", s, w, args.quick, args.repeats)
            if not args.skip_memory and s != "floor":
                _log(f"[{time.strftime('%H:%M:%S')}] memory {w} {s} ...")
                results["memory"].setdefault(w, {})[s] = run_worker("memory", s, w, args.quick)
    if not args.skip_predict and "W2" in workloads:
        for s in (s for s in runnable if s in PREDICT_SYSTEMS):
            _log(f"[{time.strftime('%H:%M:%S')}] predict latency {s} ...")
            results["predict"][s] = run_worker("predict", s, quick=args.quick)
    return results


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
    parser.add_argument("--worker", choices=("time", "memory", "predict"), help=argparse.SUPPRESS)
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
    started = time.perf_counter()
    results = run_all(args)
    results["meta"] = report.machine_info(results, args, removed={k: os.environ[k] for k in BLAS_PINNING
                                                                   if k in os.environ})
    results["meta"]["total_s"] = time.perf_counter() - started
    text = report.render(results)
    print(text)
    Path(args.out).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    _log(f"wrote {args.out} in {results['meta']['total_s']:.0f} s")


if __name__ == "__main__":
    main()
