"""Bad input, third pass: saves that cannot mix or be hijacked, outputs that never name inputs, no
silent nan, option files only where options are expected, damaged checkpoints, memory that follows
what is tagged, and one line instead of a traceback for a full disk, a closed stream or a malformed
file."""
import contextlib
import functools
import io
import os
import subprocess
import sys
import threading
import zipfile

import pytest
import torch

from conftest import ROOT, exit_of, quiet, run_script
from tagger import tag
from tagger import train as trainer
from tagger.checkpoint import load_checkpoint, save_checkpoint, write_atomically
from tagger.cli import run_cleanly
from tagger.conllu import conllu_sentence
from tagger.data import read_tag_sets
from tagger.errors import InputError
from tagger.model import RealDataTagger
from tagger.tokenizer import tokenize
from tagger.vocabulary import Vocabulary

SENTENCES, GOLD = [["The", "dog", "ate"]], {"upos": [["DET", "NN", "V"]]}
TOY_CONLLU = ("# text = The dog ate\n"
              "1\tThe\t_\tDET\t_\t_\t_\t_\t_\t_\n"
              "2\tdog\t_\tNN\t_\t_\t_\t_\t_\t_\n"
              "3\tate\t_\tV\t_\t_\t_\t_\t_\t_\n\n")


def small_model(seed):
    vocab = Vocabulary.from_training_data(SENTENCES, GOLD)
    settings = dict(embedding_dim=4, hidden_dim=3, vocab_size=len(vocab.word_to_ix), tagset_size=3)
    torch.manual_seed(seed)
    return RealDataTagger(**settings), settings, vocab


# 1, 2. Saves: a temporary file of its own, created exclusively; two writers never mix.

def test_two_saves_to_one_path_at_once_leave_one_whole_model_and_no_temporary_file(tmp_path):
    path = tmp_path / "same.pt"
    models = [small_model(seed) for seed in (1, 2)]

    def save_again_and_again(model, settings, vocab):
        for _ in range(10):
            save_checkpoint(path, model, settings, vocab)
    threads = [threading.Thread(target=save_again_and_again, args=model) for model in models]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    loaded = load_checkpoint(path)[0].state_dict()
    assert any(all(torch.equal(loaded[name], tensor) for name, tensor in model.state_dict().items())
               for model, _, _ in models)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.pt"]


@pytest.mark.parametrize("planted", ["link to notes", "link to /dev/null", "directory", "fifo"])
def test_a_file_left_at_the_old_temporary_name_is_neither_trusted_nor_touched(tmp_path, planted):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    leftover = tmp_path / "X.pt.tmp"
    {"link to notes": lambda: leftover.symlink_to(notes),
     "link to /dev/null": lambda: leftover.symlink_to("/dev/null"),
     "directory": leftover.mkdir, "fifo": lambda: os.mkfifo(leftover)}[planted]()
    model, settings, vocab = small_model(1)
    save_checkpoint(tmp_path / "X.pt", model, settings, vocab)
    assert (tmp_path / "X.pt").is_file() and not (tmp_path / "X.pt").is_symlink()
    assert notes.read_text() == "my notes\n" and os.path.lexists(leftover)
    assert load_checkpoint(tmp_path / "X.pt")[1] == vocab


def test_a_full_disk_keeps_the_old_model_and_says_so_in_plain_words(tmp_path, monkeypatch):
    model, settings, vocab = small_model(1)
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, settings, vocab)
    before = path.read_bytes()

    def full(descriptor, mode):
        class Full(io.BytesIO):
            def write(self, data):
                raise OSError(28, "No space left on device")
        os.close(descriptor)
        return Full()
    monkeypatch.setattr(os, "fdopen", full)
    with pytest.raises(InputError, match=r"m\.pt: could not save it: No space left on device$"):
        write_atomically(b"x", path, path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]


# 3, 4. An output never names an input; an empty path is a usage error; '#' inside a word is no
# comment.

@pytest.mark.parametrize("how",
                         ["same spelling", "another spelling", "a symbolic link", "a hard link"])
