"""Tagging text with main.py: tokenizing --predict, --pretokenized, --conllu, --tag-conllu, bad input."""
import contextlib
import io
import re
import shlex
import subprocess
import sys

import pytest

import main
from conftest import ROOT, readme_block, run_script
from data import read_conllu

BUTTER = "I can't believe it's not butter!"


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory):
    """The Day-1 model, trained once and saved for this module's tests."""
    path = tmp_path_factory.mktemp("model") / "toy.pt"
    with contextlib.redirect_stdout(io.StringIO()):
        main.main(["--save", str(path), "--unk-alpha", "1"])
    return path


def run_main(argv, stdin_bytes=None, monkeypatch=None):
    """main.main in this process with `stdin_bytes` as standard input; returns what it printed."""
    if stdin_bytes is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin_bytes), encoding="utf-8"))
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main.main(argv)
    return buffer.getvalue()


def test_predict_tokenizes_and_lists_the_words(toy_model):
    output = run_main(["--load", str(toy_model), "--predict", BUTTER])
    assert [pair.rsplit("/", 1)[0] for pair in output.split()] == ["I", "ca", "n't", "believe", "it", "'s", "not",
                                                                   "butter", "!"]


def test_pretokenized_splits_on_spaces_only(toy_model):
    output = run_main(["--load", str(toy_model), "--predict", BUTTER, "--pretokenized"])
    assert [pair.rsplit("/", 1)[0] for pair in output.split()] == BUTTER.split()


def test_conllu_output_reads_back_with_the_same_words_and_tags(toy_model, monkeypatch, tmp_path):
    text = f"{BUTTER}\n\n   \nThe dog ate, didn't it?\n".encode()
    tagged = run_main(["--load", str(toy_model), "--predict", "-"], text, monkeypatch)
    conllu = run_main(["--load", str(toy_model), "--predict", "-", "--conllu"], text, monkeypatch)
    path = tmp_path / "out.conllu"
    path.write_text(conllu, encoding="utf-8")
    pairs = [[tuple(pair.rsplit("/", 1)) for pair in line.split()] for line in tagged.splitlines() if line.strip()]
    assert [list(zip(words, tags)) for words, tags in read_conllu(path)] == pairs  # empty lines: no sentence
    first = conllu.split("\n\n")[0].splitlines()
    assert first[0] == f"# text = {BUTTER}"
    assert first[2] == "2-3\tcan't\t_\t_\t_\t_\t_\t_\t_\t_"
    assert first[3].split("\t")[:2] == ["2", "ca"] and first[3].split("\t")[9] == "_"
    assert first[6] == "5-6\tit's\t_\t_\t_\t_\t_\t_\t_\t_"
    assert first[10].split("\t")[:2] == ["8", "butter"] and first[10].endswith("\tSpaceAfter=No")
    assert first[11].split("\t")[:2] == ["9", "!"] and first[11].endswith("\t_")
    assert all(line.count("\t") == 9 for line in first[1:])


def test_empty_and_whitespace_lines_give_empty_lines_in_word_tag_output(toy_model, monkeypatch):
    output = run_main(["--load", str(toy_model), "--predict", "-"], b"The dog\n\n \t \n!!!\n", monkeypatch)
    lines = output.split("\n")
    assert lines[1:3] == ["", ""] and lines[3].startswith("!!!/") and len(lines) == 5


SOURCE = ("# sent_id = a\r\n# text = Don't go.\r\n1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_\r\n"
          "1\tDo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_\r\n2\tn't\tnot\t_\tRB\t_\t3\tadvmod\t_\t_\r\n"
          "2.1\tgo\tgo\tVERB\t_\t_\t_\t_\t_\t_\r\n3\tgo\tgo\tX\tVB\tMood=Imp\t0\troot\t_\tSpaceAfter=No\r\n"
          "4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_\r\n\r\n")


def test_tag_conllu_replaces_only_the_upos_column(toy_model, tmp_path):
    path = tmp_path / "in.conllu"
    path.write_bytes(SOURCE.encode())
    output = run_main(["--load", str(toy_model), "--tag-conllu", str(path)])
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


