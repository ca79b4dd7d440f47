"""Peak memory of `numnet train` on a large numeric CSV (a benchmark, not a test).

Writes a CSV of ROWS rows x 20 numeric feature columns plus a numeric target,
then runs, each in its own process, (1) only the imports the command line
needs and (2) one epoch of `numnet train`, and reports each process's peak
resident memory (``ru_maxrss`` from ``os.wait4``) next to the data's numeric
size (rows x 21 columns x 4 bytes as float32).

Usage: python bench/cli_memory.py [--rows 1000000] [--keep FOLDER]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

N_FEATURES = 20
IMPORTS = "import numpy, pandas, numnet, numnet.cli.main, numnet.cli.train, numnet.io"
ENTRY = "import sys; from numnet.cli import main; sys.exit(main())"


def write_csv(path: str, rows: int, seed: int = 0) -> None:
    """Write the CSV in blocks (so that writing it does not need much memory)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    weights = rng.normal(size=N_FEATURES)
    columns = [f"x{i}" for i in range(N_FEATURES)]
    for start in range(0, rows, 200_000):
        n = min(200_000, rows - start)
        X = rng.normal(size=(n, N_FEATURES)) * rng.uniform(0.5, 50, size=N_FEATURES)
        frame = pd.DataFrame(X, columns=columns)
        frame["y"] = X @ weights / 10 + rng.normal(size=n)
        frame.to_csv(path, mode="w" if start == 0 else "a", header=start == 0, index=False,
                     float_format="%.6g")


# Measured from a small launcher process: a child started from this (large) process
# would report this process's memory as its own peak, since Linux counts the
# memory a forked child shares with its parent until it runs the new program.
LAUNCHER = """import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
print(f"\\nPEAK_KIB {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def peak_rss_mib(command: list[str], cwd: str) -> tuple[float, float, str]:
    """Run ``command``; return (its peak RSS in MiB, seconds, output)."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", LAUNCHER, *command], cwd=cwd,
                            capture_output=True, text=True)
    output, _, last = (result.stdout + result.stderr).rpartition("PEAK_KIB ")
    peak_kib, code = last.split()[:2]
    if int(code) != 0:
        raise RuntimeError(f"{command} failed ({code}):\n{output}")
    return int(peak_kib) / 1024, time.perf_counter() - start, output  # ru_maxrss: KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="folder for the CSV and model (default: a temporary one)")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="numnet-bench-")
    csv = os.path.join(folder, "big.csv")
    if not os.path.exists(csv):
        began = time.perf_counter()
        write_csv(csv, args.rows)
        print(f"wrote {csv} ({os.path.getsize(csv) / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - began:.0f} s")
    numeric_mib = args.rows * (N_FEATURES + 1) * 4 / 2**20
    baseline, _, _ = peak_rss_mib([sys.executable, "-c", IMPORTS], folder)
    train = [sys.executable, "-c", ENTRY, "train", csv, "--target", "y", "--task", "regression",
             "--epochs", "1", "--batch-size", "256", "--layers", "64,32", "--quiet",
             "--out", os.path.join(folder, "big.numnet")]
    peak, seconds, output = peak_rss_mib(train, folder)
    print(output.strip())
    print(f"rows: {args.rows}, numeric size (float32, 21 columns): {numeric_mib:.0f} MiB")
    print(f"peak RSS of the imports alone: {baseline:.0f} MiB")
    print(f"peak RSS of `numnet train` (one epoch, {seconds:.0f} s): {peak:.0f} MiB")
    print(f"above the imports: {peak - baseline:.0f} MiB = "
          f"{(peak - baseline) / numeric_mib:.2f} x the numeric size")


if __name__ == "__main__":
    main()
