"""Tagging files on a Dask cluster: blocks of lines out, each output written whole, recorded."""
import dataclasses
import functools
import hashlib
import io
import json
import os
from pathlib import Path

from tagger.atomic_file import AtomicFile
from tagger.errors import InputError
from tagger.lines import MAX_LINE_BYTES, LineReader

BLOCK_BYTES = 1 << 20  # 1 MiB of text a task: about 200,000 words of EWT's text
RECORD = ".tagger-corpus.jsonl"  # in --out: what each output was made from


@dataclasses.dataclass(frozen=True)
class Block:
    """Bytes [start, end) of a file, whole lines: its first line's number and character offset."""
    path: str
    start: int
    end: int
    first_line: int
    first_char: int = 0


def plan_blocks(path, block_bytes=BLOCK_BYTES):
    """Cut a file into Blocks of about block_bytes, each ending at a line end (or the file's)."""
    blocks, offset, line, chars = [], 0, 1, 0
    try:
        with open(path, "rb") as file:
            while data := file.read(block_bytes):
                while not data.endswith(b"\n"):  # finish the line the read cut
                    more = file.readline(MAX_LINE_BYTES + 1)
                    if not more:
                        break
                    data += more
                    if len(more) > MAX_LINE_BYTES:
                        long_line = line + data.count(b"\n")
                        raise InputError(f"{path} line {long_line}: over "
                                         f"{MAX_LINE_BYTES >> 20} MiB without a line break")
                blocks.append(Block(str(path), offset, offset + len(data), line, chars))
                chars += len(data.decode("utf-8", errors="replace"))  # as tagger.tag counts
                offset, line = offset + len(data), line + data.count(b"\n")
    except OSError as error:
        raise InputError(f"{path}: cannot read it: {error.strerror or error}") from None
    return blocks


def file_digest(path):
    """The SHA-256 of a file's bytes, in hex: a model's identity, whatever its name or date."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


@functools.lru_cache(maxsize=2)
def loaded_model(model_path, digest):
    """The model with these bytes (SHA-256), loaded once per worker (and anew once retrained)."""
    import torch
    from tagger.checkpoint import load_model
    torch.set_num_threads(1)  # one worker a core
    data = Path(model_path).read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise InputError(f"{model_path}: changed since this run started; run it again")
    return load_model(model_path, data=data)


def tag_block(model_path, digest, block, conllu=False, batch_size=512):
    """(tagged text, warnings) of one Block, exactly as python -m tagger.tag MODEL - writes it."""
    from tagger.tagging import tag_text, text_lines
    model, vocab = loaded_model(model_path, digest)
    with open(block.path, "rb") as file:
        file.seek(block.start)
        data = file.read(block.end - block.start)
    reader = LineReader(block.path, io.BytesIO(data), first_line=block.first_line)
    warnings = []
    lines = text_lines(reader, warnings, block.first_char)
    text = "".join(tagged for _, tagged in tag_text(model, vocab, lines, reader.name, conllu,
                                                    batch_size=batch_size))
    return text, warnings


def output_path(out_folder, path, conllu):
    """Where the tagged text of `path` goes: its name, with .conllu or .tagged added."""
    return Path(out_folder) / (Path(path).name + (".conllu" if conllu else ".tagged"))


class Record:
    """The file in --out that says what each output was made from, a JSON line an output."""

    def __init__(self, folder):
        self.path = Path(folder) / RECORD
        self.outputs = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"{self.path}: cannot read this command's record: {error}") from None
        self.cut_short = not text.endswith("\n") and text != ""  # by a stop: end it first
        for line in text.splitlines():  # a later line wins; one cut short is left out
            try:
                entry = json.loads(line)
                self.outputs[entry["output"]] = entry["source"]
            except (ValueError, KeyError, TypeError):
                continue

    def add(self, target, source):
        """Record an output's source (None: unknown, so that a rerun writes it again)."""
        with open(self.path, "a", encoding="utf-8") as file:
            entry = json.dumps({"output": target.name, "source": source})
            file.write(("\n" if self.cut_short else "") + entry + "\n")
        self.cut_short = False
        self.outputs[target.name] = source

    def commit(self, new_file, target, source):
        """Rename new_file to target, recorded as ours first (with no source, until it is in
        place: a stop between the two then leaves an output that a rerun writes again)."""
        self.add(target, None)
        new_file.commit()
        self.add(target, source)

    def is_ours(self, path):
        """Whether `path` is this record, an output it lists, or a temporary file of ours."""
        path = Path(path)
        return path.parent.resolve() == self.path.parent.resolve() and (
            path.name == RECORD or path.name in self.outputs
            or path.name.startswith(".") and path.name.endswith(".tmp"))