@pytest.mark.parametrize("data_option", ["--train", "--dev"])
def test_save_may_not_name_the_training_or_dev_file(tmp_path, capsys, how, data_option,
                                                    monkeypatch):
    data = tmp_path / "data.csv"
    data.write_text("text,tag\nThe dog,DET NN\n")
    monkeypatch.chdir(tmp_path)
    save = {"same spelling": str(data), "another spelling": "./sub/../data.csv",
            "a symbolic link": "link.csv",
            "a hard link": "hard.csv"}[how]
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.csv").symlink_to(data)
    os.link(data, tmp_path / "hard.csv")
    argv = [data_option, str(data), "--save", save]  # with --dev, --train is the default train.csv
    code, err = exit_of(trainer.main, argv, capsys)
    assert code == 2 and f"is the {data_option} file" in err.splitlines()[-1]
    assert data.read_text() == "text,tag\nThe dog,DET NN\n"


@pytest.mark.parametrize("argv, message", [(["--save", ""], "--save: an empty path"),
                                           (["--dev", ""], "--dev: an empty path"),
                                           (["--train", " "], "--train: an empty path")])
def test_an_empty_path_is_a_usage_error_for_training(capsys, argv, message):
    code, err = exit_of(trainer.main, argv, capsys)
    assert code == 2 and err.startswith("usage: ") and message in err.splitlines()[-1]


@pytest.mark.parametrize("argv, message", [(["", "text"], "MODEL.pt: an empty path"),
                                           (["m.pt", "--eval", ""], "--eval: an empty path"),
                                           (["m.pt", "--tag-conllu", ""],
                                            "--tag-conllu: an empty path")])
def test_an_empty_path_is_a_usage_error_for_tagging(capsys, argv, message):
    code, err = exit_of(tag.main, argv, capsys)
    assert code == 2 and err.startswith("usage: ") and message in err.splitlines()[-1]


def test_a_recipe_keeps_a_hash_inside_a_word_and_drops_a_comment(tmp_path):
    recipe = tmp_path / "r.txt"
    recipe.write_text("--save run#3.pt  # the third run\n# a whole-line comment\n--epochs 7\n")
    args = trainer.parse_args([f"@{recipe}"])
    assert args.save == "run#3.pt" and args.epochs == 7


def test_a_recipe_word_glued_to_a_hash_is_an_error_not_a_silent_comment(tmp_path, capsys):
    recipe = tmp_path / "r.txt"
    recipe.write_text("--epochs 7#x\n")
    code, err = exit_of(trainer.main, [f"@{recipe}"], capsys)
    assert code == 2 and "7#x" in err


# 5, 6. Every printed figure is finite, or the run says why not.

def test_report_over_no_known_gold_tag_says_so_instead_of_nan(toy_model, tmp_path):
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("text,tag\nThe dog,Q R\n")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        tag.main([str(toy_model), "--eval", str(unknown), "--report"])
    output = buffer.getvalue()
    assert ("probabilities at temperature 1.0000: - (no word has a UPOS tag that the model knows)"
            in output)


def test_a_dev_set_whose_tags_training_never_saw_is_refused_before_training(tmp_path, capsys):
    dev = tmp_path / "dev.csv"
    dev.write_text("text,tag\nThe dog,Q R\n")
    code, err = exit_of(trainer.main, ["--dev", str(dev), "--epochs", "1"], capsys)
    assert code == 2 and "none of its UPOS tags occurs in" in err and err.count("\n") == 1


@pytest.mark.parametrize("temperature", ["1e-300", "0.009", "101", "1e10"])
def test_a_temperature_outside_the_finite_range_is_a_usage_error(capsys, temperature):
    code, err = exit_of(tag.main, ["m.pt", "--eval", "x.csv", "--temperature", temperature], capsys)
    assert code == 2 and "must be from 0.01 to 100" in err


@pytest.mark.parametrize("options", [[], ["--crf", "--epochs", "20"]], ids=["softmax", "crf"])
@pytest.mark.parametrize("temperature", ["0.01", "100"])
def test_at_the_ends_of_the_range_every_figure_is_finite_and_readable(tmp_path, options,
                                                                      temperature):
    model = tmp_path / "m.pt"
    quiet(trainer.main, ["--save", str(model), "--epochs", "20", *options])
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        tag.main([str(model), "--eval", str(ROOT / "train.csv"), "--report", "--temperature",
                  temperature])
    line = next(line for line in buffer.getvalue().splitlines()
                if line.startswith("probabilities at"))
    assert f"temperature {float(temperature):.4f}:" in line
    assert "nan" not in line and "inf" not in line


# 7. Option files are expanded only where options are expected.

