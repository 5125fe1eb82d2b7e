"""Train and measure taggers on UD English EWT and print the tables of docs/: the command over
benchmarks/.

    pip install -r requirements-bench.txt
    python benchmark.py                      # every study; EWT's files next to this script
    python benchmark.py --study calibration  # one study (or several), saved to its own file
    python benchmark.py --rows crf-cost      # only those rows
    python benchmark.py --data DIR           # the EWT files in another folder
    python benchmark.py --show               # print the tables again from the saved results

Each study is a file of benchmarks/ that names the rows it measures (MEASURED_ROWS), measures one
(measure) and prints its tables (print_tables); its figures are saved in
benchmarks/results/STUDY.json, and running a study writes no other study's file. rows.py names the
rows, trained_rows.py trains and measures a tagger, harness.py holds the rest the studies share. The
recipe's row (accuracy study) saves its model, which the raw_text, crf_cost and streaming studies
measure: run it first.

Each row runs in a child process of its own, one after another, so that its peak memory is its own
and no two torch processes compete for the CPU: run it alone on the machine. A full run on 2 CPU
cores takes longer than its rows' training, whose times `--show` adds up in its last line: tagging,
scoring and starting each process come on top.
"""
import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

from benchmarks import (accuracy, calibration, crf_cost, learning_curve, raw_text, seeds,
                        step_costs, streaming)
from benchmarks.harness import (RESULTS_FOLDER, RowInputs, all_rows, machine_description,
                                peak_memory_mb,
                                read_results, total_training_minutes)
from benchmarks.rows import DEV_FILE, RECIPE_COMMAND, RECIPE_FILE, ROWS, TRAIN_FILE

# The studies, in the order docs/ show their tables (and run: the accuracy study saves the recipe's
# model).
STUDIES = {"accuracy": accuracy, "raw_text": raw_text, "calibration": calibration,
           "learning_curve": learning_curve, "step_costs": step_costs, "crf_cost": crf_cost,
           "seeds": seeds,
           "streaming": streaming}
STUDY_OF_ROW = {row: name for name, study in STUDIES.items() for row in study.MEASURED_ROWS}
ALL_ROWS = list(STUDY_OF_ROW)
MODEL_ROW = "bilstm-chars"  # the recipe: its row saves the model these studies measure
ROWS_USING_THE_MODEL = (*raw_text.MEASURED_ROWS, crf_cost.CRF_COST_ROW, *streaming.MEASURED_ROWS)


def run_one(row, data):
    """Child process: measure one row and print its figures as one JSON line."""
    from tagger.training import subnormals_flushed_to_zero
    with subnormals_flushed_to_zero():  # as tagger.train trains (before any torch work: see there)
        result = STUDIES[STUDY_OF_ROW[row]].measure(row, data)
    result["peak_mb"] = peak_memory_mb()
    print(json.dumps(result))


def print_table(saved):
    """Print the machine, the recipe, and every study's tables, in the order docs/ show them.

    saved: {study: its results}, as read_results returns them.
    """
    rows = all_rows(saved)
    for key in ("machine", "recipe"):
        studies_by_value = {}
        for study, results in saved.items():
            studies_by_value.setdefault(results[key], []).append(study)
        for value, studies in studies_by_value.items():  # one line when every study agrees
            named = key if len(studies_by_value) == 1 else f"{key} ({', '.join(studies)})"
            print(f"{named}: {value}")
    print()
    for name, study in STUDIES.items():
        try:
            study.print_tables(rows)
        except (KeyError, TypeError, IndexError, ValueError, ZeroDivisionError,
                AttributeError) as error:
            from tagger.errors import InputError
            what = f"no figure {error}" if isinstance(error,
                                                      KeyError) else str(error).splitlines()[0]
            raise InputError(f"the saved figures of the {name} study do not make its tables "
                             f"({what}); "
                             f"rerun it with `python benchmark.py --study {name}`") from None
    print()
    print("The training times of all the rows above, added up: "
          f"{total_training_minutes(rows):.0f} minutes.")


def save_row(folder, row, figures):
    """Store one row's figures in its study's results file; other studies' files stay."""
    from tagger.checkpoint import write_atomically
    path = Path(folder) / f"{STUDY_OF_ROW[row]}.json"
    results = read_results(folder, [STUDY_OF_ROW[row]]).get(STUDY_OF_ROW[row], {"rows": {}})
    results["rows"] = {name: old for name, old in results["rows"].items()
                       if STUDY_OF_ROW.get(name) == STUDY_OF_ROW[row]}
    results.update(machine=machine_description(), recipe=RECIPE_COMMAND,
                   recipe_file=RECIPE_FILE.read_text(encoding="utf-8"))
    results["rows"][row] = dict(figures, label=ROWS[row]) if row in ROWS else figures
    # Under a new name of its own, then renamed: an interrupted run never leaves half a file of
    # figures.
    write_atomically((json.dumps(results, indent=1) + "\n").encode("utf-8"), path, path)


def rows_to_run(studies, rows):
    """The chosen studies' rows and the chosen rows, in the order they run; none chosen: all."""
    chosen = {*rows, *[row for study in studies for row in STUDIES[study].MEASURED_ROWS]}
    return [row for row in ALL_ROWS if row in chosen] if chosen else ALL_ROWS


