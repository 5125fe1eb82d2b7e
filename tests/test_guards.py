"""The guarantees on bad input, one test each: a save is whole and never mixes, an output never
names an input, memory follows the batch whatever a line holds, one line instead of a traceback,
and a results file never lost."""
import contextlib
import io
import os
import select
import signal
import subprocess
import sys
import threading

import pytest
import torch

from conftest import ROOT, exit_of
from tagger import tag, tagging
from tagger.checkpoint import load_checkpoint, save_checkpoint
from tagger.conllu import conllu_sentence
from tagger.data import read_tag_sets
from tagger.errors import InputError
from tagger.lines import LineReader
from tagger.model import RealDataTagger, TaggerConfig
from tagger.tokenizer import tokenize
from tagger.vocabulary import Vocabulary

TOY_CONLLU = ("# text = The dog ate\n"
              "1\tThe\t_\tDET\t_\t_\t_\t_\t_\t_\n"
              "2\tdog\t_\tNN\t_\t_\t_\t_\t_\t_\n"
              "3\tate\t_\tV\t_\t_\t_\t_\t_\t_\n\n")


def small_model(seed):
    vocab = Vocabulary.from_training_data([["The", "dog", "ate"]], {"upos": [["DET", "NN", "V"]]})
    torch.manual_seed(seed)
    return RealDataTagger(TaggerConfig(len(vocab.word_to_ix), 3, 4, 3)), vocab


def test_two_saves_to_one_path_at_once_leave_one_whole_model_and_no_temporary_file(tmp_path):
    path = tmp_path / "same.pt"
    models = [small_model(seed) for seed in (1, 2)]

    def save_again_and_again(model, vocab):
        for _ in range(10):
            save_checkpoint(path, model, vocab)
    threads = [threading.Thread(target=save_again_and_again, args=model) for model in models]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    loaded = load_checkpoint(path)[0].state_dict()
    assert any(all(torch.equal(loaded[name], tensor) for name, tensor in model.state_dict().items())
               for model, _ in models)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.pt"]


@pytest.mark.parametrize("mode", ["--tag-conllu", "-"])
def test_standard_output_that_is_an_input_is_refused_and_the_file_kept(toy_model, tmp_path, mode):
    path = tmp_path / "app.conllu"
    path.write_text(TOY_CONLLU)
    with open(path, "ab") as append, open(path, "rb") as stdin:
        argv = [str(toy_model), *([mode, str(path)] if mode != "-" else ["-"])]
        result = subprocess.run([sys.executable, "-m", "tagger.tag", *argv], cwd=ROOT, stdin=stdin,
                                stdout=append, stderr=subprocess.PIPE, text=True, timeout=600)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "standard output" in result.stderr
    assert path.read_text() == TOY_CONLLU


@pytest.mark.parametrize("separator", ["\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"])
def test_a_line_break_inside_the_text_becomes_a_space_in_the_text_comment(separator):
    text = f"The dog{separator}ate"
    tokens = tokenize(text)
    words = [word for token in tokens for word in token.words]
    written = conllu_sentence(text, tokens, {"upos": ["X"] * len(words)})
    assert written.splitlines()[0] == "# text = The dog ate"
    ranges = sum(len(token.words) > 1 for token in tokens)
    assert len(written.rstrip("\n").splitlines()) == 1 + len(words) + ranges


@pytest.mark.parametrize("line", ["a-" * 60 + "a", "a " * 101])  # tokens, or spaces
def test_an_absurdly_long_line_is_refused_in_one_line(line, toy_model, capsys, monkeypatch):
    monkeypatch.setattr(tagging, "MAX_SENTENCE_WORDS", 100)
    made, tokenize = [], tagging.tokenize  # the tokens made: a refused line stops at 101
    monkeypatch.setattr(tagging, "tokenize", lambda text, *bound: made.append(len(
        tokenize(text, *bound))) or tokenize(text, *bound))
    stdin = type("Stdin", (), {"buffer": io.BytesIO(f"The dog\n{line}\n".encode()),
                               "isatty": lambda self: False})()
    monkeypatch.setattr(sys, "stdin", stdin)
    code, err = exit_of(tag.main, [str(toy_model), "-"], capsys)
    assert code == 2 and err == ("error: standard input line 2: more than 100 words in one line, "
                                 "which is tagged as one sentence: put each sentence on a line of "
                                 "its own\n")
    assert made == [2, 101]


