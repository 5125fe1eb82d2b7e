"""Tagging files on a Dask cluster: their blocks out to the workers, the tagged text back into
whole files, each renamed into place when complete."""
import dataclasses
from pathlib import Path

from tagger.atomic_file import AtomicFile
from tagger.blocks import BLOCK_BYTES, plan_blocks, tag_block
from tagger.errors import InputError


def output_path(out_folder, path, conllu):
    """Where the tagged text of `path` goes: its name, with .conllu or .tagged added."""
    return Path(out_folder) / (Path(path).name + (".conllu" if conllu else ".tagged"))


@dataclasses.dataclass
class Output:
    """One input file's output as it is written: blocks arrive in any order, go out in order."""
    path: Path      # the finished file's name
    n_blocks: int
    file: AtomicFile | None = None  # open from the first block written to the last
    waiting: dict = dataclasses.field(default_factory=dict)  # block index -> text not yet written
    written: int = 0

    def add(self, index, text):
        """Keep a block's text and write every block that is next in order; when the last is
        written, the file gets its name."""
        self.waiting[index] = text
        while self.written in self.waiting:
            if self.file is None:
                self.file = AtomicFile(self.path)
            self.file.write(self.waiting.pop(self.written).encode("utf-8"))
            self.written += 1
        if self.written == self.n_blocks:
            self.file.commit()
            self.file = None

    def discard(self):
        """Remove the temporary file of an output that will not be finished."""
        if self.file is not None:
            self.file.discard()
            self.file = None


def failure(path, error):
    """The one line that says why `path` failed: tag_block's InputError names the file and the
    line; anything else (a worker lost too often, a full disk) is named after the file."""
    if isinstance(error, InputError):
        return str(error)
    said = str(error).splitlines()[0] if str(error) else ""
    return f"{path}: failed: {type(error).__name__}: {said}"


def tag_files(client, model_path, files, out_folder, conllu=False, batch_size=512,
              block_bytes=BLOCK_BYTES, progress=None):
    """Tag every file on the cluster of `client`; return {file: error line} of those that failed.

    An output that exists is complete (it got its name only when it was): its file is skipped.
    At most a few blocks per worker are in flight, so the client holds a bounded amount of text.
    """
    from distributed import as_completed
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
        if not blocks:  # an empty file gives an empty output
            AtomicFile(target).commit()
            continue
        outputs[path] = Output(target, len(blocks))
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
            # tag_block's module is never __main__: workers and the scheduler import it by name
            future = client.submit(tag_block, model_path, block, conllu, batch_size, pure=False)
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
                outputs[path].add(index, future.result())
            except Exception as error:  # noqa: BLE001 (one file fails; the others go on)
                outputs[path].discard()
                failed[path] = failure(path, error)
    finally:
        for future in futures:
            future.cancel()
        for output in outputs.values():
            output.discard()  # those not finished: nothing half-written stays
    return failed