def check_results_files(folder, studies):
    """Before any measuring: the results folder is made, and the files the run will rewrite are
    results files (a damaged one is named now, not after hours of measuring) and regular files (a
    link is never replaced)."""
    from tagger.errors import InputError
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: not a folder; --results names the folder of the results files")
    folder.mkdir(parents=True, exist_ok=True)
    for study in studies:
        path = folder / f"{study}.json"
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise InputError(f"{path}: not a regular file; the figures are saved only over a "
                             "regular file")
    read_results(folder, studies)


def rerun_command(args, rows):
    """The command that measures `rows` as this run would: same data, model, results and epochs."""
    defaults = parse_args([])
    options = []
    for name in ("data", "model", "results", "epochs"):
        if getattr(args, name) != getattr(defaults, name):  # only what this run changed
            options += [f"--{name}", shlex.quote(str(getattr(args, name)))]
    return " ".join(["python benchmark.py", *options, "--rows", *rows])


def parse_args(argv):
    """The command line; --rows and --study add up (default: every row)."""
    from tagger.cli import AT_LEAST_ONE
    parser = argparse.ArgumentParser(description="Measure taggers on UD English EWT.")
    parser.add_argument("--data", metavar="FOLDER", default=str(Path(__file__).resolve().parent),
                        help=f"folder holding {TRAIN_FILE} and {DEV_FILE} (default: the folder of "
                             "benchmark.py, where docs/real-data.md, Get the data, puts them)")
    parser.add_argument("--study", nargs="+", default=[], choices=list(STUDIES), metavar="STUDY",
                        help=f"studies to run, each a file of benchmarks/: {', '.join(STUDIES)} "
                             "(default: all)")
    parser.add_argument("--rows", nargs="+", default=[], choices=ALL_ROWS, metavar="ROW",
                        help=f"rows to run: {', '.join(ALL_ROWS)} (default: all)")
    parser.add_argument("--epochs", type=AT_LEAST_ONE,
                        help="epochs for the neural rows (default: the recipe's)")
    parser.add_argument("--results", metavar="FOLDER", type=Path, default=RESULTS_FOLDER,
                        help="folder of the results files, one a study (default: "
                             "benchmarks/results)")
    parser.add_argument("--model", metavar="FILE",
                        default=str(Path(__file__).with_name("benchmark_recipe.pt")),
                        help="the recipe's row saves its model here, and the studies that use it "
                             "read it (default: benchmark_recipe.pt)")
    parser.add_argument("--show", action="store_true",
                        help="print the tables from --results without measuring")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # used by the child processes
    args = parser.parse_args(argv)
    measures = not (args.show or args.one)
    saves_over_the_recipes = args.results.resolve() == RESULTS_FOLDER and measures
    if args.epochs is not None and saves_over_the_recipes:
        parser.error("--epochs gives other figures than the recipe's: save them elsewhere with "
                     "--results FOLDER")
    return args


def main(argv=None):
    """Run the rows, each in a child process; save each one's figures in its study's file; print."""
    args = parse_args(argv)
    data = RowInputs(Path(args.data) / TRAIN_FILE, Path(args.data) / DEV_FILE, args.epochs,
                     args.model)
    if args.one:
        run_one(args.one, data)
        return
    if args.show:
        print_table(read_results(args.results, STUDIES))
        return
    for path in (data.train, data.dev):
        if not path.exists():
            sys.exit(f"error: {path}: no such file; copy the EWT files there (docs/real-data.md, "
                     "Get the data) or give their folder with --data")
    rows = rows_to_run(args.study, args.rows)
    needs_model = any(row in ROWS_USING_THE_MODEL for row in rows)
    if MODEL_ROW not in rows and not Path(args.model).exists() and needs_model:
        sys.exit(f"error: {args.model}: no such file; these rows measure the recipe's saved "
                 f"model: run `python benchmark.py --rows {MODEL_ROW}` (the accuracy study's) "
                 "first, or give it with --model")
    check_results_files(args.results, {STUDY_OF_ROW[row] for row in rows})
    for row in rows:
        epochs = ["--epochs", str(args.epochs)] if args.epochs is not None else []
        child = subprocess.run([sys.executable, __file__, "--data", args.data, *epochs,
                                "--model", args.model, "--one", row], capture_output=True,
                               text=True)
        if child.returncode != 0:
            sys.exit(f"error: row {row} failed:\n{child.stderr}")
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{row}: {figures}", file=sys.stderr, flush=True)
        save_row(args.results, row, figures)
    saved = read_results(args.results, STUDIES)
    print_table(saved)
    stale = [row for row in ROWS_USING_THE_MODEL if row not in rows and row in all_rows(saved)]
    if MODEL_ROW in rows and stale:
        print(f"note: the recipe's model is new; the saved figures of {', '.join(stale)} describe "
              f"the one before: rerun them with `{rerun_command(args, stale)}`", file=sys.stderr)


if __name__ == "__main__":
    from tagger.cli import run_cleanly
    run_cleanly(main)  # `python benchmark.py --show | head` ends quietly
