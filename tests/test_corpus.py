"""tagger.corpus on a local Dask cluster: tagger.tag's output byte for byte, and nothing lost."""
import contextlib
import io
import logging
import os
import signal

import pytest
from distributed import Client, LocalCluster

from conftest import exit_of, quiet, run_script
from tagger import blocks, corpus, tag
from tagger.dask_tagging import tag_files

TEXTS = {
    "a.txt": "The dog ate the apple .\nEverybody read that book\n\n  spaced   out  \nthe end",
    "b.txt": "\ufeffA BOM starts this file .\r\nWindows line ends\r\nI can't go .\n",
    "c.txt": "".join(f"Sentence {i} : the dog ate {i} apples .\n" for i in range(60)),
}
BLOCK_BYTES = 64  # small blocks: every file but the shortest is cut into several


@pytest.fixture(scope="module")
def client():
    """A local cluster of 2 worker processes, one thread each, for the whole module."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as cluster_client:
        yield cluster_client


def write_inputs(folder, texts=TEXTS):
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return sorted(str(folder / name) for name in texts)


def tagged_by_tag_command(model, path, *options):
    """What python -m tagger.tag MODEL - writes for the file at `path` on standard input."""
    printed = io.StringIO()
    with open(path, "rb") as stdin, contextlib.redirect_stdout(printed):
        tag.tag_text(*tag_setup(model, options), stdin=stdin)
    return printed.getvalue()


def tag_setup(model, options):
    from tagger.checkpoint import load_checkpoint
    loaded, vocab = load_checkpoint(model)
    return loaded, vocab, tag.parse_args([str(model), "-", *options]), "cpu"


def outputs(folder):
    """{file name: bytes} of a folder; temporary files included, to be caught."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.parametrize("conllu", [False, True])
def test_a_cluster_of_two_writes_what_tag_writes_byte_for_byte(client, toy_model, tmp_path,
                                                               conllu):
    files = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    failed = tag_files(client, str(toy_model), files, out, conllu, block_bytes=BLOCK_BYTES)
    assert failed == {}
    suffix = ".conllu" if conllu else ".tagged"
    expected = {os.path.basename(path) + suffix:
                tagged_by_tag_command(toy_model, path, *(["--conllu"] if conllu else []))
                .encode("utf-8") for path in files}
    assert outputs(out) == expected
    assert len(blocks.plan_blocks(files[2], BLOCK_BYTES)) > 10  # c.txt went out in many blocks


def loads_in_this_worker():
    return blocks.loaded_model.cache_info().misses


def test_each_worker_loads_the_model_once_whatever_the_blocks(client, toy_model, tmp_path):
    files = write_inputs(tmp_path / "in")
    tag_files(client, str(toy_model), files, tmp_path, block_bytes=BLOCK_BYTES)
    loads = client.run(loads_in_this_worker)
    assert len(loads) == 2 and all(count <= 1 for count in loads.values())
    assert sum(loads.values()) >= 1


def test_blocks_end_at_line_ends_and_cover_the_file(tmp_path):
    path = write_inputs(tmp_path, {"c.txt": TEXTS["c.txt"] + "no newline at the end"})[0]
    planned = blocks.plan_blocks(path, 100)
    data = open(path, "rb").read()
    assert planned[0].start == 0 and planned[-1].end == len(data)
    assert all(left.end == right.start and data[left.end - 1:left.end] == b"\n"
               for left, right in zip(planned, planned[1:]))
    assert [block.first_line for block in planned] == [1 + data[:block.start].count(b"\n")
                                                       for block in planned]


class StopAfter:
    """A progress bar that interrupts the run (as Ctrl-C would) after n blocks."""

    def __init__(self, n):
        self.n, self.total = n, None

    def update(self, count):
        self.n -= count
        if self.n == 0:
            raise KeyboardInterrupt


def test_an_interrupted_run_leaves_only_whole_files_and_a_rerun_does_the_rest(client, toy_model,
                                                                              tmp_path):
    files = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):  # in the middle of c.txt's blocks
        tag_files(client, str(toy_model), files, out, block_bytes=BLOCK_BYTES,
                         progress=StopAfter(8))
    expected = {os.path.basename(path) + ".tagged":
                tagged_by_tag_command(toy_model, path).encode("utf-8") for path in files}
    first = outputs(out)
    assert len(first) < len(files)  # the run did not finish ...
    assert all(expected[name] == text for name, text in first.items())  # ... and left no part
    times = {name: (out / name).stat().st_mtime_ns for name in first}
    assert tag_files(client, str(toy_model), files, out, block_bytes=BLOCK_BYTES) == {}
    assert outputs(out) == expected
    assert all((out / name).stat().st_mtime_ns == time for name, time in times.items())


