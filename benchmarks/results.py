"""The results files, one a study: reading them (every figure checked), writing them whole."""
import json
import math
import os
import platform
import re
import stat
from pathlib import Path

from benchmarks.training import RECIPE_COMMAND, RECIPE_FILE, ROOT

RESULTS_FOLDER = ROOT / "benchmarks" / "results"  # accuracy.json, calibration.json, ...


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


MAX_RESULTS_BYTES = 1 << 26  # 64 MiB: far more than any study writes


def refuse_constant(name):
    """json's hook for NaN and Infinity: NaN marks a figure of an empty bin; Infinity is refused."""
    if name != "NaN":
        raise ValueError(f"{name} is not a number")
    return float("nan")


def read_results(path):
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
    "chunk_words", "default_ms", "dev_accuracy", "dev_ece", "dev_nll", "difference", "ece",
    "epoch", "epoch_seconds", "epochs", "evaluation_seconds", "forward_backward_10_ms",
    "forward_backward_40_ms", "fused_ms", "gold_tokens_upos", "longer_tokens", "loop", "loss",
    "mb", "model_bytes", "nll", "parameters", "peak_mb", "probabilities_words_per_s", "seconds",
    "sentences", "tag_tokens_per_s", "tags", "tags_words_per_s", "temperature", "tokens",
    "train_seconds", "train_tokens_per_s", "unseen", "upos", "with_vector", "without_vector",
    "words", "words_per_s", "xpos", "xpos_accuracy"}
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


def check_results_file(path):
    """Before any measuring: the file a run will rewrite is a regular file of results or does not
    exist yet (a damaged one is named now, not after hours; a link is never replaced)."""
    from tagger.errors import InputError
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"{path.parent}: no such folder; --results names a file in one")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise InputError(f"{path}: not a regular file; the figures are saved only over a "
                         "regular file")
    return read_results(path)["rows"] if path.exists() else {}


def save_results(path, rows):
    """Write a study's rows, the machine and the recipe to `path` whole: a new file, renamed;
    never figures read_results would refuse (the file would then block the study's next runs)."""
    from tagger.checkpoint import write_atomically
    from tagger.errors import InputError
    bad = next(iter(bad_figures(rows, "rows")), None)
    if bad:
        raise InputError(f"{path}: the new figures are not saved: {bad}")
    results = {"machine": machine_description(), "recipe": RECIPE_COMMAND,
               "recipe_file": RECIPE_FILE.read_text(encoding="utf-8"), "rows": rows}
    write_atomically((json.dumps(results, indent=1) + "\n").encode("utf-8"), path, path)
