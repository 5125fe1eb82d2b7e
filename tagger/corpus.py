"""Tag many text files on a Dask cluster: one output per input, as python -m tagger.tag - would.

    python -m tagger.corpus ewt.pt 'corpus/*.txt' --out tagged/             # a local cluster
    python -m tagger.corpus ewt.pt 'corpus/*.txt' --out tagged/ --conllu
    python -m tagger.corpus ewt.pt 'corpus/*.txt' --out tagged/ --scheduler tcp://HOST:8786

Each file is cut into blocks of whole lines; a worker tags a block and sends its text back, and
the blocks of a file are written in order to a temporary file, renamed when the last is in. A
rerun skips an output made from the same input by the same model, and tags the rest again.
"""
import argparse
import contextlib
import glob
import importlib.util
import logging
import signal
import sys
from pathlib import Path

from tagger.cli import AT_LEAST_ONE, run, usable_cpus
from tagger.dask_tagging import Record, output_path, tag_files
from tagger.errors import InputError


def input_files(patterns, record):
    """The files INPUT names (globs expanded), each once, in order, none of ours in --out."""
    files = {}
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise InputError(f"{pattern}: no file matches it")
        files.update(dict.fromkeys(match for match in matches if not record.is_ours(match)))
    return list(files)


def parse_args(argv=None):
    """The command line: a model, input files or globs, the output folder and the cluster."""
    parser = argparse.ArgumentParser(prog="python -m tagger.corpus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("model", metavar="MODEL", help="a saved (.pt) or exported (.onnx) model; with "
        "--scheduler, at a path every worker can read")
    add("inputs", metavar="INPUT", nargs="+", help="text files, a sentence a line (a quoted glob "
        "such as 'corpus/*.txt' is expanded here)")
    add("--out", metavar="DIR", required=True, help="the outputs' folder: INPUT's name with "
        ".tagged added (tagger.tag's lines), or .conllu with --conllu")
    add("--conllu", action="store_true", help="write CoNLL-U, as tagger.tag does")
    add("--workers", type=AT_LEAST_ONE, help="worker processes of the local cluster, one torch "
        "thread each (default: one per CPU this process may use)")
    add("--scheduler", metavar="ADDRESS", help="the Dask cluster whose scheduler is at ADDRESS "
        "(tcp://HOST:8786) instead of a local one")
    add("--worker-timeout", type=AT_LEAST_ONE, default=60, metavar="SECONDS",
        help="with --scheduler: stop if no worker has joined after this long (default: 60)")
    add("--batch-size", type=AT_LEAST_ONE, default=512, help="sentences a batch (default: 512)")
    args = parser.parse_args(argv)
    if args.scheduler is not None and args.workers is not None:
        parser.error("--workers is for the local cluster; a cluster given with --scheduler has "
                     "its own")
    return args


NEEDS = ("need the repository's folder on their PYTHONPATH (or this repository installed) and "
         "the packages of requirements.txt and requirements-dask.txt")


def start_client(args, stack):
    """A client of --scheduler's cluster or a local one; `stack` closes what starts here."""
    from distributed import Client, LocalCluster
    if args.scheduler is None:
        # Ctrl-C is for this process, which stops the cluster: its workers ignore it (they
        # inherit that), so that none prints a traceback of its own.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            cluster = stack.enter_context(LocalCluster(
                n_workers=args.workers or usable_cpus(), threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=logging.CRITICAL))
        finally:
            signal.signal(signal.SIGINT, previous)
        return stack.enter_context(Client(cluster))
    try:
        client = stack.enter_context(Client(args.scheduler, timeout="10s"))
        client.wait_for_workers(1, timeout=args.worker_timeout)
    except (OSError, TimeoutError) as error:
        raise InputError(f"--scheduler {args.scheduler}: no scheduler, or no worker within "
                         f"{args.worker_timeout} s: {error}") from None
    # A function of the standard library: it reaches them whatever their path holds.
    found = [client.run_on_scheduler(importlib.util.find_spec, "tagger"),
             *client.run(importlib.util.find_spec, "tagger").values()]
    if None in found:
        raise InputError(f"--scheduler {args.scheduler}: the scheduler or a worker cannot import "
                         f"tagger: they {NEEDS}")
    return client


def main(argv=None):
    """Tag every INPUT into --out; the files that failed are named at the end (exit 2)."""
    args = parse_args(argv)

    def work():
        from tqdm import tqdm
        from tagger.checkpoint import load_model
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {args.out}: exists and is not a folder")
        files = input_files(args.inputs, Record(out))
        targets = {}
        for path in files:
            target = output_path(out, path, args.conllu)
            if target in targets:
                raise InputError(f"{targets[target]} and {path}: both would be written to "
                                 f"{target}; tag them into different folders")
            targets[target] = path
        outputs = {target.resolve() for target in targets}  # an input may be one: not tagged
        files = [path for path in files if Path(path).resolve() not in outputs]
        load_model(args.model)  # a bad model is one line now, not one per worker
        out.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as stack:
            client = start_client(args, stack)
            with tqdm(unit=" blocks", file=sys.stderr, disable=None) as progress:
                status = tag_files(client, Path(args.model).resolve(), files, out, args.conllu,
                                   args.batch_size, progress=progress,
                                   warn=lambda line: print(line, file=sys.stderr))
        counts = {word: sum(value == word for value in status.values())
                  for word in ("tagged", "retagged", "skipped")}
        failed = [path for path, value in status.items() if value not in counts]
        for path in failed:  # in the order given
            print(f"error: {status[path]}", file=sys.stderr)
        print(f"{counts['tagged']} files tagged into {args.out}, {counts['retagged']} tagged again "
              f"(their input or the model changed), {counts['skipped']} up to date, "
              f"{len(failed)} failed")
        if failed:
            sys.exit(2)

    run(work, lambda: f"every output in {args.out} is complete; run again to do the rest")


if __name__ == "__main__":
    main()
