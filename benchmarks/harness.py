"""What every study shares: timing, peak memory, child processes, the machine, and the results files."""
import collections
import json
import platform
import re
import resource
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
    """Run a command with standard input from a file and its output thrown away: (seconds, peak MB of it).

    The peak is the child's own high-water mark (VmHWM in /proc, read as it runs): the rusage of a
    child also counts the memory this process had when it started the child.
    """
    with open(stdin_path, "rb") as stdin, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr, cwd=ROOT)
        peak_kb = 0
        while process.poll() is None:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
                peak_kb = max(peak_kb, int(re.search(r"^VmHWM:\s+(\d+) kB", status, flags=re.M).group(1)))
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
    """The training times of all the stored rows, learning-curve points included, added up, in minutes."""
    seconds = sum(row.get("train_seconds", 0.0) for row in rows.values())
    for point in rows.get(LEARNING_CURVE_ROW, {}).get("points", []):
        seconds += point["recipe"]["train_seconds"] + point["nltk"]["train_seconds"]
    return seconds / 60


RESULTS_FOLDER = ROOT / "benchmarks" / "results"  # one file a study: accuracy.json, calibration.json, ...


# What a row is measured on: the EWT files, the epochs (None: the recipe's), and the recipe row's saved model.
RowInputs = collections.namedtuple("RowInputs", "train dev epochs model")


def read_study_results(path):
    """The figures saved in one study's results file; a missing, unreadable or malformed one is an InputError."""
    from tagger.errors import InputError
    try:
        results = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the results: {getattr(error, 'strerror', None) or error}") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path} line {error.lineno}: not a results file: {error.msg}") from None
    if not isinstance(results, dict) or not isinstance(results.get("rows"), dict):
        raise InputError(f"{path}: not a results file: it has no rows")
    return results


def read_results(folder, studies):
    """Every study's saved figures in `folder` (a study not yet run has no file): {study: its results}."""
    from tagger.errors import InputError
    if not Path(folder).is_dir():
        raise InputError(f"{folder}: not a folder of results (one file a study, such as accuracy.json)")
    paths = {study: Path(folder) / f"{study}.json" for study in studies}
    return {study: read_study_results(path) for study, path in paths.items() if path.exists()}


def all_rows(saved):
    """Every saved row, whatever its study, by name: the tables of one study may read another's rows."""
    return {row: figures for results in saved.values() for row, figures in results["rows"].items()}
