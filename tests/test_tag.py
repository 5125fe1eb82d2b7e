"""python -m tagger.tag and the tagging library: text, --pretokenized, --conllu, --tag-conllu,
streaming, --eval, --report, --fit-temperature, and bad input."""
import contextlib
import io
import os
import re
import select
import shlex
import subprocess
import sys

import pytest

from conftest import ROOT, exit_of, quiet, read_conllu, readme_block, run_tag
from tagger import tag, tagging
from tagger import train as trainer
from tagger.checkpoint import load_checkpoint
from tagger.cli import ONEDNN_KERNEL_CACHE

BUTTER = "I can't believe it's not butter!"
# The training sentences, and the same words with two tags changed: the model gets those wrong.
EVAL_CSV = (b"text,tag\nThe dog ate the apple,DET NN V DET NN\n"
            b"Everybody read that book,NN V DET NN\nThe dog ate the book,DET V V DET V\n")


def train_toy(path, *options):
    """Train a model of the Day-1 data and save it at `path`."""
    quiet(trainer.main, ["--train", str(ROOT / "train.csv"), "--save", str(path), *options])
    return path


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_conllu_output_reads_back_with_the_same_words_and_tags(toy_model, tmp_path):
    text = f"{BUTTER}\n\n   \nThe dog ate, didn't it?\n".encode()
    tagged = run_tag([toy_model, "-"], text)
    conllu = run_tag([toy_model, "-", "--conllu"], text)
    path = tmp_path / "out.conllu"
    path.write_text(conllu, encoding="utf-8")
    pairs = [[tuple(pair.rsplit("/", 1)) for pair in line.split()]
             for line in tagged.splitlines() if line.strip()]
    # empty lines: no sentence
    assert [list(zip(words, tags)) for words, tags in read_conllu(path)] == pairs
    first = conllu.split("\n\n")[0].splitlines()
    assert first[0] == f"# text = {BUTTER}"
    assert first[2] == "2-3\tcan't\t_\t_\t_\t_\t_\t_\t_\tTokenRange=2:7"
    assert first[3].split("\t")[:2] == ["2", "ca"] and first[3].split("\t")[9] == "_"
    assert first[10].split("\t")[:2] == ["8", "butter"]
    assert first[10].endswith("\tSpaceAfter=No|TokenRange=25:31")
    assert all(line.count("\t") == 9 for line in first[1:])
    # every token's range is its place in the whole input, across lines
    ranges = re.findall(r"^[\d-]+\t([^\t]+)\t(?:[^\t]*\t){7}\S*TokenRange=(\d+):(\d+)", conllu,
                        flags=re.M)
    assert len(ranges) == 14 and all(text.decode()[int(start):int(end)] == form
                                     for form, start, end in ranges)


def test_empty_and_whitespace_lines_give_empty_lines_in_word_tag_output(toy_model):
    output = run_tag([toy_model, "-"], b"The dog\n\n \t \n!!!\n")
    lines = output.split("\n")
    assert lines[1:3] == ["", ""] and lines[3].startswith("!!!/") and len(lines) == 5


SOURCE = ("# sent_id = a\r\n# text = Don't go.\r\n1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_\r\n"
          "1\tDo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_\r\n2\tn't\tnot\t_\tRB\t_\t3\tadvmod\t_\t_\r\n"
          "2.1\tgo\tgo\tVERB\t_\t_\t_\t_\t_\t_\r\n"
          "3\tgo\tgo\tX\tVB\tMood=Imp\t0\troot\t_\tSpaceAfter=No\r\n"
          "4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_\r\n\r\n")


def test_tag_conllu_replaces_only_the_upos_column(toy_model, tmp_path):
    path = tmp_path / "in.conllu"
    path.write_bytes(SOURCE.encode())
    output = run_tag([toy_model, "--tag-conllu", path])
    before, after = SOURCE.split("\n"), output.split("\n")
    assert len(before) == len(after)
    changed = 0
    for old, new in zip(before, after):
        old_columns, new_columns = old.split("\t"), new.split("\t")
        if len(old_columns) == 10 and old_columns[0].isdigit():
            assert new_columns[3] in {"DET", "NN", "V"}
            changed += old_columns[3] != new_columns[3]
            old_columns[3] = new_columns[3]
        assert new_columns == old_columns  # every other byte, "\r" included
    assert changed >= 3


def test_a_line_that_is_not_utf8_is_named_and_the_others_are_tagged(toy_model, capsys):
    output = run_tag([toy_model, "-"], b"ok\ncaf\xe9 ok\nthe dog\n")
    assert capsys.readouterr().err == ("warning: standard input line 2: not valid UTF-8 (byte "
                                       "0xe9); tagged with U+FFFD in place of each invalid "
                                       "sequence\n")
    lines = output.splitlines()
    assert (len(lines) == 3 and lines[1].startswith("caf/") and "\ufffd/" in lines[1]
            and lines[2].startswith("the/DET"))


