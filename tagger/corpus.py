"""Tag many text files on a Dask cluster: one output per input, as python -m tagger.tag - would.

    python -m tagger.corpus ewt.pt 'corpus/*.txt' --out tagged/             # a local cluster
    python -m tagger.corpus ewt.pt 'corpus/*.txt' --out tagged/ --conllu
    python -m tagger.corpus ewt.pt 'corpus/*.txt' --out tagged/ --scheduler tcp://HOST:8786

Each file is cut into blocks of whole lines; a worker tags a block and sends its text back, and
the blocks of a file are written in order to a temporary file, renamed when the last is in.
"""
import argparse
import contextlib
import glob
import logging
import os
import sys
from pathlib import Path

from tagger.cli import AT_LEAST_ONE, check_path, run_cleanly
from tagger.dask_tagging import output_path, tag_files
from tagger.errors import InputError


def input_files(patterns):
    """The files that INPUT arguments name (a glob is expanded here too: quoted, or on Windows),
    each once, in order; a pattern that names no file is an InputError."""
    files = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise InputError(f"{pattern}: no file matches it")
        files += [match for match in matches if match not in files]
    return files


def parse_args(argv=None):
    """The command line: a model, input files or globs, the output folder and the cluster."""
    parser = argparse.ArgumentParser(prog="python -m tagger.corpus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", metavar="MODEL.pt",
                        help="a model saved by python -m tagger.train --save; with --scheduler, "
                             "at a path every worker can read")
    parser.add_argument("inputs", metavar="INPUT", nargs="+",
                        help="text files, a sentence a line (a quoted glob such as "
                             "'corpus/*.txt' is expanded here)")
    parser.add_argument("--out", metavar="DIR", required=True,
                        help="the folder of the outputs, made if missing: INPUT's name with "
                             ".tagged added (word/UPOS lines) or .conllu. An output that is "
                             "there is complete, and its input is skipped: a rerun does the rest")
    parser.add_argument("--conllu", action="store_true", help="write CoNLL-U, as tagger.tag does")
    parser.add_argument("--workers", type=AT_LEAST_ONE, default=os.cpu_count() or 1,
                        help="worker processes of the local cluster, one torch thread each "
                             "(default: one per core)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="use the Dask cluster whose scheduler is at ADDRESS "
                             "(tcp://HOST:8786) instead of a local one")
    parser.add_argument("--batch-size", type=AT_LEAST_ONE, default=512,
                        help="sentences per batch, at least 1 (default: 512)")
    args = parser.parse_args(argv)
    for option, path in (("MODEL.pt", args.model), ("--out", args.out)):
        check_path(parser, option, path)
    if args.scheduler is not None and "--workers" in (argv if argv is not None else sys.argv):
        parser.error("--workers is for the local cluster; a cluster given with --scheduler has "
                     "its own")
    return args


def start_client(args, stack):
    """A Dask client: of the cluster at --scheduler, or of a local one; `stack` (an ExitStack)
    closes what is started here."""
    from distributed import Client, LocalCluster
    if args.scheduler is not None:
        try:
            return stack.enter_context(Client(args.scheduler, timeout="10s"))
        except (OSError, TimeoutError, ValueError) as error:
            raise InputError(f"--scheduler {args.scheduler}: no Dask scheduler answered: "
                             f"{error}") from None
    # ":0": its status page on any free port, so that two clusters on one machine never clash
    cluster = stack.enter_context(LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                               processes=True, dashboard_address=":0",
                                               # its workers' tracebacks too: a bad file is
                                               # said in one line at the end
                                               silence_logs=logging.CRITICAL))
    return stack.enter_context(Client(cluster))


def main(argv=None):
    """Tag every INPUT into --out; the files that failed are named at the end (exit 2)."""
    args = parse_args(argv)

    def work():
        from tqdm import tqdm
        from tagger.checkpoint import load_checkpoint
        files = input_files(args.inputs)
        targets = {}
        for path in files:
            target = output_path(args.out, path, args.conllu)
            if target in targets:
                raise InputError(f"{targets[target]} and {path}: both would be written to "
                                 f"{target}; tag them into different folders")
            targets[target] = path
        load_checkpoint(args.model)  # a bad model is one line now, not one per worker
        out = Path(args.out)
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {args.out}: exists and is not a folder")
        out.mkdir(parents=True, exist_ok=True)
        done_before = sum(target.is_file() for target in targets)
        with contextlib.ExitStack() as stack:
            client = start_client(args, stack)
            with tqdm(unit=" blocks", file=sys.stderr,
                      disable=True if not sys.stderr.isatty() else None) as progress:
                failed = tag_files(client, str(Path(args.model).resolve()), files, out,
                                   args.conllu, args.batch_size, progress=progress)
        for path in files:  # in the order given
            if path in failed:
                print(f"error: {failed[path]}", file=sys.stderr)
        print(f"{len(files) - done_before - len(failed)} files tagged into {args.out}, "
              f"{done_before} there before, {len(failed)} failed")
        if failed:
            sys.exit(2)

    run_cleanly(work, lambda: f"every output in {args.out} is complete; run again to do the rest")


if __name__ == "__main__":
    main()
