"""Streaming from files (numnet.data): peak memory against file size, and throughput.

A benchmark, not a test. Two measurements, each training run in its own process:

1. **Memory**: Parquet files of W3-sized rows (784 float32 features and a label) of
   about 0.2, 1 and 2 GB (``--sizes``), written row group by row group, and a numeric
   CSV of the same sizes; one epoch of ``fit`` on each, streamed. Reported: the
   process's peak RSS (``VmHWM``), and its growth during ``fit`` over the resident size
   just before (the peak is reset through ``/proc/self/clear_refs``, Linux only).
2. **Throughput**: W3 (784-256-128-10, batch 128, Adam, shuffled) for one epoch on
   ``--rows`` rows, in memory (``fit(X, y)``) and streamed from Parquet
   (``fit(from_parquet(...))``); samples per second and their ratio.

The files go to a temporary folder (``--dir``) and are deleted afterwards.

Usage: python bench/streaming.py [--sizes 0.2,1,2] [--rows 60000] [--skip-csv] [--dir /tmp]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

N_FEATURES = 784
ROW_GROUP = 8192

TRAIN = r"""
import json, sys, time
import numpy as np
from numnet import Dense, ReLU, Sequential, Softmax, data
kind, path, layers, batch = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])

def kib(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))

if kind == "memory":
    X, y = np.load(path + ".X.npy"), np.load(path + ".y.npy")
    source, width = (X, y), X.shape[1]
else:
    make = data.from_parquet if kind == "parquet" else data.from_csv
    source = (make(path, target="label"),)
    width = len(source[0].features)
net, n_in = [], width
for n_out in layers[:-1]:
    net += [Dense(n_in, n_out), ReLU()]
    n_in = n_out
model = Sequential(net + [Dense(n_in, layers[-1]), Softmax()], random_state=0).compile()
model.fit(np.zeros((batch, width), np.float32), np.zeros(batch, int), verbose=0)  # warm up
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # reset the peak RSS to the resident size now
before = kib("VmRSS:")
start = time.perf_counter()
model.fit(*source, epochs=1, batch_size=batch, verbose=0, random_state=0)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": kib("VmHWM:") / 1024,
                  "growth_mb": (kib("VmHWM:") - before) / 1024}))
"""


def write_parquet(path: str, rows: int, seed: int = 0) -> None:
    """W3-like rows in row groups of ROW_GROUP rows, written one group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    teacher = rng.normal(size=(N_FEATURES, 10)).astype(np.float32)
    names = [f"x{j}" for j in range(N_FEATURES)] + ["label"]
    writer = None
    for start in range(0, rows, ROW_GROUP):
        X = rng.normal(size=(min(ROW_GROUP, rows - start), N_FEATURES)).astype(np.float32)
        y = np.argmax(X @ teacher, axis=1)
        table = pa.table([*X.T, y], names=names)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=ROW_GROUP)
    writer.close()


def write_csv(path: str, rows: int, seed: int = 0, width: int = 50) -> None:
    """A numeric CSV of ``width`` features: one block of rows repeated (fast to write)."""
    rng = np.random.default_rng(seed)
    block = rng.normal(size=(10_000, width))
    labels = np.argmax(block[:, :10], axis=1)
    text = "".join(",".join(f"{v:.5f}" for v in row) + f",{c}\n" for row, c in zip(block, labels))
    with open(path, "w") as handle:
        handle.write(",".join(f"x{j}" for j in range(width)) + ",label\n")
        for _ in range(max(1, rows // len(block))):
            handle.write(text)


def train(kind: str, path: str, layers: list, batch: int) -> dict:
    out = subprocess.run([sys.executable, "-c", TRAIN, kind, path, json.dumps(layers), str(batch)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def memory(folder: str, sizes: list[float], skip_csv: bool) -> list[dict]:
    results = []
    for gb in sizes:
        rows = int(gb * 1e9 / (N_FEATURES * 4))
        path = os.path.join(folder, f"w3_{gb}.parquet")
        write_parquet(path, rows)
        results.append({"format": "parquet", "file_gb": os.path.getsize(path) / 1e9, "rows": rows,
                        **train("parquet", path, [64, 10], 256)})
        os.remove(path)
        print(results[-1], flush=True)
        if skip_csv:
            continue
        path = os.path.join(folder, f"num_{gb}.csv")
        write_csv(path, int(gb * 1e9 / 460))  # ~460 bytes per 50-column line
        results.append({"format": "csv", "file_gb": os.path.getsize(path) / 1e9,
                        **train("csv", path, [64, 10], 256)})
        os.remove(path)
        print(results[-1], flush=True)
    return results


def throughput(folder: str, rows: int) -> dict:
    path = os.path.join(folder, "w3.parquet")
    write_parquet(path, rows)
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    X = np.stack([table.column(j).to_numpy() for j in range(N_FEATURES)], axis=1)
    np.save(path + ".X.npy", X)
    np.save(path + ".y.npy", table.column("label").to_numpy())
    del table, X
    layers = [256, 128, 10]
    in_memory = train("memory", path, layers, 128)
    streamed = train("parquet", path, layers, 128)
    for suffix in ("", ".X.npy", ".y.npy"):
        os.remove(path + suffix)
    return {"rows": rows, "memory_samples_per_s": rows / in_memory["seconds"],
            "parquet_samples_per_s": rows / streamed["seconds"],
            "ratio": in_memory["seconds"] / streamed["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0.2,1,2", help="file sizes in GB (default 0.2,1,2)")
    parser.add_argument("--rows", type=int, default=60_000, help="rows for the throughput run")
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--dir", default=None, help="where to write the temporary files")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="numnet-stream-", dir=args.dir)
    try:
        if not args.skip_memory:
            print("memory (1 epoch, 784-64-10 / 50-64-10, batch 256):")
            memory(folder, [float(s) for s in args.sizes.split(",")], args.skip_csv)
        started = time.perf_counter()
        result = throughput(folder, args.rows)
        print(f"throughput (W3, 1 epoch, {args.rows} rows): in memory "
              f"{result['memory_samples_per_s']:.0f} samples/s, Parquet "
              f"{result['parquet_samples_per_s']:.0f} samples/s, ratio {result['ratio']:.2f} "
              f"({time.perf_counter() - started:.0f} s)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