def test_text_that_starts_with_an_at_sign_is_text_even_if_a_file_has_that_name(toy_model, tmp_path,
                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "john thanks").write_text("--eval x.csv\n")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        tag.main([str(toy_model), "@john thanks"])
    assert [pair.rsplit("/", 1)[0] for pair in buffer.getvalue().split()] == ["@john", "thanks"]


def test_the_training_command_expands_a_recipe_but_not_an_option_value(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "recipe").write_text("--epochs 3\n")
    args = trainer.parse_args(["@recipe", "--predict=@recipe"])
    assert args.epochs == 3 and args.predict == "@recipe"


@pytest.mark.parametrize("content, message",
                         [("@self.txt\n", "includes itself"), (b"--epochs \xff\n", "not UTF-8")])
def test_a_recipe_that_includes_itself_or_is_not_utf8_is_a_usage_error(tmp_path, capsys,
                                                                       monkeypatch, content,
                                                                         message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "self.txt").write_bytes(content.encode() if isinstance(content, str) else content)
    code, err = exit_of(trainer.main, ["@self.txt"], capsys)
    assert code == 2 and err.startswith("usage: ") and message in err.splitlines()[-1]


def test_two_recipes_that_include_each_other_are_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("@b.txt\n")
    (tmp_path / "b.txt").write_text("--epochs 2 @a.txt\n")
    code, err = exit_of(trainer.main, ["@a.txt"], capsys)
    assert code == 2 and "includes itself" in err


# 8. A damaged checkpoint says so.

def test_a_checkpoint_damaged_in_its_tensor_bytes_is_refused(tmp_path):
    model, settings, vocab = small_model(1)
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, settings, vocab)
    with zipfile.ZipFile(path) as archive:
        member = next(info for info in archive.infolist() if "/data/" in info.filename)
    raw = bytearray(path.read_bytes())
    # the local header: its name and extra field lengths at bytes 26 and 28
    header = member.header_offset
    start = header + 30 + int.from_bytes(raw[header + 26:header + 28], "little") + int.from_bytes(
        raw[header + 28:header + 30], "little")
    raw[start] ^= 0xFF  # the first byte of a stored tensor, flipped
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError, match=r"m\.pt: damaged checkpoint: .* fails its checksum"):
        load_checkpoint(path)


def test_a_checkpoint_with_nan_weights_is_refused(tmp_path):
    model, settings, vocab = small_model(1)
    with torch.no_grad():
        model.hidden2tag.weight.fill_(float("nan"))
    save_checkpoint(tmp_path / "m.pt", model, settings, vocab)
    with pytest.raises(InputError,
                       match=r"damaged checkpoint: hidden2tag.weight holds values that are not "
                             "finite"):
        load_checkpoint(tmp_path / "m.pt")


# 9. A line break inside a line of text never reaches the `# text =` comment.

@pytest.mark.parametrize("separator", ["\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"])
def test_a_line_break_inside_the_text_becomes_a_space_in_the_text_comment(separator):
    text = f"The dog{separator}ate"
    tokens = tokenize(text)
    words = [word for token in tokens for word in token.words]
    written = conllu_sentence(text, tokens, {"upos": ["X"] * len(words)})
    assert written.splitlines()[0] == "# text = The dog ate"
    ranges = sum(len(token.words) > 1 for token in tokens)
    assert len(written.rstrip("\n").splitlines()) == 1 + len(words) + ranges


# 10. Memory follows what is tagged, whatever the spacing.

def test_chunks_count_the_words_the_tokenizer_makes_not_the_spaces(toy_model, monkeypatch):
    sizes = []
    real_tag_lines = tag.tag_lines

    def recording(model, chunk, *args, **kwargs):
        sizes.append(sum(len(token.words) for _, tokens in chunk for token in tokens))
        return real_tag_lines(model, chunk, *args, **kwargs)
    monkeypatch.setattr(tag, "tag_lines", recording)
    monkeypatch.setattr(tag, "CHUNK_WORDS", 50)
    line = "-".join(["dog"] * 20) + "\n"  # 39 words, no space
    stdin = type("Stdin", (),
                 {"buffer": io.BytesIO((line * 10).encode()), "isatty": lambda self: False})()
    monkeypatch.setattr(sys, "stdin", stdin)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        tag.main([str(toy_model), "-"])
    assert len(output.getvalue().splitlines()) == 10
    assert sum(sizes) == 390 and max(sizes) <= 50 + 39


