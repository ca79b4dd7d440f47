"""Data-parallel training (numnet.distributed) on W3 and W4: 1 vs 2 ranks vs 2 BLAS threads.

    .venv/bin/python bench/data_parallel.py [--quick] [--workloads W3,W4] [--epochs N] [--out FILE]

Three ways to use the 2 cores of this machine, each in a fresh process so that the
BLAS thread count is fixed before NumPy loads:

- ``1 proc x 1 thread``: the baseline.
- ``1 proc x 2 threads``: the BLAS parallelises every matrix product.
- ``2 ranks x 1 thread``: ``mpiexec -n 2``, ``DataParallel()``, the same global batch.

Reported: training throughput (samples/s), speedup and scaling efficiency against the
baseline (speedup / 2), and the gradient all-reduce time per step. Then, on paper, what
changes over a real network: gradient bytes per step and the global batch at which a
ring all-reduce costs no more than a tenth of the step. Never run in the test suite.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
MPIEXEC = Path(sys.executable).with_name("mpiexec")
CONFIGS = (("1 proc x 1 thread", 1, 1), ("1 proc x 2 threads", 1, 2), ("2 ranks x 1 thread", 2, 1))
LINKS = (("10 Gb/s Ethernet", 1.25e9, 30e-6), ("100 Gb/s InfiniBand", 12.5e9, 3e-6))


# -- worker: one training run, timed -------------------------------------------
def worker(key, quick, epochs, distributed):
    import numpy as np

    sys.path.insert(0, str(HERE.parent))
    from workloads import WORKLOADS

    from numnet import Adam, Dense, ReLU, Sequential, Softmax

    workload = WORKLOADS[key]
    X, y = workload.data(quick)
    epochs = epochs or workload.settings(quick)[0]
    sizes = workload.layers
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [Dense(n_in, n_out)] + ([ReLU()] if i < len(sizes) - 2 else [Softmax()])
    model = Sequential(layers, dtype=np.float32, random_state=0)
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=1e-3))
    strategy = None
    if distributed:
        from numnet.distributed import DataParallel
        strategy = DataParallel()
    model.fit(X[:workload.batch_size], y[:workload.batch_size], epochs=1, batch_size=workload.batch_size,
              verbose=0, strategy=strategy)  # warm-up: first-touch allocations, MPI connections
    start = time.perf_counter()
    model.fit(X, y, epochs=epochs, batch_size=workload.batch_size, random_state=0, verbose=0,
              strategy=strategy)
    seconds = time.perf_counter() - start
    if strategy is None or strategy.is_chief:
        steps = strategy.steps if strategy else epochs * len(workload.batch_sizes(len(X)))
        print(json.dumps({"seconds": seconds, "samples": epochs * len(X), "steps": steps,
                          "n_params": int(model._flat.values.size),
                          "allreduce_s": strategy.allreduce_seconds if strategy else 0.0}))


# -- driver ---------------------------------------------------------------------
def run_config(key, ranks, threads, quick, epochs):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), PYTHONPATH=str(ROOT / "src"))
    args = [sys.executable, str(HERE), "--worker", key, "--epochs", str(epochs or 0)]
    args += ["--quick"] if quick else []
    if ranks > 1:
        args = [str(MPIEXEC), "-n", str(ranks)] + args + ["--distributed"]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=3600)
    if result.returncode:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(results, keys, quick):
    lines = ["# numnet.distributed on this 2-core machine", "",
             f"{'quick' if quick else 'full'} workloads; numnet float32, Adam, verbose=0; one fresh "
             "process (or mpiexec job) per row, after a one-batch warm-up fit.", "",
             "| workload | configuration | time (s) | samples/s | speedup | efficiency | "
             "all-reduce per step (ms) |", "|---|---|---:|---:|---:|---:|---:|"]
    for key in keys:
        base = results[key]["1 proc x 1 thread"]
        base_rate = base["samples"] / base["seconds"]
        for name, ranks, threads in CONFIGS:
            r = results[key][name]
            rate = r["samples"] / r["seconds"]
            speedup = rate / base_rate
            eff = f"{speedup / max(ranks, threads):.0%}" if name != CONFIGS[0][0] else "-"
            comm = f"{1e3 * r['allreduce_s'] / r['steps']:.2f}" if ranks > 1 else "-"
            lines.append(f"| {key} | {name} | {r['seconds']:.2f} | {rate:,.0f} | {speedup:.2f}x | "
                         f"{eff} | {comm} |")
    lines += ["", "## On paper: over a real network", "",
              "One Allreduce of the float32 gradient per step; numnet does not overlap it with "
              "backward, so it adds to the step. A ring all-reduce moves 2(p-1)/p of the buffer per "
              "rank. 'Batch for <=10%': the global batch at which the all-reduce is at most a tenth "
              "of the step on 8 ranks, with each rank as fast as this machine's 1-thread baseline.", "",
              "| workload | parameters | gradient bytes/step | link | all-reduce (8 ranks) | "
              "batch for <=10% |", "|---|---:|---:|---|---:|---:|"]
    for key in keys:
        base = results[key]["1 proc x 1 thread"]
        per_sample = base["seconds"] / base["samples"]  # one rank's compute per sample
        grad_bytes = 4 * base["n_params"]
        for link, bandwidth, latency in LINKS:
            comm = 2 * 7 / 8 * grad_bytes / bandwidth + 2 * 7 * latency
            batch = 8 * 10 * comm / per_sample  # compute of batch/8 rows >= 10 x comm
            lines.append(f"| {key} | {base['n_params']:,} | {grad_bytes / 1e6:.1f} MB | {link} | "
                         f"{1e3 * comm:.2f} ms | {batch:,.0f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workloads", default="W3,W4")
    parser.add_argument("--epochs", type=int, default=0, help="override the workloads' epochs")
    parser.add_argument("--out", default=None, help="also write the report to this file")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--distributed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.quick, args.epochs, args.distributed)
    if not MPIEXEC.exists():
        sys.exit(f'no mpiexec next to {sys.executable}: pip install "numnet[mpi]"')
    keys = args.workloads.split(",")
    results = {key: {name: run_config(key, ranks, threads, args.quick, args.epochs)
                     for name, ranks, threads in CONFIGS} for key in keys}
    text = report(results, keys, args.quick)
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
