"""main.py, Day 1: the README's run, both losses, unknown words, its options and bad input."""
import contextlib
import io
import os
import re

import pytest
import torch

import main
from conftest import ROOT, assert_same_output, doc_text, quiet, readme_block, run_script
from train import UNK_IX, prepare_sequence


def main_output(argv):
    """Run main.main in this process (faster than a subprocess) and return what it printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        main.main(argv)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def default_output():
    """The default run's output, run once for the module's tests."""
    return main_output([])


def without_time(text):
    return re.sub(r"training time: .*", "", text)


def test_default_run_matches_the_readme_and_tags_the_sentence_from_any_folder(tmp_path):
    # train.csv is found next to main.py, not in the folder
    result = run_script(ROOT / "main.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # the one difference: the path as seen from there
    shown_path = os.path.relpath(ROOT / "train.csv", tmp_path)
    assert f"training data: {shown_path}: 2 sentences, 9 tokens\n" in result.stdout
    result.stdout = result.stdout.replace(f"training data: {shown_path}:",
                                          "training data: train.csv:")
    assert result.stdout.rstrip().endswith("The/DET dog/NN ate/V the/DET book/NN")
    assert_same_output(readme_block("python main.py"), result.stdout)


def test_nll_and_ce_print_the_same_losses_and_probabilities():
    nll, ce = main_output(["--loss", "nll"]), main_output(["--loss", "ce"])
    strip = lambda text: [line for line in text.splitlines() if not line.startswith(("settings:",
                                                                                     "training "
                                                                                     "time:"))]
    assert strip(nll) == strip(ce) and "settings: loss=ce " in ce


@pytest.mark.parametrize("loss, kind, logits", [("nll", torch.nn.NLLLoss, False),
                                                ("ce", torch.nn.CrossEntropyLoss, True)])
def test_the_loss_option_picks_the_loss_and_what_the_model_outputs(loss, kind, logits,
                                                                   monkeypatch):
    seen = []
    monkeypatch.setattr(main, "train_one_epoch", lambda model, data, words, tags, loss_function,
                        *rest: seen.append((model, loss_function)) or 1.0)
    quiet(main.main, ["--loss", loss, "--epochs", "1"])
    model, loss_function = seen[0]
    scores = model(torch.tensor([1, 2]))
    assert type(loss_function) is kind
    assert torch.allclose(scores.exp().sum(dim=-1), torch.ones(2)) != logits  # log-probabilities


def test_the_device_option_moves_the_model(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: --device cuda would simply work")
    with pytest.raises((AssertionError, RuntimeError), match="CUDA"):  # this build has none
        quiet(main.main, ["--device", "cuda", "--epochs", "1"])


def test_unseen_word_is_tagged_as_the_docs_show_and_its_row_depends_only_on_the_words_before_it():
    whole = main_output(["--predict", "The cat ate the book"])
    assert_same_output(readme_block('python main.py --predict "The cat ate the book"'), whole)
    def row(text):
        return next(line.split()[1:] for line in text.splitlines()[::-1] if line.startswith("cat "))
    short = main_output(["--predict", "The cat"])
    assert row(short) == row(whole)
    docs = " ".join(doc_text("docs/code.md").split())
    ate = next(line.split()[1:] for line in whole.splitlines()[::-1] if line.startswith("ate "))
    assert f'`{" ".join(row(short))}`' in docs and f"`{ate[2]}` against `{ate[0]}`" in docs


@pytest.mark.parametrize("option, value",
                         [("--embedding-dim", "5"), ("--hidden-dim", "5"), ("--epochs", "299"),
                                           ("--lr", "0.05"), ("--seed", "2"),
                          ("--predict", "The book")])
def test_every_option_changes_the_run(option, value, default_output):
    """An option that were silently ignored would print the default run's numbers."""
    default, changed = default_output, main_output([option, value])
    numbers = lambda text: re.findall(r"\d+\.\d{4}", without_time(text))
    assert numbers(changed) != numbers(default)


def test_the_train_option_reads_another_file(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("text,tag\nA cat sat,DET NN V\nNA null,X Y\n")
    output = main_output(["--train", str(path), "--epochs", "50", "--predict", "A cat"])
    assert "word_to_ix: {'<unk>': 0, 'A': 1, 'cat': 2, 'sat': 3, 'NA': 4, 'null': 5}" in output
    assert "tag_to_ix: {'DET': 0, 'NN': 1, 'V': 2, 'X': 3, 'Y': 4}" in output  # "NA" stays a word


def test_same_seed_same_numbers():
    assert without_time(main_output(["--epochs", "50"])) == without_time(main_output(["--epochs",
                                                                                      "50"]))


@pytest.mark.parametrize("content, message", [
    (None, ": [Errno 2] No such file or directory"),
    (b"", ": No columns to parse from file"),
    (b"words,tag\na,X\n", ": needs the columns text and tag, once each (found: words, tag)"),
    (b"text,tag,text\na,X,b\n", ": needs the columns text and tag, once each (found: text, tag"),
    (b"text,tag\na b,X\n", ": row 2: 2 words in 'text' but 1 tags in 'tag'"),
    (b"text,tag\n\na,X\n\n,\n", ": row 3: 0 words in 'text' but 0 tags in 'tag'"),
    (b"text,tag\n", ": no sentences"),
    (b"text,tag\n\xff,X\n", ": 'utf-8' codec can't decode byte 0xff"),
    (b"text,tag\na,X,Y\n", ": Error tokenizing data. C error: Expected 2 fields in line 2, saw 3"),
])
def test_a_bad_training_file_exits_2_with_one_line_naming_the_row(tmp_path, capsys, content,
                                                                   message):
    path = tmp_path / "t.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SystemExit) as exit_info:
        main.main(["--train", str(path)])
    err = capsys.readouterr().err
    assert (exit_info.value.code == 2 and err.startswith(f"error: {path}{message}")
            and err.count("\n") == 1)


def test_bad_input_in_a_real_process_is_the_docs_one_line(tmp_path):
    (tmp_path / "bad.csv").write_bytes(b"text,tag\nThe dog,DET NN\n"
                                       b"The dog ate the book,DET NN V DET\n")
    result = run_script(ROOT / "main.py", "--train", "bad.csv", cwd=tmp_path)
    assert (result.returncode == 2
            and result.stderr == readme_block("python main.py --train bad.csv"))


@pytest.mark.parametrize("argv", [["--epochs", "x"], ["--lr", "fast"], ["--loss", "mse"]])
def test_bad_options_exit_2_with_a_usage_error(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main.main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.startswith("usage: ") and argv[0] in err


def test_an_unknown_word_becomes_unk_and_an_unknown_tag_is_an_error():
    word_to_ix, tag_to_ix = {"<unk>": UNK_IX, "dog": 1}, {"DET": 0, "NN": 1}
    assert prepare_sequence(["dog", "cat"], word_to_ix).tolist() == [1, UNK_IX]
    assert prepare_sequence(["NN", "DET"], tag_to_ix).tolist() == [1, 0]
    with pytest.raises(KeyError):
        prepare_sequence(["ADJ"], tag_to_ix)  # not DET, the tag at index 0
