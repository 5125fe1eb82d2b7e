"""tagger.corpus on Dask: tagger.tag's output byte for byte, reruns that redo exactly what is
stale, nothing half-written, and a cluster that cannot import us said in one line."""
import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, exit_of, quiet, run_tag
from tagger import corpus, dask_tagging
from tagger.dask_tagging import RECORD, plan_blocks, tag_files
from tagger.errors import InputError

TEXTS = {
    "a.txt": "The dog ate the apple .\nEverybody read that book\n\n  spaced   out  \nthe end",
    "b.txt": "\ufeff" + "A BOM starts this file .\r\nWindows line ends\r\nI can't go .\n" * 3,
    "c.txt": "".join(f"Sentence {i} : the dog ate {i} apples .\n" for i in range(60)),
    "d.txt": b"a good line\nbad \xff byte\n",
}
BLOCK_BYTES = 64  # small blocks: every file but the shortest is cut into several


@pytest.fixture(scope="module")
def client():
    """The command's local cluster (on 127.0.0.1): 2 worker processes, one thread each."""
    with contextlib.ExitStack() as stack:
        yield corpus.start_client(argparse.Namespace(scheduler=None, workers=2), stack)


def test_the_local_workers_leave_ctrl_c_to_the_command(client):
    """Ctrl-C reaches every process of the terminal's group: the command alone says one line."""
    assert set(client.run(signal.getsignal, signal.SIGINT).values()) == {signal.SIG_IGN}
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def write_inputs(folder, texts=TEXTS):
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return sorted(str(folder / name) for name in texts)


def tagged_by_tag_command(model, path, *options):
    """What python -m tagger.tag MODEL - writes for the file at `path` on standard input."""
    with open(path, "rb") as file:
        return run_tag([model, "-", *options], file.read()).encode("utf-8")


def outputs(folder):
    """{file name: bytes} of a folder, temporary files included, to be caught; not the record."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())
            if path.name != RECORD}


@pytest.mark.parametrize("conllu, model_name", [(False, "toy_model"), (True, "toy_model"),
                                               (False, "contextual_model")])
def test_a_cluster_of_two_writes_what_tag_writes_byte_for_byte(client, request, tmp_path,
                                                               conllu, model_name):
    toy_model = request.getfixturevalue(model_name)  # and one that reads a transformer
    files = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    warnings = []
    status = tag_files(client, toy_model, files, out, conllu, block_bytes=BLOCK_BYTES,
                       warn=warnings.append)
    assert set(status.values()) == {"tagged"}
    options = ["--conllu"] if conllu else []
    assert outputs(out) == {os.path.basename(path) + (".conllu" if conllu else ".tagged"):
                            tagged_by_tag_command(toy_model, path, *options) for path in files}
    assert warnings == [f"warning: {files[3]} line 2: not valid UTF-8 (byte 0xff); tagged with "
                        "U+FFFD in place of each invalid sequence"]  # as tagger.tag says it
    assert len(plan_blocks(files[2], BLOCK_BYTES)) > 10  # c.txt went out in many blocks


def test_blocks_end_at_line_ends_and_cover_the_file(tmp_path):
    path = write_inputs(tmp_path, {"c.txt": TEXTS["c.txt"] + "no newline at the end"})[0]
    planned = plan_blocks(path, 100)
    data = open(path, "rb").read()
    assert planned[0].start == 0 and planned[-1].end == len(data)
    assert all(left.end == right.start and data[left.end - 1:left.end] == b"\n"
               for left, right in zip(planned, planned[1:]))
    assert [block.first_line for block in planned] == [1 + data[:block.start].count(b"\n")
                                                       for block in planned]


def retrain(path, seed):
    """Another model at `path`: the toy model's data, another seed (replaces what is there)."""
    from tagger import train as trainer
    quiet(trainer.main, ["--train", str(ROOT / "train.csv"), "--save", str(path), "--epochs",
                         "3", "--seed", str(seed)])