def test_only_newline_ends_an_input_line_so_outputs_line_up_with_inputs(toy_model):
    text = "the dog\x0cate\nthe\u2028dog\n\nthe\u0085book\x1dok\n".encode()
    lines = run_tag([toy_model, "-"], text).split("\n")
    assert len(lines) == 5 and lines[2] == "" and lines[4] == ""  # 4 lines in, 4 out


@pytest.mark.parametrize("text", ["!!! ... ?!", "\x00\x07 control \x1b chars", "a" * 100_000,
                                  "Привет, мир! 日本語の文です。 👍🏽🎉 مرحبا"])
def test_hard_text_is_tagged_without_losing_a_character(toy_model, tmp_path, text):
    conllu = run_tag([toy_model, "-", "--conllu"], text.encode() + b"\n")
    path = tmp_path / "hard.conllu"
    path.write_text(conllu, encoding="utf-8")
    (words, tags), = read_conllu(path)  # one line in, one sentence out
    assert "".join(words) == re.sub(r"\s", "", text)  # a contraction's words join into its token
    assert len(words) == len(tags)


@pytest.mark.parametrize("argv, message", [
    ([], "give one of TEXT (or '-'), --tag-conllu FILE or --eval FILE"),
    (["--eval", "x.csv", "--tag-conllu", "x.conllu"], "give one of TEXT (or '-'), --tag-conllu "
                                                      "FILE or --eval FILE"),
    (["--eval", "x.csv", "--conllu"], "--conllu and --pretokenized go with TEXT"),
    (["--tag-conllu", "x.conllu", "--pretokenized"], "--conllu and --pretokenized go with TEXT"),
    (["", ], "TEXT needs at least one word"),
    (["a", "--report"], "--report and --fit-temperature go with --eval"),
    (["a", "--fit-temperature"], "--report and --fit-temperature go with --eval"),
    (["--eval", "x.csv", "--temperature", "0"], "argument --temperature: must be from 0.01 to "
                                                "100, not 0"),
    (["--eval", "x.csv", "--temperature", "nan"], "argument --temperature: must be from 0.01 to "
                                                  "100, not nan"),
    (["--eval", "x.csv", "--report", "--fit-temperature", "--temperature", "2"],
     "not with --fit-temperature"),
    (["--eval", "x.csv", "--temperature", "2"], "--temperature goes with --report"),
    (["a", "--batch-size", "0"], "argument --batch-size: must be at least 1, not 0"),
])
def test_option_combinations_that_are_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        tag.main(["model.pt", *argv])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


BUTTER_COMMANDS = [f'python -m tagger.tag ewt.pt "{BUTTER}"{option}'
                   for option in (" --pretokenized", "", " --conllu")]
def without_tags(output):
    """Tagging output without its tags: word/UPOS(/XPOS) -> word, CoNLL-U UPOS and XPOS -> _."""
    lines = []
    for line in output.splitlines():
        columns = line.split("\t")
        if len(columns) == 10:
            columns[3] = columns[4] = "_"
            lines.append("\t".join(columns))
        else:
            words = " ".join(pair.split("/")[0] for pair in line.split())
            lines.append(line if line.startswith("#") else words)
    return "\n".join(lines)


@pytest.mark.parametrize("command", BUTTER_COMMANDS)
def test_readme_tagging_examples(command, toy_model):
    """The docs' output, words and layout; its tags are the recipe's model's, not the toy's."""
    argv = shlex.split(command)[3:]  # after "python -m tagger.tag"
    argv[argv.index("ewt.pt")] = str(toy_model)
    assert without_tags(run_tag(argv)) == without_tags(readme_block(command))


def test_save_load_eval_report_and_tag_standard_input(tmp_path):
    model_path = train_toy(tmp_path / "toy.pt")
    assert model_path.exists() and not (tmp_path / "toy.pt.tmp").exists()
    output = run_tag([model_path, "--eval", ROOT / "train.csv", "--report"])
    lines = output.splitlines()
    assert lines[0] == "upos accuracy: 1.0000 (9 tokens)"
    assert lines[1] == "unseen-word accuracy: - (every word of the file occurs in training)"
    assert lines[2].split() == ["upos", "precision", "recall", "f1", "support"]
    assert lines[3].split() == ["DET", "1.0000", "1.0000", "1.0000", "3"]
    assert re.search(r"^probabilities at temperature 1.0000: "
                     r"NLL 0\.\d{4} \| Brier 0\.\d{4} \| ECE 0\.\d{4}$",
                     output, flags=re.M)
    # none here
    assert "most frequent errors (gold -> predicted, count, share of all errors):\n" in output
    assert [line.split() for line in lines[-5:]] == [
        "accuracy by how often the word occurs in training:".split(),
                                                     ["unseen", "-", "(0", "tokens)"],
        ["1-10", "1.0000", "(9", "tokens)"], ["11-100", "-", "(0", "tokens)"],
        ["more", "than", "100", "-", "(0", "tokens)"]]
    assert run_tag([model_path, "-"], b"The dog ate\n\nthat book\n") == (
        "The/DET dog/NN ate/V\n\nthat/DET book/NN\n")


