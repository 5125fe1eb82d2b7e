"""Train and measure taggers on UD English EWT and print the tables of docs/: the command over benchmarks/.

    pip install -r requirements-bench.txt
    python benchmark.py              # EWT's train and dev files next to this script; saves benchmark_results.json
    python benchmark.py --data DIR   # the EWT files in another folder
    python benchmark.py --rows ROW [ROW ...]   # only those rows (a study: its rows, as docs/ name them)
    python benchmark.py --show       # print the tables again from benchmark_results.json

Each study is a file of benchmarks/ (accuracy, calibration, learning_curve, step_costs, crf_cost, raw_text,
streaming, seeds; rows.py names the rows, harness.py holds what they share). Each row runs in a child
process of its own, one after another, so that its peak memory is its own and no two torch processes
compete for the CPU: run it alone on the machine. A full run on 2 CPU cores takes longer than its rows'
training, whose times `--show` adds up in its last line: tagging, scoring and starting each process come on top.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.accuracy import print_results_table, run_classic_row, run_neural_row, run_speed_row
from benchmarks.calibration import print_probability_tables
from benchmarks.crf_cost import print_crf_comparison, run_crf_cost_row, run_crf_forward_row
from benchmarks.harness import DEFAULT_RESULTS, machine_description, peak_memory_mb, read_results, total_training_minutes
from benchmarks.learning_curve import print_learning_curve, run_learning_curve_row
from benchmarks.raw_text import print_raw_text, run_raw_text_row
from benchmarks.rows import (ADAM_ROW, ALL_ROWS, CRF_COST_ROW, CRF_FORWARD_ROW, DEV_FILE, LEARNING_CURVE_ROW,
                             RAW_TEXT_ROW, RECIPE_COMMAND, RECIPE_FILE, SPEED_ROWS, STEP_COST_ROW, STREAMING_ROW,
                             TRAIN_FILE)
from benchmarks.seeds import print_seeds
from benchmarks.step_costs import print_adam_step, print_step_cost, run_adam_step_row, run_step_cost_row
from benchmarks.streaming import print_streaming, run_streaming_row
from tagger.checkpoint import write_bytes_atomically
from tagger.cli import AT_LEAST_ONE, run_cleanly


def run_one(name, train_path, dev_path, epochs, model_path):
    """Child process: run one row and print its figures as one JSON line."""
    from tagger.training import subnormals_flushed_to_zero
    with subnormals_flushed_to_zero():  # as tagger.train trains (before any torch work: see there)
        result = measure_row(name, train_path, dev_path, epochs, model_path)
    result["peak_mb"] = peak_memory_mb()
    print(json.dumps(result))


def measure_row(name, train_path, dev_path, epochs, model_path):
    """The figures of one row, measured in this process."""
    if name == RAW_TEXT_ROW:
        result = run_raw_text_row(dev_path, model_path)
    elif name == LEARNING_CURVE_ROW:
        result = run_learning_curve_row(train_path, dev_path, epochs)
    elif name == ADAM_ROW:
        result = run_adam_step_row(train_path)
    elif name == STEP_COST_ROW:
        result = run_step_cost_row(train_path)
    elif name == CRF_FORWARD_ROW:
        result = run_crf_forward_row(dev_path)
    elif name == CRF_COST_ROW:
        result = run_crf_cost_row(train_path, dev_path, model_path)
    elif name == STREAMING_ROW:
        result = run_streaming_row(dev_path, model_path)
    elif name in SPEED_ROWS:
        result = run_speed_row(*SPEED_ROWS[name], train_path)
    elif name in ("most-frequent-tag", "nltk-perceptron", "nltk-perceptron-xpos"):
        result = run_classic_row(name, train_path, dev_path)
    else:
        result = run_neural_row(name, train_path, dev_path, epochs, model_path if name == "bilstm-chars" else None)
    return result


def print_table(results):
    """Print the machine, the recipe, and every study's tables, in the order docs/ show them."""
    rows = results["rows"]
    print(f"machine: {results['machine']}")
    print(f"recipe: {results['recipe']}")
    print()
    print_results_table(rows)
    print_raw_text(rows)
    print_probability_tables(rows)
    print_learning_curve(rows)
    print_adam_step(rows)
    print_step_cost(rows)
    print_crf_comparison(rows)
    print_seeds(rows)
    print_streaming(rows)
    print()
    print(f"The training times of all the rows above, added up: {total_training_minutes(rows):.0f} minutes.")


def main(argv=None):
    """Run the rows, each in its own child process, save the figures and print the table."""
    parser = argparse.ArgumentParser(description="Measure taggers on UD English EWT.")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parent),
                        help=f"folder holding {TRAIN_FILE} and {DEV_FILE} (default: the folder of benchmark.py,"
                             " where the README's 'Get the data' puts them)")
    parser.add_argument("--rows", nargs="+", default=ALL_ROWS, choices=ALL_ROWS,
                        help="rows to run (default: all)")
    parser.add_argument("--epochs", type=AT_LEAST_ONE, help="epochs for the neural rows (default: the recipe's)")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS,
                        help="JSON file the figures are saved to (rows not run are kept) (default: benchmark_results.json)")
    parser.add_argument("--model", default=str(Path(__file__).with_name("benchmark_recipe.pt")),
                        help="the recipe row saves its model here, and the raw-text row tags with it"
                             " (default: benchmark_recipe.pt)")
    parser.add_argument("--show", action="store_true", help="print the table from --results without measuring")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # used by the child processes
    args = parser.parse_args(argv)
    train_path, dev_path = Path(args.data) / TRAIN_FILE, Path(args.data) / DEV_FILE
    results_path = Path(args.results)
    if args.one:
        run_one(args.one, train_path, dev_path, args.epochs, args.model)
        return
    if args.show:
        print_table(read_results(results_path))
        return
    if args.epochs is not None and results_path == DEFAULT_RESULTS:
        parser.error("--epochs gives other figures than the recipe's: save them elsewhere with --results FILE")
    for path in (train_path, dev_path):
        if not path.exists():
            sys.exit(f"error: {path}: no such file; copy the EWT files there (README: Get the data) or give"
                     " their folder with --data")

    results = read_results(results_path) if results_path.exists() else {"rows": {}}
    results["rows"] = {name: row for name, row in results["rows"].items() if name in ALL_ROWS}
    results["machine"] = machine_description()
    results["recipe"] = RECIPE_COMMAND
    results["recipe_file"] = RECIPE_FILE.read_text(encoding="utf-8")
    for name in args.rows:
        epochs = ["--epochs", str(args.epochs)] if args.epochs is not None else []
        child = subprocess.run([sys.executable, __file__, "--data", args.data, *epochs,
                                "--model", args.model, "--one", name], capture_output=True, text=True)
        if child.returncode != 0:
            sys.exit(f"error: row {name} failed:\n{child.stderr}")
        results["rows"][name] = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{name}: {results['rows'][name]}", file=sys.stderr, flush=True)
        # Under a new name of its own, then renamed: an interrupted run never leaves half a file of figures.
        write_bytes_atomically((json.dumps(results, indent=1) + "\n").encode("utf-8"), results_path, results_path)
    print_table(results)


if __name__ == "__main__":
    run_cleanly(main)  # `python benchmark.py --show | head` ends quietly