def test_a_long_lived_cluster_tags_with_the_model_now_at_the_path(client, tmp_path):
    """The workers outlive a run: a model replaced at the same path is loaded anew."""
    files = write_inputs(tmp_path / "in", {"a.txt": TEXTS["a.txt"]})
    model = tmp_path / "shared.pt"
    for seed, out in ((1, tmp_path / "first"), (7, tmp_path / "second")):
        retrain(model, seed)
        out.mkdir()
        tag_files(client, model, files, out)
        assert outputs(out) == {"a.txt.tagged": tagged_by_tag_command(model, files[0])}
    assert outputs(tmp_path / "first") != outputs(tmp_path / "second")


def test_a_rerun_skips_only_outputs_made_from_the_same_input_by_the_same_model(client, tmp_path):
    files = write_inputs(tmp_path / "in", {"a.txt": TEXTS["a.txt"], "b.txt": TEXTS["b.txt"]})
    model, out = tmp_path / "m.pt", tmp_path / "out"
    out.mkdir()
    retrain(model, 1)
    assert set(tag_files(client, model, files, out).values()) == {"tagged"}
    assert set(tag_files(client, model, files, out).values()) == {"skipped"}
    with open(files[0], "a") as file:
        file.write("\none more line")
    assert tag_files(client, model, files, out) == {files[0]: "retagged", files[1]: "skipped"}
    retrain(model, 7)
    assert set(tag_files(client, model, files, out).values()) == {"retagged"}
    assert outputs(out) == {os.path.basename(path) + ".tagged":
                            tagged_by_tag_command(model, path) for path in files}


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
        tag_files(client, toy_model, files, out, block_bytes=BLOCK_BYTES, progress=StopAfter(8))
    expected = {os.path.basename(path) + ".tagged": tagged_by_tag_command(toy_model, path)
                for path in files}
    first = outputs(out)
    assert len(first) < len(files)  # the run did not finish ...
    assert all(expected[name] == text for name, text in first.items())  # ... and left no part
    status = tag_files(client, toy_model, files, out, block_bytes=BLOCK_BYTES)
    assert sorted(status.values()) == sorted(["skipped"] * len(first)
                                             + ["tagged"] * (len(files) - len(first)))
    assert outputs(out) == expected


def test_a_stop_while_an_output_is_renamed_leaves_it_to_be_written_again(client, toy_model,
                                                                         tmp_path, monkeypatch):
    files = write_inputs(tmp_path / "in", {"a.txt": TEXTS["a.txt"]})
    out = tmp_path / "out"
    out.mkdir()
    tag_files(client, toy_model, files, out)
    with open(files[0], "a") as file:
        file.write("\none more line")

    def stopped(new_file):  # as Ctrl-C during the fsync before the rename
        raise KeyboardInterrupt
    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(dask_tagging.AtomicFile, "commit", stopped)
        tag_files(client, toy_model, files, out)
    assert tag_files(client, toy_model, files, out) == {files[0]: "retagged"}
    assert outputs(out) == {"a.txt.tagged": tagged_by_tag_command(toy_model, files[0])}


def test_a_record_line_cut_short_by_a_stop_is_ended_before_the_next(tmp_path):
    (tmp_path / RECORD).write_text('{"output": "a.txt.tagged", "source": 1}\n{"output": "b.t')
    dask_tagging.Record(tmp_path).add(tmp_path / "c.txt.tagged", 3)
    assert dask_tagging.Record(tmp_path).outputs == {"a.txt.tagged": 1, "c.txt.tagged": 3}