def printed_nll(output, temperature):
    """The NLL on the 'probabilities at temperature T' line that tag.py printed for this T."""
    return float(re.search(rf"^probabilities at temperature {temperature:.4f}: NLL ([\d.]+)",
                           output, re.M).group(1))


@pytest.mark.parametrize("options", [[], ["--crf", "--epochs", "60"]], ids=["softmax", "crf"])
def test_the_fitted_temperature_is_stored_changes_no_tag_and_no_other_does_better(tmp_path,
                                                                                  options):
    model_path = train_toy(tmp_path / "toy.pt", *options)
    eval_path = write(tmp_path, "eval.csv", EVAL_CSV)
    before = run_tag([model_path, "--eval", eval_path, "--report"])
    fitted = run_tag([model_path, "--eval", eval_path, "--fit-temperature"])
    temperature = load_checkpoint(model_path)[0].temperature
    at_fit = printed_nll(fitted, temperature)
    assert f"fitted temperature: {temperature:.4f}" in fitted and at_fit < printed_nll(before, 1)
    # Reloaded, the model reports at its stored temperature what the fit printed, with the same
    # tags (the accuracy, the per-tag and error tables) ...
    after = run_tag([model_path, "--eval", eval_path, "--report"])
    assert printed_nll(after, temperature) == at_fit
    assert ([line for line in after.splitlines() if not line.startswith("probabilities at")]
            == [line for line in before.splitlines() if not line.startswith("probabilities at")])
    # ... fitting again starts from the model's own scores, not from the stored temperature ...
    assert run_tag([model_path, "--eval", eval_path, "--fit-temperature"]) == fitted
    # ... and no temperature on a grid around it does better.
    for grid_temperature in (0.2, 0.35, 0.5, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0):
        report = run_tag([model_path, "--eval", eval_path, "--report", "--temperature",
                          grid_temperature])
        assert printed_nll(report, grid_temperature) >= at_fit, (
            f"T = {grid_temperature} beats the fitted {temperature}")


def test_a_model_file_that_is_missing_is_a_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        tag.main([str(tmp_path / "none.pt"), "Hello"])
    assert (exit_info.value.code == 2
            and capsys.readouterr().err == f"error: {tmp_path / 'none.pt'}: no such file or "
                                          "directory\n")


def three_word_lines(n):
    lines = (f"the dog {'ate' if i % 3 else 'book'}\n" if i % 5 else "\n" for i in range(n))
    return "".join(lines).encode()


@pytest.mark.parametrize("mode", ["-", "--conllu", "--tag-conllu"])
def test_chunk_boundaries_change_nothing(toy_model, monkeypatch, tmp_path, mode):
    """Chunks of 1, 2 and 7 sentences (3 words each) and all at once: byte-identical output."""
    text = three_word_lines(40)
    argv = [toy_model, "-", *(["--conllu"] if mode == "--conllu" else [])]
    if mode == "--tag-conllu":
        path = tmp_path / "in.conllu"
        path.write_text(run_tag([toy_model, "-", "--conllu"], text) + "\n\n")
        argv, text = [toy_model, "--tag-conllu", path], None
    outputs = []
    for chunk_words in (1, 6, 21, 10**9):
        monkeypatch.setattr(tagging, "CHUNK_WORDS", chunk_words)
        outputs.append(run_tag(argv, text))
    assert outputs[0].count("\n") >= 40 and all(output == outputs[0] for output in outputs)
    assert mode != "--tag-conllu" or outputs[0] == path.read_text()  # tags as the file has them


class Recording(io.RawIOBase):
    """Standard input that hands out one line per read and counts the lines it has handed out."""

    def __init__(self, lines):
        self.lines, self.handed_out = list(lines), 0

    def readable(self):
        return True

    def read1(self, size=-1):
        if self.handed_out == len(self.lines):
            return b""
        self.handed_out += 1
        return self.lines[self.handed_out - 1]


