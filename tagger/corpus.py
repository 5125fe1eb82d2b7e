"""Tag many text files on a Dask cluster: one output per input, as python -m tagger.tag - would.

    python -m tagger.corpus ewt.pt 'corpus/*.txt' --out tagged/             # a local cluster
    python -m tagger.corpus ewt.pt 'corpus/*.txt' --out tagged/ --conllu
    python -m tagger.corpus ewt.pt 'corpus/*.txt' --out tagged/ --scheduler tcp://HOST:8786

Each file is cut into blocks of whole lines; a worker tags a block and sends its text back, and
the blocks of a file are written in order to a temporary file, renamed when the last is in.
"""
import argparse
import contextlib
import dataclasses
import functools
import glob
import io
import logging
import os
import sys
import tempfile
from pathlib import Path

from tagger.cli import AT_LEAST_ONE, check_path, run_cleanly
from tagger.errors import InputError
from tagger.lines import MAX_LINE_BYTES, without_bom

BLOCK_BYTES = 1 << 20  # 1 MiB of text a task: about 180,000 words of English
MODEL_LOADS = []  # in each worker process, one entry per model loaded (a test counts them)


@dataclasses.dataclass(frozen=True)
class Block:
    """Bytes [start, end) of a file, whole lines; first_line: the number of its first line."""
    path: str
    start: int
    end: int
    first_line: int


def plan_blocks(path, block_bytes=BLOCK_BYTES):
    """Cut a file into Blocks of about block_bytes, each ending at a line end (or the file's).

    Reads the file once, a block at a time; a line of over MAX_LINE_BYTES is an InputError.
    """
    blocks, offset, line = [], 0, 1
    try:
        with open(path, "rb") as file:
            while data := file.read(block_bytes):
                rest = b""
                while not (data + rest).endswith(b"\n"):  # finish the line the read cut
                    more = file.readline(MAX_LINE_BYTES + 1)
                    if not more:
                        break
                    rest += more
                    if len(rest) > MAX_LINE_BYTES:
                        long_line = line + data.count(b"\n")
                        raise InputError(f"{path} line {long_line}: over "
                                         f"{MAX_LINE_BYTES >> 20} MiB without a line break")
                size = len(data) + len(rest)
                blocks.append(Block(str(path), offset, offset + size, line))
                offset, line = offset + size, line + data.count(b"\n") + rest.count(b"\n")
    except OSError as error:
        raise InputError(f"{path}: cannot read it: {error.strerror or error}") from None
    return blocks


@functools.cache
def loaded_model(model_path):
    """The model and vocabulary at model_path, loaded once per worker process, one torch thread."""
    import torch
    from tagger.checkpoint import load_checkpoint
    torch.set_num_threads(1)  # one worker a core: N workers do not fight over the cores
    MODEL_LOADS.append(model_path)
    return load_checkpoint(model_path)


def tag_block(model_path, block, conllu=False, batch_size=512):
    """The tagged text of one Block, exactly as python -m tagger.tag MODEL - writes it."""
    from tagger.tag import tag_lines, tokenized_lines, write_tagged_lines
    from tagger.tokenizer import tokenize
    model, vocab = loaded_model(model_path)
    with open(block.path, "rb") as file:
        file.seek(block.start)
        data = file.read(block.end - block.start)
    raw_lines = data.split(b"\n")
    if raw_lines[-1] == b"":  # the block's last line ends with "\n"
        raw_lines.pop()
    numbered = []
    for number, raw in enumerate(raw_lines, block.first_line):
        try:
            text = (without_bom(raw) if number == 1 else raw).decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"{block.path} line {number}: not valid UTF-8 (byte "
                             f"0x{raw[error.start]:02x})") from None
        numbered.append((number, text.rstrip("\r")))
    tokenized = list(tokenized_lines(numbered, tokenize, block.path))
    output = io.StringIO()
    write_tagged_lines([line for _, line in numbered],
                       tag_lines(model, tokenized, vocab, batch_size), conllu, output)
    return output.getvalue()


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