@dataclasses.dataclass
class Output:
    """One input file's output as it is written: blocks arrive in any order, go out in order."""
    path: Path
    n_blocks: int
    source: dict
    file: AtomicFile | None = None  # open from the first block written to the last
    waiting: dict = dataclasses.field(default_factory=dict)  # block index -> text not yet written
    written: int = 0

    def add(self, index, text, record):
        """Keep a block's text, write every block next in order; the last names the file."""
        self.waiting[index] = text
        while self.written in self.waiting:
            if self.file is None:
                self.file = AtomicFile(self.path)
            self.file.write(self.waiting.pop(self.written).encode("utf-8"))
            self.written += 1
        if self.written == self.n_blocks:
            record.commit(self.file, self.path, self.source)
            self.file = None

    def discard(self):
        if self.file is not None:
            self.file.discard()
            self.file = None


def tag_files(client, model_path, files, out_folder, conllu=False, batch_size=512,
              block_bytes=BLOCK_BYTES, progress=None, warn=print):
    """Tag files on the cluster into out_folder: {file: "tagged", "retagged", "skipped" or why it
    failed}, with a few blocks a worker thread in flight or held, so memory stays bounded."""
    from distributed import as_completed
    digest = file_digest(model_path)
    record = Record(out_folder)
    status, outputs, tasks = {}, {}, []
    names = {output_path(out_folder, path, conllu).name for path in files}
    for entry in os.scandir(out_folder):  # AtomicFile's ".NAME.RANDOM.tmp", left by a killed run
        if entry.name.endswith(".tmp") and entry.name[1:-4].rpartition(".")[0] in names:
            os.unlink(entry.path)
    for path in files:
        target = output_path(out_folder, path, conllu)
        try:  # what the output is made from: the input as it is now, and the model
            info = os.stat(path)
            source = {"input": os.path.abspath(path), "size": info.st_size,
                      "mtime_ns": info.st_mtime_ns, "model_sha256": digest, "conllu": conllu}
        except OSError as error:
            status[path] = f"{path}: {error.strerror.lower()}"
            continue
        if target.exists() or target.is_symlink():
            if not target.is_file() or target.name not in record.outputs:
                status[path] = f"{target}: exists and was not written by this command; not " \
                               "replacing it"
                continue
            if record.outputs[target.name] == source:
                status[path] = "skipped"
                continue
        try:  # absolute: a worker elsewhere opens the same path
            blocks = plan_blocks(os.path.abspath(path), block_bytes)
        except InputError as error:
            status[path] = str(error)
            continue
        status[path] = "retagged" if target.exists() else "tagged"
        if blocks:
            outputs[path] = Output(target, len(blocks), source)
            tasks += [(path, index, block) for index, block in enumerate(blocks)]
        else:  # an empty file gives an empty output
            record.commit(AtomicFile(target), target, source)
    if progress is not None:
        progress.total = len(tasks)
    cap = max(4, 3 * sum(client.nthreads().values()))
    pending, running, futures = iter(tasks), as_completed(), {}
    waiting = 0  # blocks back from the workers, held for an earlier block of their file

    def submit_more():
        for path, index, block in pending:
            if path in outputs:
                future = client.submit(tag_block, str(model_path), digest, block, conllu,
                                       batch_size, pure=False)
                futures[future] = (path, index)
                running.add(future)
                if len(futures) + waiting >= cap:
                    return

    try:
        submit_more()
        for future in running:
            path, index = futures.pop(future)
            if progress is not None:
                progress.update(1)
            if path in outputs:
                output = outputs[path]
                waiting -= len(output.waiting)
                try:
                    text, warnings = future.result()
                    for warning in warnings:
                        warn(f"warning: {warning}")
                    output.add(index, text, record)
                    waiting += len(output.waiting)
                    if output.written == output.n_blocks:
                        del outputs[path]
                except Exception as error:  # noqa: BLE001 (one file fails; the others go on)
                    outputs.pop(path).discard()
                    status[path] = (str(error) if isinstance(error, InputError)
                                    else f"{path}: failed: {type(error).__name__}: "
                                         f"{(str(error).strip().splitlines() or [''])[0]}")
            if len(futures) + waiting < cap:
                submit_more()
    finally:
        for future in futures:
            future.cancel()
        for output in outputs.values():
            output.discard()  # those not finished: nothing half-written stays
    return status
