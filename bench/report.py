"""Turn the benchmark's results into the markdown of BENCHMARKS.md."""
from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

from systems import SYSTEMS
from workloads import WORKLOADS

# Issue 11's targets (they tighten issue 7's 3.0/3.0/1.7/1.25 and 20 µs): numnet
# Sequential.fit time over the GEMM floor and over the hand-written loop, at most.
FLOOR_TARGETS = {"W1": 2.5, "W2": 2.5, "W3": 1.5, "W4": 1.2}
HAND_TARGET = 1.05
PREDICT_TARGET_US = 12.0
BATCH_PREDICT_TARGET = 1.2  # predict of 10,000 W2 rows over the bare matrix products
MEMORY_TARGET = 0.25  # W3 fit peak above the data, as a fraction of the data
NOISY_LOAD = 0.10  # other processes' share of CPU time above which the report warns


def machine_info(results, args, removed) -> dict:
    """Date, CPU, versions and the BLAS each worker saw."""
    timing = [r for per in results["timing"].values() for r in per.values() if "blas" in r]
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "versions": _versions(),
        "blas": timing[0]["blas"] if timing else [],
        "torch_threads": next((r["torch_threads"] for r in timing if r.get("torch_threads")), None),
        "removed_env": removed,
        "quick": args.quick,
        "repeats": args.repeats,
        "command": "python bench/run.py" + (" --quick" if args.quick else "")
                   + (f" --repeats {args.repeats}" if args.repeats != 3 else ""),
    }


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _versions():
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("numnet", "numpy", "scikit-learn", "torch", "threadpoolctl"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


# -- numbers ------------------------------------------------------------------
def median(result):
    return statistics.median(result["times"]) if result and "times" in result else None


def paired_ratio(times, neighbours):
    """The median of ``times[i] / neighbours[i]``: each fit over the run made just before it.

    Pairs cancel the machine's drift from minute to minute, which a ratio of two
    medians keeps (each median may come from a different, faster or slower, minute).
    """
    return statistics.median(t / n for t, n in zip(times, neighbours))


def floor_ratio(result):
    """Fit time over the GEMM floor run paired with it (same process), median over the pairs."""
    if not result or "times" not in result:
        return None
    return paired_ratio(result["times"], result.get("floor_times") or result["times"])


def hand_ratio(result):
    """Fit time over the hand loop's fit paired with it (same process), median over the pairs; or None."""
    if not result or not result.get("hand_times"):
        return None
    return paired_ratio(result["times"], result["hand_times"])


def _ratio(a, b):
    return a / b if a is not None and b else None


def _load(fraction):
    return "—" if fraction is None else f"{100 * fraction:.0f} %"


def _fmt(value, spec=".3f", missing="—"):
    return missing if value is None else format(value, spec)


# -- sections -------------------------------------------------------------------
def render(results) -> str:
    meta = results["meta"]
    parts = [_header(meta), _timing_table(results), _memory_table(results),
             _predict_table(results), _targets(results), _environment(meta), _method(meta)]
    return "\n\n".join(part for part in parts if part) + "\n"


def _header(meta):
    mode = "**quick smoke run** (fewer epochs and rows; not comparable with the full run)" \
        if meta["quick"] else "full run"
    load = meta.get("foreign_load")
    warning = ""
    if load is not None and load > NOISY_LOAD:
        warning = (f"\n\n> **Noisy run**: other processes used {100 * load:.0f} % of the CPU time "
                   f"during it; the times are inflated and the ratios uncertain. Rerun on an "
                   f"idle machine.")
    return (f"# numnet benchmarks\n\n"
            f"{meta['date']}: {mode}, `{meta['command']}`, {meta['total_s']:.0f} s in all. "
            f"Machine: {meta['cpu']}, {meta['cores']} cores; other processes' share of the CPU "
            f"time during the run: {_load(load)}. Rerun with `make bench`; bench/README.md "
            f"explains the method.{warning}")


def _timing_table(results):
    rows = ["| workload | system | median s | min s | max s | × GEMM floor | × numnet | train acc | "
            "fit peak MB (RSS) | other load |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for w, per in results["timing"].items():
        ours = median(per.get("numnet"))
        for s, r in per.items():
            title = SYSTEMS[s].title
            if "error" in r:
                rows.append(f"| {WORKLOADS[w].title} | {title} | failed: {r['error']} ||||||||")
                continue
            m = median(r)
            mem = results["memory"].get(w, {}).get(s, {})
            rows.append(f"| {WORKLOADS[w].title} | {title} | {m:.3f} | {min(r['times']):.3f} | "
                        f"{max(r['times']):.3f} | {_fmt(floor_ratio(r), '.2f')} | "
                        f"{_fmt(_ratio(m, ours), '.2f')} | {_fmt(r.get('accuracy'), '.3f')} | "
                        f"{_fmt(mem.get('rss_peak_mb'), '.1f')} | {_load(r.get('foreign_load'))} |")
    for s, why in results["missing"].items():
        rows.append(f"| all | {SYSTEMS[s].title} | skipped: {why} ||||||||")
    epochs = {w: next(iter(per.values())).get("epochs") for w, per in results["timing"].items() if per}
    settings = ", ".join(f"{w}: {e} epochs, batch {WORKLOADS[w].batch_size}" for w, e in epochs.items())
    return ("## Training time\n\n"
            "Each system trains the same architecture for the same epochs and batch size with Adam "
            f"(learning rate 1e-3), shuffling every epoch ({settings}). × GEMM floor: the median, "
            "over this row's fits, of each fit's time over the floor run made just before it in the "
            "same process (the machine's speed drifts from minute to minute, so neighbours make the "
            "steadier ratio); the floor's own row is its separate process. "
            "× numnet: the median over numnet Sequential.fit's (above 1: slower than numnet). "
            "Train acc is the final training accuracy of the last timed fit. Other load: "
            "the share of the machine's CPU time that other processes used while this row's "
            "worker ran (from /proc/stat, less the worker's own time); above a few per cent, "
            "the row's times are inflated, PyTorch's (spinning OpenMP threads) most of all.\n\n"
            + "\n".join(rows))


def _memory_table(results):
    rows = ["| workload | system | data MB | fit peak above data, MB (RSS) | % of data | "
            "traced peak MB (tracemalloc) | % of data |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for w, per in results["memory"].items():
        for s, r in per.items():
            if "error" in r:
                rows.append(f"| {WORKLOADS[w].title} | {SYSTEMS[s].title} | failed: {r['error']} |||||")
                continue
            data, rss, traced = r["data_mb"], r["rss_peak_mb"], r.get("traced_peak_mb")
            rows.append(f"| {WORKLOADS[w].title} | {SYSTEMS[s].title} | {data:.1f} | {rss:.1f} | "
                        f"{_percent(rss, data)} | {_fmt(traced, '.1f')} | {_percent(traced, data)} |")
    if len(rows) == 2:
        return ""
    return ("## Peak memory of fit\n\n"
            "Measured in a fresh subprocess per system, after the data is loaded in the form the "
            "system takes (float64 for scikit-learn float64, a tensor for PyTorch) and after a "
            "fit on a few rows has loaded the code. *RSS*: the kernel's resident-set high-water "
            "mark is reset (`/proc/self/clear_refs`), then `getrusage(RUSAGE_SELF).ru_maxrss` "
            "after the fit minus the resident size before it: it includes the model, optimizer "
            "state, BLAS buffers and allocator slack. *tracemalloc*: the peak of memory "
            "allocated by Python and NumPy during a second fit, which sees exactly the arrays "
            "the fit creates (numpy-based systems only; PyTorch's allocator is invisible to it). "
            f"Each fit runs {MEMORY_EPOCHS_TEXT}.\n\n" + "\n".join(rows))


def _percent(part, data):
    # Against a few kB of data, the model's own arrays make any percentage meaningless.
    return "—" if part is None or data < 10 else f"{100 * part / data:.0f} %"


MEMORY_EPOCHS_TEXT = "min(epochs, 2) epochs, enough to catch a copy made per epoch"


def _predict_table(results):
    if not results["predict"]:
        return ""
    rows = ["| system | call | median µs | min µs | × numnet |", "|---|---|---:|---:|---:|"]
    calls = {"numnet": "`model.predict(x_row)`", "numnet-sklearn": "`clf.predict_proba(x_row)`",
             "sklearn64": "`clf.predict_proba(x_row)`", "sklearn32": "`clf.predict_proba(x_row)`",
             "torch": "`no_grad: softmax(net(from_numpy(x_row)))`"}
    ours = results["predict"].get("numnet", {}).get("median_us")
    for s, r in results["predict"].items():
        if "error" in r:
            rows.append(f"| {SYSTEMS[s].title} | {calls[s]} | failed: {r['error']} |||")
            continue
        rows.append(f"| {SYSTEMS[s].title} | {calls[s]} | {r['median_us']:.1f} | {r['min_us']:.1f} | "
                    f"{_fmt(_ratio(r['median_us'], ours), '.2f')} |")
    return ("## Single-row predict latency (W2 network, 64-128-10)\n\n"
            "Median of 1,000 calls on one row of shape (1, 64), each call timed on its own, input "
            "validation included, after 100 warm-up calls.\n\n" + "\n".join(rows))


def _targets(results):
    rows = ["| target | measured | met? |", "|---|---|---|"]
    rows += _speed_targets(results["timing"])
    rows += _predict_target(results["predict"])
    rows += _memory_target(results["memory"], results["meta"].get("quick"))
    return ("## Targets (issues 7 and 11)\n\nRatios of medians from this run. Against the hand-written "
            "loop, \"(paired)\": numnet's worker also ran the hand loop just before each of its fits, and "
            "the ratio is the median of each fit over its neighbour (as for the GEMM floor: neighbours "
            "drift less than runs minutes apart).\n\n" + "\n".join(rows))


def _verdict(value, ok):
    return "—" if value is None else ("met" if ok else "**not met**")


def _speed_targets(timing):
    rows = []
    for w in FLOOR_TARGETS:
        per = timing.get(w, {})
        paired = hand_ratio(per.get("numnet"))
        r = paired if paired is not None else _ratio(median(per.get("numnet")), median(per.get("hand")))
        if r is not None:
            how = " (paired)" if paired is not None else ""
            rows.append(f"| {w}: numnet fit ≤ {HAND_TARGET}× the hand-written NumPy loop | {r:.2f}×{how} | "
                        f"{_verdict(r, r <= HAND_TARGET)} |")
    for w, limit in FLOOR_TARGETS.items():
        r = floor_ratio(timing.get(w, {}).get("numnet"))
        if r is not None:
            rows.append(f"| {w}: numnet fit ≤ {limit}× GEMM floor | {r:.2f}× | {_verdict(r, r <= limit)} |")
    for w in ("W1", "W2"):
        per = timing.get(w, {})
        r = _ratio(median(per.get("sklearn32")), median(per.get("numnet")))
        if r is not None:
            rows.append(f"| {w}: numnet ≥ 3× faster than scikit-learn float32 | {r:.2f}× | "
                        f"{_verdict(r, r >= 3)} |")
    for w, per in timing.items():
        r = _ratio(median(per.get("torch")), median(per.get("numnet")))
        if r is not None:
            rows.append(f"| {w}: numnet not slower than PyTorch | PyTorch takes {r:.2f}× numnet's time | "
                        f"{_verdict(r, r >= 1)} |")
    for w in ("W1", "W2"):
        rows += _wrapper_target(w, timing.get(w, {}))
    return rows


def _wrapper_target(w, per):
    ours, theirs = per.get("numnet-sklearn"), per.get("sklearn64")
    r = _ratio(median(theirs), median(ours))
    if r is None:
        return []
    gap = ours["accuracy"] - theirs["accuracy"]
    same = gap >= -0.02  # "the same accuracy": not worse by more than 2 points
    return [f"| {w}: numnet.sklearn.MLPClassifier ≥ 2× faster than scikit-learn's (float64), "
            f"same accuracy | {r:.2f}× faster; accuracy {ours['accuracy']:.3f} vs "
            f"{theirs['accuracy']:.3f} | {_verdict(r, r >= 2 and same)} |"]


def _predict_target(predict):
    numnet = predict.get("numnet", {})
    r = numnet.get("median_us")
    if r is None:
        return []
    rows = [f"| single-row predict ≤ {PREDICT_TARGET_US:.0f} µs (numnet, validation included) | "
            f"{r:.1f} µs | {_verdict(r, r <= PREDICT_TARGET_US)} |"]
    batch = numnet.get("batch")
    if batch:
        ratio = batch["predict_ms"] / batch["products_ms"]
        rows.append(f"| predict of {batch['rows']:,} W2 rows ≤ {BATCH_PREDICT_TARGET}× the bare matrix "
                    f"products | {ratio:.2f}× ({batch['predict_ms']:.2f} ms against "
                    f"{batch['products_ms']:.2f} ms) | {_verdict(ratio, ratio <= BATCH_PREDICT_TARGET)} |")
    return rows


def _memory_target(memory, quick):
    r = memory.get("W3", {}).get("numnet")
    if not r or "error" in r:
        return []
    if quick:  # a tenth of the rows: the model's own arrays outweigh the data
        return [f"| W3: numnet fit peak ≤ data + {100 * MEMORY_TARGET:.0f} % | RSS "
                f"{r['rss_peak_mb']:.1f} MB above {r['data_mb']:.0f} MB of data | — (judged on a full run only) |"]
    rss = r["rss_peak_mb"] / r["data_mb"]
    traced = r.get("traced_peak_mb")
    traced_text = "" if traced is None else f", tracemalloc {100 * traced / r['data_mb']:.0f} %"
    return [f"| W3: numnet fit peak ≤ data + {100 * MEMORY_TARGET:.0f} % | data {r['data_mb']:.0f} MB; "
            f"peak above it: RSS {100 * rss:.0f} %{traced_text} | {_verdict(rss, rss <= MEMORY_TARGET)} (RSS) |"]


def _environment(meta):
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    blas = "; ".join(", ".join(f"{k}={v}" for k, v in info.items()) for info in meta["blas"]) or "unknown"
    removed = ", ".join(f"{k}={v}" for k, v in meta["removed_env"].items()) or "none were set"
    torch = f"; torch intra-op threads {meta['torch_threads']}" if meta.get("torch_threads") else ""
    return (f"## Environment\n\n"
            f"- CPU: {meta['cpu']}, {meta['cores']} cores (os.cpu_count)\n"
            f"- Python {meta['python']}; {versions}\n"
            f"- BLAS (threadpoolctl, in the workers): {blas}{torch}\n"
            f"- OpenBLAS kernel pinning removed from the workers' environment: {removed}\n"
            f"- Threads: left at every library's default, the same for all systems.")


def _method(meta):
    return (f"## Method\n\n"
            f"Each (workload, system) pair runs in a fresh subprocess: one warm-up fit, then "
            f"{meta['repeats']} timed fits, each building a fresh model (so construction and "
            f"weight initialisation are included, as is each library's input validation); the "
            f"median is the headline, min and max show the noise. The data is made before timing "
            f"in the form the system takes. The GEMM floor times only the float32 matrix products "
            f"of the same epochs (forward X @ W per layer, A.T @ dZ per layer, dZ @ W.T for every "
            f"layer but the first, last partial batch included) into preallocated buffers.")