def test_tag_conllu_on_a_malformed_file_is_the_readers_one_line_error(toy_model, tmp_path, capsys):
    path = tmp_path / "bad.conllu"
    path.write_text("1\tHi\t_\t_\t_\t_\t_\t_\t_\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main.main(["--load", str(toy_model), "--tag-conllu", str(path)])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == f"error: {path} line 1: expected 10 tab-separated columns, found 9\n"


def test_standard_input_that_is_not_utf8_is_a_one_line_error(toy_model):
    result = subprocess.run([sys.executable, "main.py", "--load", str(toy_model), "--predict", "-"], cwd=ROOT,
                            input=b"ok\ncaf\xe9\n", capture_output=True, timeout=600)
    assert result.returncode == 2
    assert result.stderr == b"error: standard input line 2: not valid UTF-8 (byte 0xe9)\n"


@pytest.mark.parametrize("text", ["!!! ... ?!", "\x00\x07 control \x1b chars", "a" * 100_000,
                                  "Привет, мир! 日本語の文です。 👍🏽🎉 مرحبا"])
def test_hard_text_is_tagged_without_losing_a_character(toy_model, monkeypatch, tmp_path, text):
    conllu = run_main(["--load", str(toy_model), "--predict", "-", "--conllu"], text.encode() + b"\n", monkeypatch)
    path = tmp_path / "hard.conllu"
    path.write_text(conllu, encoding="utf-8")
    (words, tags), = read_conllu(path)  # one line in, one sentence out
    assert "".join(words) == re.sub(r"\s", "", text)  # a contraction's words join into its token
    assert len(words) == len(tags)


@pytest.mark.parametrize("argv, message", [
    (["--conllu"], "--conllu and --pretokenized go with --predict"),
    (["--pretokenized"], "--conllu and --pretokenized go with --predict"),
    (["--tag-conllu", "x.conllu", "--predict", "a"], "--tag-conllu tags a file; it does not go with --predict"),
])
def test_option_combinations_that_are_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main.main(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_help_says_what_empty_lines_do():
    assert "empty input lines produce no sentence" in " ".join(run_script("main.py", "--help").stdout.split())


BUTTER_COMMANDS = [f'python main.py --load ewt.pt --predict "{BUTTER}"{option}' for option in (" --pretokenized", "",
                                                                                            " --conllu")]
RECIPE_MODEL = ROOT / "benchmark_recipe.pt"  # the recipe's model, which benchmark.py keeps


def without_tags(output):
    """Printed tagging output with the tags left out: word/UPOS(/XPOS) -> word, CoNLL-U UPOS, XPOS -> _.

    (The example sentence has no "/" in a word.)
    """
    lines = []
    for line in output.splitlines():
        columns = line.split("\t")
        if len(columns) == 10:
            columns[3] = columns[4] = "_"
            lines.append("\t".join(columns))
        else:
            lines.append(line if line.startswith("#") else " ".join(p.split("/")[0] for p in line.split()))
    return "\n".join(lines)


@pytest.mark.parametrize("command", BUTTER_COMMANDS)
def test_readme_tagging_examples(command, toy_model):
    """The README's output; its tags are checked where the recipe's model is at hand (not in CI)."""
    argv = shlex.split(command)[2:]
    shown = readme_block(command)
    if RECIPE_MODEL.exists():
        argv[argv.index("ewt.pt")] = str(RECIPE_MODEL)
        assert run_main(argv) == shown
    else:
        argv[argv.index("ewt.pt")] = str(toy_model)
        assert without_tags(run_main(argv)) == without_tags(shown)


def test_conllu_sentence_puts_space_after_on_the_range_line_only():
    from data import conllu_sentence
    from tokenizer import tokenize
    text = "Don't!"
    lines = conllu_sentence(text, tokenize(text), ["AUX", "PART", "PUNCT"], head="0").split("\n")
    assert lines == ["# text = Don't!",
                     "1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No",
                     "1\tDo\t_\tAUX\t_\t_\t0\t_\t_\t_",
                     "2\tn't\t_\tPART\t_\t_\t0\t_\t_\t_",
                     "3\t!\t_\tPUNCT\t_\t_\t0\t_\t_\t_", "", ""]


def test_conllu_sentence_fills_the_xpos_column_when_given():
    from data import conllu_sentence
    from tokenizer import tokenize
    text = "I can't."
    lines = conllu_sentence(text, tokenize(text), ["PRON", "AUX", "PART", "PUNCT"],
                            xpos_tags=["PRP", "MD", "RB", "."]).split("\n")
    word_lines = [line.split("\t") for line in lines if line and line[0].isdigit() and "-" not in line.split("\t")[0]]
    assert [(columns[1], columns[3], columns[4]) for columns in word_lines] == [
        ("I", "PRON", "PRP"), ("ca", "AUX", "MD"), ("n't", "PART", "RB"), (".", "PUNCT", ".")]
    assert lines[2].split("\t")[:2] == ["2-3", "can't"] and lines[2].split("\t")[2:9] == ["_"] * 7  # no tags
