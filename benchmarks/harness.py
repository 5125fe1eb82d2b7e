"""What every study shares: timing, peak memory, child processes, the machine, the results files."""
import collections
import json
import math
import os
import platform
import re
import resource
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.rows import ROOT, LEARNING_CURVE_ROW


def peak_memory_mb():
    """This process's peak resident memory in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def best_of(repeats, function):
    """Run `function` `repeats` times; return (fastest seconds, its last result)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def measured_run(argv, stdin_path):
    """Run a command with standard input from a file and its output thrown away: (seconds, peak MB
    of it).

    The peak is the child's own high-water mark (VmHWM in /proc, read as it runs): the rusage of a
    child also counts the memory this process had when it started the child.
    """
    with open(stdin_path, "rb") as stdin, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr,
                                   cwd=ROOT)
        peak_kb = 0
        while process.poll() is None:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
                peak_kb = max(peak_kb,
                              int(re.search(r"^VmHWM:\s+(\d+) kB", status, flags=re.M).group(1)))
            except (OSError, AttributeError):  # just ended, or not Linux
                pass
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            stderr.seek(0)
            raise RuntimeError(f"{' '.join(argv)} failed: {stderr.read().decode()}")
    return seconds, peak_kb / 2**10


def machine_description():
    """One line about the machine the figures were measured on."""
    import torch
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), flags=re.M)
        cpu = names[0] if names else cpu
    return (f"{cpu}, {torch.get_num_threads()} torch threads, Python {platform.python_version()}, "
            f"torch {torch.__version__}")


def mean_of(rows, names, key):
    """The mean of one figure over some rows (the seeds of one setting)."""
    return sum(rows[name][key] for name in names) / len(names)


def straight_line(xs, ys):
    """The least-squares line through the points (xs, ys): (intercept, slope)."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
             / sum((x - mean_x) ** 2 for x in xs))
    return mean_y - slope * mean_x, slope


def total_training_minutes(rows):
    """The training times of all stored rows, learning-curve points included, summed, in minutes."""
    seconds = sum(row.get("train_seconds", 0.0) for row in rows.values())
    for point in rows.get(LEARNING_CURVE_ROW, {}).get("points", []):
        seconds += point["recipe"]["train_seconds"] + point["nltk"]["train_seconds"]
    return seconds / 60


# one file a study: accuracy.json, calibration.json, ...
RESULTS_FOLDER = ROOT / "benchmarks" / "results"


# What a row is measured on: the EWT files, the epochs (None: the recipe's), and the recipe row's
# saved model.
RowInputs = collections.namedtuple("RowInputs", "train dev epochs model")


MAX_RESULTS_BYTES = 1 << 26  # 64 MiB: far more than any study writes


def refuse_constant(name):
    """json's hook for NaN and Infinity: NaN marks a figure of an empty bin; Infinity is refused."""
    if name != "NaN":
        raise ValueError(f"{name} is not a number")
    return float("nan")


def read_study_results(path):
    """The figures saved in one study's results file; anything else is an InputError naming the
    file.

    Checked here: a regular file of JSON, every number finite (but NaN in a list: an empty bin's
    figure), a machine and a recipe line, and rows, each a dictionary. What each table reads of
    a row is checked as it prints.
    """
    from tagger.errors import InputError
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: not a regular file")
        if info.st_size > MAX_RESULTS_BYTES:
            raise InputError(f"{path}: over {MAX_RESULTS_BYTES >> 20} MiB: not a results file")
        results = json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=refuse_constant)
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the results: "
                         f"{getattr(error, 'strerror', None) or error}") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path} line {error.lineno}: not a results file: {error.msg}") from None
    except (ValueError, RecursionError) as error:
        what = error if isinstance(error, ValueError) else "nested too deeply"
        raise InputError(f"{path}: not a results file: {what}") from None
    if not isinstance(results, dict) or not isinstance(results.get("rows"), dict):
        raise InputError(f"{path}: not a results file: it has no rows")
    for field in ("machine", "recipe"):
        if not isinstance(results.get(field), str):
            raise InputError(f"{path}: not a results file: '{field}' is missing or not text")
    for row, figures in results["rows"].items():
        if not isinstance(figures, dict):
            raise InputError(f"{path}: row '{row}' is not a dictionary of figures")
        bad = next(iter(bad_figures(figures, f"rows.{row}")), None)
        if bad:
            raise InputError(f"{path}: {bad}")
    return results


# Every figure the studies save under these names is a number of 0 or more; a share is at most 1.
NUMBER_FIELDS = {
    "Tokens", "UPOS", "Words", "accuracy", "adam_ms", "batched", "best_epoch", "brier", "chars",
                 "chunk_words",
    "default_ms", "dev_accuracy", "dev_ece", "dev_nll", "difference", "ece", "epoch",
                 "epoch_seconds", "epochs",
    "evaluation_seconds", "forward_backward_10_ms", "forward_backward_40_ms", "fused_ms",
                 "gold_tokens_upos",
    "longer_tokens", "loop", "loss", "mb", "nll", "parameters", "peak_mb",
                 "probabilities_words_per_s", "seconds",
    "sentences", "tag_tokens_per_s", "tags", "tags_words_per_s", "temperature", "tokens",
                 "train_seconds",
    "train_tokens_per_s", "unseen", "upos", "words", "words_per_s", "xpos", "xpos_accuracy"}
SHARE_FIELDS = {"dev_accuracy", "xpos_accuracy", "ece", "dev_ece"}


def bad_figures(value, where, depth=0):
    """Where a row's figures break the rules above, or hold inf (NaN only in lists: empty bins)."""
    if depth > 20:
        yield f"{where}: nested too deeply"
    elif isinstance(value, dict):
        for key, item in value.items():
            place = f"{where}.{key}"
            is_number = type(item) in (int, float) and math.isfinite(item)
            if key in NUMBER_FIELDS and not (is_number and 0 <= item <= 10**12):
                yield f"{place}: {item!r} is not a finite number of 0 or more"
            elif key in SHARE_FIELDS and item > 1:
                yield f"{place}: {item!r} is more than 1"
            elif key == "best_epoch" and not item <= len(value.get("history") or [None] * item):
                yield f"{place}: {item!r} is past the last epoch"
            elif type(item) is float and not math.isfinite(item):
                yield f"{place}: {item!r} is not a finite number"
            else:
                yield from bad_figures(item, place, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if type(item) is float and math.isinf(item):
                yield f"{where}[{index}]: {item!r} is not a finite number"
            yield from bad_figures(item, f"{where}[{index}]", depth + 1)


def read_results(folder, studies):
    """Every study's saved figures in `folder` (a study not run yet has none): {study: results}."""
    from tagger.errors import InputError
    if not Path(folder).is_dir():
        raise InputError(f"{folder}: not a folder of results (one file a study, such as "
                         "accuracy.json)")
    paths = {study: Path(folder) / f"{study}.json" for study in studies}
    return {study: read_study_results(path) for study, path in paths.items() if path.exists()}


def all_rows(saved):
    """Every saved row, whatever its study, by name: one study's tables may read another's rows."""
    return {row: figures for results in saved.values() for row, figures in results["rows"].items()}