def output_path(out_folder, path, conllu):
    """Where the tagged text of `path` goes: its name, with .conllu or .tagged added."""
    return Path(out_folder) / (Path(path).name + (".conllu" if conllu else ".tagged"))


@dataclasses.dataclass
class Output:
    """One input file's output as it is written: blocks arrive in any order, go out in order."""
    path: Path      # the finished file's name
    n_blocks: int
    file: object = None  # the temporary file, open for writing
    temporary: str = ""
    waiting: dict = dataclasses.field(default_factory=dict)  # block index -> text not yet written
    written: int = 0

    def open(self):
        descriptor, self.temporary = tempfile.mkstemp(dir=self.path.parent,
                                                      prefix=f".{self.path.name}.", suffix=".tmp")
        self.file = os.fdopen(descriptor, "w", encoding="utf-8", newline="")

    def add(self, index, text):
        """Keep a block's text; write every block that is next in order; True when complete."""
        self.waiting[index] = text
        while self.written in self.waiting:
            self.file.write(self.waiting.pop(self.written))
            self.written += 1
        return self.written == self.n_blocks

    def finish(self):
        """Flush it to disk and give it its name."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.chmod(self.temporary, 0o666 & ~current_umask())
        os.replace(self.temporary, self.path)

    def discard(self):
        """Remove the temporary file of an output that will not be finished."""
        if self.file is not None:
            self.file.close()
            Path(self.temporary).unlink(missing_ok=True)
            self.file = None


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def tag_files(client, model_path, files, out_folder, conllu=False, batch_size=512,
              block_bytes=BLOCK_BYTES, progress=None):
    """Tag every file on the cluster of `client`; return {file: error line} of those that failed.

    An output that exists is complete (it got its name only when it was): its file is skipped.
    At most a few blocks per worker are in flight, so the client holds a bounded amount of text.
    """
    from distributed import as_completed

    from tagger import corpus  # this module by its name: under `python -m` it is __main__,
    # and workers (and the scheduler) unpickle a task's function by its module's name
    failed, outputs, tasks = {}, {}, []
    for path in files:
        target = output_path(out_folder, path, conllu)
        if target.is_file():
            continue
        if target.exists() or target.is_symlink():
            failed[path] = f"{target}: exists and is not a regular file; not replacing it"
            continue
        try:
            blocks = plan_blocks(path, block_bytes)
        except InputError as error:
            failed[path] = str(error)
            continue
        outputs[path] = Output(target, len(blocks))
        if not blocks:  # an empty file gives an empty output
            outputs[path].open()
            outputs[path].finish()
            continue
        tasks += [(path, index, block) for index, block in enumerate(blocks)]
    if progress is not None:
        progress.total = len(tasks)
    in_flight = max(4, 3 * sum(client.nthreads().values()))
    pending = iter(tasks)
    running = as_completed()
    futures = {}

    def submit_next():
        for path, index, block in pending:
            if path in failed:
                continue
            future = client.submit(corpus.tag_block, model_path, block, conllu, batch_size,
                                   pure=False)
            futures[future] = (path, index)
            running.add(future)
            return

    try:
        for _ in range(in_flight):
            submit_next()
        for future in running:
            path, index = futures.pop(future)
            submit_next()
            if progress is not None:
                progress.update(1)
            if path in failed:
                continue
            try:
                text = future.result()
            except InputError as error:  # raised by tag_block: it names the file and the line
                failed[path], _ = str(error), outputs[path].discard()
                continue
            except Exception as error:  # noqa: BLE001 (the cluster's; the other files go on)
                said = str(error).splitlines()[0] if str(error) else ""
                failed[path] = f"{path}: failed on the cluster: {type(error).__name__}: {said}"
                outputs[path].discard()
                continue
            output = outputs[path]
            if output.file is None:
                output.open()
            if output.add(index, text):
                output.finish()
                output.file = None  # done: nothing to discard
    finally:
        for future in futures:
            future.cancel()
        for output in outputs.values():
            output.discard()  # those not finished: nothing half-written stays
    return failed


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
