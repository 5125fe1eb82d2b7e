"""The command line every study has: measure its rows, save them in its results file, print.

A study is a module of benchmarks/ with ROWS (its rows, in the order they run), measure(row,
args) (one row's figures), print_tables(rows), and optionally TRAINS (it takes --epochs),
MODEL_ROWS (the rows that measure a trained model given with --model), add_arguments(parser)
(options of its own) and inputs(args) (files that must be there before it starts).
"""
import argparse
import importlib
import sys
from pathlib import Path

from benchmarks.results import RESULTS_FOLDER, check_results_file, read_results, save_results
from benchmarks.training import DEV_FILE, ROOT, TRAIN_FILE

# Where the README's recipe command saves its model.
DEFAULT_MODEL = ROOT / "ewt.pt"
TABLE_ERRORS = (KeyError, TypeError, IndexError, ValueError, ZeroDivisionError, AttributeError)


def study_name(study):
    """accuracy for benchmarks.accuracy."""
    return study.__name__.rpartition(".")[2]


def parse_args(study, argv):
    """The study's options: its rows, the data, the results file; --epochs and --model if used."""
    from tagger.cli import AT_LEAST_ONE
    name = study_name(study)
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{name}",
                                     description=study.__doc__.splitlines()[0])
    parser.add_argument("--data", metavar="FOLDER", type=Path, default=ROOT,
                        help=f"folder holding {TRAIN_FILE} and {DEV_FILE} (default: the "
                             "repository's, where docs/real-data.md, Get the data, puts them)")
    parser.add_argument("--rows", nargs="+", choices=list(study.ROWS), default=list(study.ROWS),
                        metavar="ROW", help=f"rows to measure: {', '.join(study.ROWS)} "
                                            "(default: all)")
    if getattr(study, "TRAINS", False):
        parser.add_argument("--epochs", type=AT_LEAST_ONE,
                            help="epochs of every training (default: each row's recipe's)")
    if getattr(study, "MODEL_ROWS", ()):
        parser.add_argument("--model", metavar="FILE", type=Path, default=DEFAULT_MODEL,
                            help=f"a trained model, measured by {', '.join(study.MODEL_ROWS)} "
                                 "(default: ewt.pt, where the README's recipe saves it)")
    if hasattr(study, "add_arguments"):
        study.add_arguments(parser)
    parser.add_argument("--results", metavar="FILE", type=Path,
                        default=RESULTS_FOLDER / f"{name}.json",
                        help=f"the study's results file (default: benchmarks/results/{name}.json)")
    parser.add_argument("--show", action="store_true",
                        help="print the tables from --results without measuring")
    args = parser.parse_args(argv)
    if (getattr(args, "epochs", None) is not None and not args.show
            and args.results.resolve() == (RESULTS_FOLDER / f"{name}.json").resolve()):
        parser.error("--epochs gives other figures than the recipe's: save them elsewhere with "
                     "--results FILE")
    args.train, args.dev = args.data / TRAIN_FILE, args.data / DEV_FILE
    return args


def print_saved(study, path, header=True, results=None):
    """The study's tables from its results file (or from `results`, already read from it); the
    machine and the recipe first if header."""
    from tagger.errors import InputError
    results = results or read_results(path)
    if header:
        print(f"machine: {results['machine']}")
        print(f"recipe: {results['recipe']}")
    try:
        study.print_tables(results["rows"])
    except TABLE_ERRORS as error:
        what = f"no figure {error}" if isinstance(error, KeyError) else str(error).splitlines()[0]
        raise InputError(f"{path}: the saved figures do not make the tables ({what}); measure "
                         f"them again with `python -m benchmarks.{study_name(study)}`") from None


def check_inputs(study, args):
    """The data files, and the model if a chosen row measures one: there, or a one-line error."""
    from tagger.errors import InputError
    for path in (args.train, args.dev):
        if not path.is_file():
            raise InputError(f"{path}: no such file; copy the EWT files there (docs/real-data.md, "
                             "Get the data) or give their folder with --data")
    for path in getattr(study, "inputs", lambda args: [])(args):
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    uses_model = [row for row in args.rows if row in getattr(study, "MODEL_ROWS", ())]
    if uses_model and not args.model.is_file():
        raise InputError(f"{args.model}: no such file; {', '.join(uses_model)} measure a trained "
                         "model: train it with the README's recipe, or give it with --model")


def run_study(study, argv=None):
    """Measure the chosen rows one after another, saving after each; then print the tables."""
    from tagger.cli import subnormals_flushed_to_zero
    args = parse_args(study, argv)
    if not args.show:
        check_inputs(study, args)
        rows = {row: figures for row, figures in check_results_file(args.results).items()
                if row in study.ROWS}  # a row measured before and not chosen now is kept
        for row in dict.fromkeys(args.rows):  # each once, in the order given
            with subnormals_flushed_to_zero():  # as tagger.train trains
                rows[row] = study.measure(row, args)
            print(f"{row}: measured", file=sys.stderr, flush=True)
            save_results(args.results, {name: rows[name] for name in study.ROWS if name in rows})
    print_saved(study, args.results)


def study_command(module_name):
    """`python -m benchmarks.NAME`: the study run under its own module name (which the fresh
    processes of a study import), ending in one line on bad input."""
    from tagger.cli import run
    study = importlib.import_module(module_name)
    run(lambda: run_study(study),  # `--show | head` ends quietly
                when_interrupted=lambda: "every row measured before is saved")