def test_memory_follows_the_chunk_the_input_is_never_read_ahead(toy_model, monkeypatch):
    """At every write, the lines read but not yet written are at most a chunk (2 here) and one."""
    lines = [f"the dog ate {i}\n".encode() for i in range(300)]  # 4 words a line
    stdin = Recording(lines)
    monkeypatch.setattr(sys, "stdin",
                        type("Stdin", (), {"buffer": stdin, "isatty": lambda self: False})())
    monkeypatch.setattr(tagging, "CHUNK_WORDS", 8)
    ahead = []

    class Stdout(io.StringIO):
        def write(self, text):
            ahead.append(stdin.handed_out - self.getvalue().count("\n"))
            return super().write(text)
    output = Stdout()
    with contextlib.redirect_stdout(output):
        tag.main([str(toy_model), "-"])
    assert output.getvalue().count("\n") == 300 and max(ahead) <= 3


def test_a_producer_that_pauses_gets_its_tags_during_the_pause(toy_model):
    """The first lines are tagged and written while the input is still open (a person typing)."""
    process = subprocess.Popen([sys.executable, "-m", "tagger.tag", str(toy_model), "-"], cwd=ROOT,
                               stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdin.write(b"the dog ate\nthe book\n")
    process.stdin.flush()  # and then nothing more for now
    received = b""
    # if tagging waited for the end of the input, nothing would come: fail, not hang
    while received.count(b"\n") < 2:
        ready, _, _ = select.select([process.stdout.fileno()], [], [], 120)
        if not ready:
            process.kill()
            pytest.fail("no tags while the producer waits")
        received += os.read(process.stdout.fileno(), 65536)
    first_lines = received.splitlines(keepends=True)
    process.stdin.write(b"the dog\n")
    process.stdin.close()
    rest = process.stdout.read()
    assert process.wait(timeout=600) == 0
    assert [line.split(b"/")[0] for line in first_lines + [rest]] == [b"the", b"the", b"the"]


def test_tag_conllu_from_a_pipe_gives_what_the_file_gives(toy_model, tmp_path):
    path = tmp_path / "in.conllu"
    path.write_bytes(SOURCE.encode())
    from_file = run_tag([toy_model, "--tag-conllu", path])
    command = [sys.executable, "-m", "tagger.tag", str(toy_model), "--tag-conllu", "-"]
    result = subprocess.run(command, cwd=ROOT, input=SOURCE.encode(), capture_output=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == from_file


def test_fit_temperature_on_tags_the_model_never_saw_is_refused_and_the_model_kept(toy_model,
                                                                                   tmp_path,
                                                                                   capsys):
    eval_file = tmp_path / "foreign.csv"
    eval_file.write_text("text,tag\nthe dog,X Y\n", encoding="utf-8")
    before = toy_model.read_bytes()
    with pytest.raises(SystemExit) as exit_info:
        tag.main([str(toy_model), "--eval", str(eval_file), "--fit-temperature"])
    assert exit_info.value.code == 2 and toy_model.read_bytes() == before
    assert capsys.readouterr().err.endswith(f"error: {eval_file}: no word has a UPOS tag that the "
                                            "model knows, so there is no temperature to fit; "
                                            f"{toy_model} is unchanged\n")


def test_importing_sets_no_variable_tagging_sets_the_kernel_cache(toy_model):
    code = ("import os, sys\nfrom tagger import tag\n"
            "before = os.environ.get('ONEDNN_PRIMITIVE_CACHE_CAPACITY')\n"
            "tag.main([sys.argv[1], 'The dog'])\n"
            "print(before, os.environ['ONEDNN_PRIMITIVE_CACHE_CAPACITY'])")
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_PRIMITIVE_CACHE_CAPACITY"}
    result = subprocess.run([sys.executable, "-c", code, str(toy_model)], cwd=ROOT,
                            env=dict(env, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                            timeout=600)
    assert result.stdout.splitlines()[-1] == f"None {ONEDNN_KERNEL_CACHE}", result.stderr


def test_the_device_and_the_batch_size_reach_the_prediction_loop(toy_model, tmp_path, capsys,
                                                                  monkeypatch):
    import torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code, err = exit_of(tag.main, [str(toy_model), "The dog", "--device", "cuda"], capsys)
    assert code == 2 and "--device cuda: no CUDA device is available" in err
    sizes, make_batches = [], tagging.make_batches
    monkeypatch.setattr(tagging, "make_batches", lambda *args, **options: sizes.append(
        options["batch_size"]) or make_batches(*args, **options))
    run_tag([toy_model, "-", "--batch-size", "2"], b"The dog\nate\n")
    run_tag([toy_model, "--eval", write(tmp_path, "e.csv", EVAL_CSV), "--batch-size", "3"])
    assert sizes == [2, 3]