def test_an_absurdly_long_line_is_refused_in_one_line(toy_model, capsys, monkeypatch):
    monkeypatch.setattr(tag, "MAX_SENTENCE_WORDS", 100)
    stdin = type("Stdin", (), {"buffer": io.BytesIO(("The dog\n" + "a-" * 60 + "a\n").encode()),
                               "isatty": lambda self: False})()
    monkeypatch.setattr(sys, "stdin", stdin)
    code, err = exit_of(tag.main, [str(toy_model), "-"], capsys)
    assert code == 2 and err == ("error: standard input line 2: more than 100 words in one line, "
                                 "which is tagged as one sentence: put each sentence on a line of "
                                 "its own\n")


def test_an_absurdly_long_conllu_sentence_is_refused_in_one_line(toy_model, capsys, monkeypatch,
                                                                 tmp_path):
    monkeypatch.setattr(tag, "MAX_SENTENCE_WORDS", 2)
    path = tmp_path / "long.conllu"
    path.write_text(TOY_CONLLU)
    code, err = exit_of(tag.main, [str(toy_model), "--tag-conllu", str(path)], capsys)
    assert code == 2
    assert err == (f"error: {path} line 4: the sentence that starts at line 1 has more than 2 "
                   "words\n")


# 11, 13, 15. A full disk, a closed stream, memory that runs out: one line, never a traceback.

@pytest.mark.parametrize("command", [["main.py"], ["main_example.py"], ["-m", "tagger.crf_example"],
                                     ["benchmark.py", "--show"],
                                     ["-m", "tagger.tag", "MODEL", "The dog ate"]])
def test_a_full_disk_is_one_line_and_exit_code_1(command, toy_model):
    command = [str(toy_model) if part == "MODEL" else part for part in command]
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, *command], cwd=ROOT, stdout=full,
                                stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert (result.returncode == 1 and result.stderr.count("\n") == 1
            and "No space left on device" in result.stderr)


@pytest.mark.parametrize("closed, command",
                         [(">&-", "main.py"), (">&-", "-m tagger.tag MODEL 'The dog'"),
                                             ("<&-", "-m tagger.tag MODEL -")])
def test_a_closed_standard_stream_is_one_line(closed, command, toy_model):
    command = command.replace("MODEL", str(toy_model))
    result = subprocess.run(["bash", "-c", f"{sys.executable} {command} {closed}"], cwd=ROOT,
                            capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode in (1, 2)
    assert result.stderr.count("\n") == 1 and "is closed" in result.stderr


def test_memory_that_runs_out_is_one_line(capsys):
    def allocate():
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't "
                           "allocate memory: you tried to allocate 1099511627776 bytes.\nmore")
    with pytest.raises(SystemExit) as exit_info:
        run_cleanly(allocate)
    err = capsys.readouterr().err
    assert (exit_info.value.code == 1 and err.startswith("error: out of memory")
            and err.count("\n") == 1)


# 14. The benchmark's results file.

@pytest.mark.parametrize("content, message", [(None, "results: not a folder of results"),
                                              ("", "accuracy.json line 1: not a results file"),
                                              ('{"rows": ',
                                               "accuracy.json line 1: not a results file"),
                                              ("[]", "accuracy.json: not a results file: it has "
                                                     "no rows"),
                                              ("DIR", "accuracy.json: not a regular file")])
def test_show_with_a_bad_results_file_is_one_line(tmp_path, content, message):
    folder = tmp_path / "results"
    if content is not None:
        folder.mkdir()
    if content == "DIR":
        (folder / "accuracy.json").mkdir()
    elif content is not None:
        (folder / "accuracy.json").write_text(content)
    result = run_script("benchmark.py", "--show", "--results", folder)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and message in result.stderr