def test_a_bad_file_is_named_with_its_line_and_the_others_finish(client, toy_model, tmp_path):
    texts = {**TEXTS, "bad.txt": b"a good line\nbad \xff byte\n"}
    write_inputs(tmp_path / "in", texts)
    out = tmp_path / "out"
    (out / "b.txt.tagged").mkdir(parents=True)  # not a file: never replaced, never taken as done
    # The command as users run it (under -m the module is __main__), against the module's cluster
    result = run_script("-m", "tagger.corpus", toy_model, tmp_path / "in" / "*.txt", "--out", out,
                        "--scheduler", client.scheduler.address)
    assert result.returncode == 2 and result.stderr == (
        f"error: {out / 'b.txt.tagged'}: exists and is not a regular file; not replacing it\n"
        f"error: {tmp_path / 'in' / 'bad.txt'} line 2: not valid UTF-8 (byte 0xff)\n")
    assert result.stdout == f"2 files tagged into {out}, 0 there before, 2 failed\n"
    assert sorted(path.name for path in out.iterdir()) == ["a.txt.tagged", "b.txt.tagged",
                                                           "c.txt.tagged"]
    assert (out / "b.txt.tagged").is_dir()


class KillOneWorker:
    """A progress bar that kills a worker process after the first block is in."""

    def __init__(self, client):
        self.client, self.total, self.killed = client, None, False

    def update(self, count):
        if not self.killed:
            self.killed = True
            pid = next(iter(self.client.run(os.getpid).values()))
            os.kill(pid, signal.SIGKILL)


def test_a_worker_killed_in_the_middle_does_not_stop_the_run(client, toy_model, tmp_path):
    big = {"c.txt": TEXTS["c.txt"] * 20}
    files = write_inputs(tmp_path / "in", big)
    out = tmp_path / "out"
    out.mkdir()
    killer = KillOneWorker(client)
    assert tag_files(client, str(toy_model), files, out, block_bytes=BLOCK_BYTES,
                            progress=killer) == {}
    assert killer.killed
    assert outputs(out) == {"c.txt.tagged":
                            tagged_by_tag_command(toy_model, files[0]).encode("utf-8")}


def test_the_command_starts_its_own_local_cluster_of_workers_workers(toy_model, tmp_path,
                                                                     monkeypatch):
    import distributed
    started = []

    def local_cluster(**options):
        started.append(options)
        return LocalCluster(**options)
    monkeypatch.setattr(distributed, "LocalCluster", local_cluster)
    files = write_inputs(tmp_path / "in", {"a.txt": TEXTS["a.txt"]})
    out = tmp_path / "out"
    quiet(corpus.main, [str(toy_model), files[0], "--out", str(out), "--workers", "1"])
    assert outputs(out) == {"a.txt.tagged": tagged_by_tag_command(toy_model, files[0])
                            .encode("utf-8")}
    assert [(options["n_workers"], options["threads_per_worker"]) for options in started] == [
        (1, 1)]


def test_on_its_own_cluster_a_bad_file_is_one_line_too(toy_model, tmp_path):
    files = write_inputs(tmp_path / "in", {"a.txt": "the dog", "bad.txt": b"\xfe"})
    result = run_script("-m", "tagger.corpus", toy_model, *files, "--out", tmp_path / "out",
                        "--workers", "1")
    assert (result.returncode, result.stderr) == (
        2, f"error: {files[1]} line 1: not valid UTF-8 (byte 0xfe)\n")  # no worker's traceback


@pytest.mark.parametrize("argv, said", [
    (["m.pt", "a.txt"], "the following arguments are required: --out"),
    (["m.pt", "a.txt", "--out", "o", "--workers", "2", "--scheduler", "tcp://h:1"],
     "--workers is for the local cluster"),
    (["m.pt", "a.txt", "--out", "o", "--workers", "0"], "must be at least 1"),
])
def test_usage_errors(argv, said, capsys):
    code, err = exit_of(corpus.main, argv, capsys)
    assert code == 2 and err.startswith("usage:") and said in err


def test_inputs_that_would_share_an_output_are_refused_before_anything(toy_model, tmp_path,
                                                                       capsys):
    first = write_inputs(tmp_path / "x", {"a.txt": "one"})[0]
    second = write_inputs(tmp_path / "y", {"a.txt": "two"})[0]
    code, err = exit_of(corpus.main, [str(toy_model), first, second, "--out",
                                      str(tmp_path / "out")], capsys)
    assert code == 2 and err == (f"error: {first} and {second}: both would be written to "
                                 f"{tmp_path / 'out' / 'a.txt.tagged'}; tag them into different "
                                 "folders\n")
    assert not (tmp_path / "out").exists()