def test_the_outputs_record_and_temporary_files_in_the_input_folder_are_never_inputs(
        toy_model, tmp_path):
    folder = tmp_path / "corpus"
    write_inputs(folder, {"a.txt": TEXTS["a.txt"], "b.txt": "the dog"})
    quiet(corpus.main, [str(toy_model), str(folder / "*"), "--out", str(folder), "--workers", "1"])
    (folder / "b.txt").unlink()  # b.txt.tagged stays: an output of an earlier run
    (folder / ".a.txt.tagged.k3j2.tmp").write_text("left by a killed run")
    # the rerun the docs suggest, with a glob that now matches more, and our files named as well
    quiet(corpus.main, [str(toy_model), str(folder / "*"), str(folder / RECORD),
                        str(folder / ".a.txt.tagged.k3j2.tmp"), "--out", str(folder),
                        "--workers", "1"])
    assert sorted(path.name for path in folder.iterdir()) == [RECORD, "a.txt", "a.txt.tagged",
                                                              "b.txt.tagged"]
    assert (folder / "a.txt.tagged").read_bytes() == tagged_by_tag_command(toy_model,
                                                                           folder / "a.txt")


class ClusterWithoutUs:
    """A client whose scheduler and workers answer that they cannot import the tagger."""

    def wait_for_workers(self, n, timeout):
        self.timeout = timeout

    def run_on_scheduler(self, function, *args):
        return None

    def run(self, function, *args):
        return {"tcp://127.0.0.1:1": None}


def test_a_cluster_whose_workers_cannot_import_the_tagger_is_one_line(monkeypatch):
    cluster = ClusterWithoutUs()
    monkeypatch.setattr("distributed.Client", lambda *args, **kwargs: contextlib.nullcontext(
        cluster))
    args = corpus.parse_args(["m.pt", "a.txt", "--out", "o", "--scheduler", "tcp://127.0.0.1:1",
                              "--worker-timeout", "3"])
    with contextlib.ExitStack() as stack, pytest.raises(InputError) as error:
        corpus.start_client(args, stack)
    assert "cannot import tagger: they need the repository's folder on their PYTHONPATH" \
        in str(error.value)
    assert cluster.timeout == 3


class RecordedCluster:
    """A local cluster that only records how many workers it was asked for."""

    def __init__(self, n_workers, **options):
        self.n_workers = n_workers

    def __enter__(self):
        return self

    def __exit__(self, *stopped):
        pass


def test_the_options_reach_the_local_cluster_and_the_tagging(toy_model, tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr("distributed.LocalCluster", RecordedCluster)
    monkeypatch.setattr("distributed.Client", lambda cluster, **options: contextlib.nullcontext(
        seen.setdefault("workers", cluster.n_workers)))
    monkeypatch.setattr(corpus, "tag_files", lambda client, model, files, out, conllu, batch_size,
                        **rest: seen.update(conllu=conllu, batch_size=batch_size) or {})
    files = write_inputs(tmp_path / "in", {"a.txt": "the dog"})
    quiet(corpus.main, [str(toy_model), *files, "--out", str(tmp_path / "out"), "--conllu",
                        "--workers", "3", "--batch-size", "5"])
    assert seen == {"workers": 3, "conllu": True, "batch_size": 5}


def test_the_workers_follow_the_cpus_this_process_may_use_and_inputs_come_once(tmp_path):
    if not hasattr(os, "sched_getaffinity") or shutil.which("taskset") is None:
        pytest.skip("no CPU affinity or no taskset on this system")
    result = subprocess.run(["taskset", "-c", "0", sys.executable, "-c",
                             "from tagger.cli import usable_cpus; print(usable_cpus())"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "1", result.stderr
    files = write_inputs(tmp_path, {"a.txt": "x", "b.txt": "y"})
    record = dask_tagging.Record(tmp_path / "out")
    assert corpus.input_files([files[1], str(tmp_path / "*.txt"), files[1]], record) == [
        files[1], files[0]]


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


def test_an_output_that_this_command_did_not_write_is_never_replaced(client, toy_model, tmp_path):
    files = write_inputs(tmp_path / "in", {"a.txt": "the dog"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt.tagged").write_text("mine")
    status = tag_files(client, toy_model, files, out)
    assert status[files[0]].endswith("exists and was not written by this command; not "
                                     "replacing it")
    assert (out / "a.txt.tagged").read_text() == "mine"