@pytest.mark.parametrize("kind", ["link", "damaged", "folder is a file"])
def test_a_run_that_would_lose_a_results_file_stops_before_measuring(tmp_path, kind, monkeypatch):
    import benchmark
    from benchmarks import accuracy, study
    for name in ("en_ewt-ud-train.conllu", "en_ewt-ud-dev.conllu", "m.pt"):
        (tmp_path / name).write_text("")  # never read: the check comes first
    monkeypatch.setattr(accuracy, "measure", lambda row, args: pytest.fail("it measured"))
    folder = tmp_path / "results"
    if kind == "folder is a file":
        folder.write_text("x")
        run = functools.partial(benchmark.main, ["--data", str(tmp_path), "--model",
                                                 str(tmp_path / "m.pt"), "--results", str(folder)])
    else:
        folder.mkdir()
        elsewhere = tmp_path / "elsewhere.json"
        elsewhere.write_text('{"rows": {}}')
        if kind == "link":
            (folder / "accuracy.json").symlink_to(elsewhere)
        else:
            (folder / "accuracy.json").write_text('{"rows": ')
        run = functools.partial(study.run_study, accuracy,
                                ["--data", str(tmp_path), "--rows", "most-frequent-tag",
                                 "--results", str(folder / "accuracy.json")])
    with pytest.raises(InputError) as error:
        run()
    message = {"link": "accuracy.json: not a regular file",
               "damaged": "accuracy.json line 1: not a results file",
               "folder is a file": "results: not a folder"}[kind]
    assert message in str(error.value)
    if kind == "link":
        assert (folder / "accuracy.json").is_symlink() and elsewhere.read_text() == '{"rows": {}}'


def test_a_study_epochs_zero_is_a_usage_error():
    result = run_script("-m", "benchmarks.seeds", "--epochs", "0", "--results", "elsewhere.json")
    assert result.returncode == 2 and "--epochs: must be at least 1, not 0" in result.stderr


# 16. A byte order mark, paths that are not files, Ctrl-C while tagging.

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


@pytest.mark.parametrize("path, message",
                         [("DIR", "is a directory"), ("/dev/null", "is not a regular file")])
def test_a_path_that_is_not_a_file_is_named_for_what_it_is(tmp_path, path, message):
    path = str(tmp_path) if path == "DIR" else path
    with pytest.raises(InputError, match=message):
        read_tag_sets(path)


def test_ctrl_c_while_tagging_says_what_was_written_and_that_the_model_is_unchanged(toy_model,
                                                                                    capsys,
                                                                                    monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(tag, "tag_text", interrupted)
    code, err = exit_of(tag.main, [str(toy_model), "The dog"], capsys)
    assert code == 130 and "nothing was saved" not in err and f"{toy_model} is unchanged" in err


# 17. Permissions and links of a model, and nested multiword tokens.

def test_fit_temperature_leaves_a_read_only_model_alone(toy_model, tmp_path, capsys):
    model = tmp_path / "ro.pt"
    model.write_bytes(toy_model.read_bytes())
    model.chmod(0o444)
    if os.access(model, os.W_OK):
        pytest.skip("running as a user who may write any file (root)")
    code, err = exit_of(tag.main,
                        [str(model), "--eval", str(ROOT / "train.csv"), "--fit-temperature"],
                        capsys)
    assert code == 2 and "is read-only" in err and model.read_bytes() == toy_model.read_bytes()


def test_fit_temperature_keeps_the_permissions_and_refuses_to_break_a_hard_link(toy_model, tmp_path,
                                                                                capsys):
    model = tmp_path / "m.pt"
    model.write_bytes(toy_model.read_bytes())
    model.chmod(0o640)
    quiet(tag.main, [str(model), "--eval", str(ROOT / "train.csv"), "--fit-temperature"])
    assert model.stat().st_mode & 0o777 == 0o640 and load_checkpoint(model)[0].temperature != 1.0
    os.link(model, tmp_path / "backup.pt")
    code, err = exit_of(tag.main,
                        [str(model), "--eval", str(ROOT / "train.csv"), "--fit-temperature"],
                        capsys)
    assert code == 2 and "has other hard links" in err


def test_a_multiword_range_inside_another_is_an_error(tmp_path):
    path = tmp_path / "nested.conllu"
    path.write_text("1-3\tabc\t_\t_\t_\t_\t_\t_\t_\t_\n1-2\tab\t_\t_\t_\t_\t_\t_\t_\t_\n"
                    "1\ta\t_\tX\t_\t_\t_\t_\t_\t_\n2\tb\t_\tX\t_\t_\t_\t_\t_\t_\n"
                    "3\tc\t_\tX\t_\t_\t_\t_\t_\t_\n\n")
    with pytest.raises(InputError,
                       match=r"nested.conllu line 2: range '1-2' inside another multiword token"):
        read_tag_sets(path)


def test_the_bounds_the_docs_quote_are_the_codes():
    from conftest import doc_text
    from tagger.cli import TEMPERATURE
    page = " ".join(doc_text("docs/code.md").split())
    assert f"a line of more than {tag.MAX_SENTENCE_WORDS:,} words" in page
    assert TEMPERATURE.requirement == "from 0.01 to 100" and "must lie between 0.01 and 100" in page
