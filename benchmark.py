"""Run every study of benchmarks/ in turn, or print all their tables from the saved results.

    pip install -r requirements-bench.txt
    python benchmark.py                  # every study; every study's files are checked first:
                                         # the EWT files and ewt.pt (or --data, --model), and
                                         # glove.6B.50d.txt next to this file, and the
                                         # transformer's weights (the recipe's SHA-256)
    python benchmark.py --show           # the tables of docs/ again, from benchmarks/results

Each study also runs alone: `python -m benchmarks.seeds --help`. Run it alone on the machine:
two torch processes at once slow each other down.
"""
import argparse
from pathlib import Path

from benchmarks import (accuracy, calibration, contextual, corpus, crf_cost, export,
                        learning_curve, raw_text, seeds, serve, step_costs, streaming, vectors)
from benchmarks.results import RESULTS_FOLDER, read_results
from benchmarks.study import (DEFAULT_MODEL, check_inputs, parse_args, print_saved, run_study,
                              study_name)
from benchmarks.training import ROOT

STUDIES = (accuracy, raw_text, calibration, learning_curve, step_costs, crf_cost, seeds, streaming,
           vectors, contextual, export, corpus, serve)


def training_seconds(figures):
    """Every train_seconds figure in a row, added up, however deep (the learning curve's points
    hold two each)."""
    if isinstance(figures, dict):
        return sum(value if key == "train_seconds" else training_seconds(value)
                   for key, value in figures.items())
    return 0.0


def show(folder):
    """Every saved study's tables, in the order of docs/, after one machine and recipe line."""
    from tagger.errors import InputError
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of results (one file a study, such as "
                         "accuracy.json)")
    saved = {study: folder / f"{study_name(study)}.json" for study in STUDIES}
    saved = {study: path for study, path in saved.items() if path.exists()}
    results = {study: read_results(path) for study, path in saved.items()}
    for key in ("machine", "recipe"):
        studies_by_value = {}
        for study, result in results.items():
            studies_by_value.setdefault(result[key], []).append(study_name(study))
        for value, names in studies_by_value.items():  # one line when every study agrees
            named = key if len(studies_by_value) == 1 else f"{key} ({', '.join(names)})"
            print(f"{named}: {value}")
    print()
    for study, path in saved.items():
        print_saved(study, path, header=False, results=results[study])
    minutes = sum(training_seconds(result["rows"]) for result in results.values()) / 60
    print()
    print(f"The training times of all the rows above, added up: {minutes:.0f} minutes.")


def main(argv=None):
    """Run the studies one after another (each saves its own file), or --show."""
    parser = argparse.ArgumentParser(prog="python benchmark.py",
                                     description="Run every study of benchmarks/ on UD "
                                                 "English EWT, or print their saved tables.")
    parser.add_argument("--data", metavar="FOLDER", default=str(ROOT),
                        help="folder of the EWT files (default: this file's)")
    parser.add_argument("--model", metavar="FILE", default=str(DEFAULT_MODEL),
                        help="the trained model that raw_text, crf_cost, streaming, export, corpus "
                             "and serve measure (default: ewt.pt, where the README's recipe "
                             "saves it)")
    parser.add_argument("--results", metavar="FOLDER", type=Path, default=RESULTS_FOLDER,
                        help="folder of the results files, one a study (default: "
                             "benchmarks/results)")
    parser.add_argument("--show", action="store_true",
                        help="print the tables from --results without measuring")
    args = parser.parse_args(argv)
    if not args.show:
        from tagger.errors import InputError
        if args.results.exists() and not args.results.is_dir():
            raise InputError(f"{args.results}: not a folder; --results names the folder of the "
                             "results files")
        options = {}
        for study in STUDIES:
            options[study] = ["--data", args.data,
                              "--results", str(args.results / f"{study_name(study)}.json")]
            if getattr(study, "MODEL_ROWS", ()):
                options[study] += ["--model", args.model]
            # every study's files now, not after hours of the first studies
            check_inputs(study, parse_args(study, options[study]))
        args.results.mkdir(parents=True, exist_ok=True)
        for study in STUDIES:
            run_study(study, options[study])
        print()
    show(args.results)


if __name__ == "__main__":
    from tagger.cli import run
    run(main,  # `python benchmark.py --show | head` ends quietly
                when_interrupted=lambda: "every row measured before is saved")