def test_an_absurdly_long_conllu_sentence_is_refused_in_one_line(toy_model, capsys, monkeypatch,
                                                                 tmp_path):
    monkeypatch.setattr(tagging, "MAX_SENTENCE_WORDS", 2)
    path = tmp_path / "long.conllu"
    path.write_text(TOY_CONLLU)
    code, err = exit_of(tag.main, [str(toy_model), "--tag-conllu", str(path)], capsys)
    assert code == 2
    assert err == (f"error: {path} line 4: the sentence that starts at line 1 has more than 2 "
                   "words\n")


@pytest.mark.parametrize("command", [["benchmark.py", "--show"],
                                     ["-m", "tagger.tag", "MODEL", "The dog ate"]])
def test_a_full_disk_is_one_line_and_exit_code_1(command, toy_model):
    command = [str(toy_model) if part == "MODEL" else part for part in command]
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, *command], cwd=ROOT, stdout=full,
                                stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert (result.returncode == 1 and result.stderr.count("\n") == 1
            and "No space left on device" in result.stderr)


def test_a_byte_order_mark_is_no_part_of_a_csv_a_conllu_file_or_raw_text(tmp_path, toy_model,
                                                                         monkeypatch):
    csv = tmp_path / "bom.csv"
    csv.write_bytes(b"\xef\xbb\xbftext,tag\nThe dog,DET NN\n")
    conllu = tmp_path / "bom.conllu"
    conllu.write_bytes(b"\xef\xbb\xbf" + TOY_CONLLU.encode())
    assert read_tag_sets(csv) == ([["The", "dog"]], {"upos": [["DET", "NN"]]})
    assert read_tag_sets(conllu) == ([["The", "dog", "ate"]], {"upos": [["DET", "NN", "V"]]})
    import train as day1
    assert day1.read_training_data(csv) == [(["The", "dog"], ["DET", "NN"])]
    stdin = type("Stdin", (),
                 {"buffer": io.BytesIO(b"\xef\xbb\xbfThe dog\n"), "isatty": lambda self: False})()
    monkeypatch.setattr(sys, "stdin", stdin)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        tag.main([str(toy_model), "-"])
    assert [pair.rsplit("/", 1)[0] for pair in buffer.getvalue().split()] == ["The", "dog"]


def test_sigterm_while_tagging_stops_as_ctrl_c_does_in_one_line(toy_model):
    """timeout, SLURM, systemd and docker stop send SIGTERM: exit 130, and what was written."""
    process = subprocess.Popen([sys.executable, "-m", "tagger.tag", str(toy_model), "-"],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        process.stdin.write("The dog\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], 120)  # bounded wait for its tags
        assert ready and process.stdout.readline().startswith("The/")
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err.endswith(f"interrupted: {toy_model} is unchanged; the output holds every line "
                        "tagged before\n")


class EndlessStream(io.RawIOBase):
    """A stream of the same block forever; it fails the test if more than `limit` bytes are read."""

    def __init__(self, block, limit=64 << 20):
        self.block, self.limit, self.read_bytes = block, limit, 0

    def readable(self):
        return True

    def read1(self, size=-1):
        self.read_bytes += len(self.block)
        assert self.read_bytes < self.limit, "the line was never refused"
        return self.block


def test_a_line_that_never_ends_is_refused_after_reading_a_bounded_amount():
    stream = EndlessStream(b"\0" * 65536)
    with pytest.raises(InputError, match="line 1: over 4 MiB without a line break"):
        for _ in LineReader("-", stream=stream):
            pass
    assert stream.read_bytes <= (4 << 20) + 2 * 65536
