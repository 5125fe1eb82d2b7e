"""Bad input, fourth pass: an output that is its own input, saves over what is no model, checkpoints
that lie, memory bounded before the limit, and one line for every other way to fail."""
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest
import torch

import main
from conftest import ROOT, exit_of, quiet, run_script
from tagger import tag
from tagger import train as trainer
from tagger.checkpoint import load_checkpoint, read_checkpoint
from tagger.lines import LineReader
from tagger.errors import InputError

TOY_CONLLU = "1\tThe\t_\tDET\t_\t_\t_\t_\t_\t_\n2\tdog\t_\tNN\t_\t_\t_\t_\t_\t_\n\n"


# 1. An output that is its own input.

@pytest.mark.parametrize("mode", ["--tag-conllu", "--eval", "-"])
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


# 2. --save replaces only a model of this tagger; a recipe is an input.

def test_save_never_replaces_a_recipe_or_a_file_that_is_no_model(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "recipe.txt").write_text("--epochs 1\n")
    code, err = exit_of(trainer.main, ["@recipe.txt", "--save", "recipe.txt"], capsys)
    assert code == 2 and "--save recipe.txt: is the @recipe.txt file" in err.splitlines()[-1]
    (tmp_path / "victim.py").write_text("print('hello')\n")
    code, err = exit_of(trainer.main, ["--epochs", "1", "--save", "victim.py"], capsys)
    assert code == 2
    assert err == "error: victim.py: exists and is not a model of this tagger; not replacing it\n"
    assert (tmp_path / "recipe.txt").read_text() == "--epochs 1\n"
    assert (tmp_path / "victim.py").read_text() == "print('hello')\n"
    quiet(trainer.main, ["--epochs", "1", "--save", "m.pt"])
    quiet(trainer.main, ["--epochs", "2", "--save", "m.pt"])  # a model of this tagger is replaced
    assert load_checkpoint("m.pt")[0] is not None


# 3, 4. Checkpoints that lie: every field checked before anything is built.

def damaged(toy_model, tmp_path, change):
    checkpoint = read_checkpoint(toy_model)
    change(checkpoint)
    path = tmp_path / "damaged.pt"
    torch.save(checkpoint, path)
    return path


def set_in(field, key, value):
    return lambda checkpoint: checkpoint[field].__setitem__(key, value)


@pytest.mark.parametrize("change, message", [
    (set_in("settings", "vocab_size", 3_000_000), "11 entries in its dictionary, 3000000 in "
                                                  "vocab_size"),
    (lambda c: c["settings"].update(num_layers=4096, hidden_dim=4096),
     "its weights do not match its settings"),
    (set_in("settings", "dropout", float("nan")), "settings: dropout nan"),
    (set_in("settings", "hidden_dim", "6"), "settings: hidden_dim '6'"),
    (set_in("settings", "layers", 2), "bad settings"),
    (lambda c: c.__setitem__("extra", 1), "unknown field ['extra']"),
    (lambda c: c.pop("state_dict"), "missing 'state_dict'"),
    (set_in("word_to_ix", "The", 999), "word_to_ix's indices are not 0..n-1 in order"),
    (set_in("word_to_ix", "The", -1), "word_to_ix's indices are not 0..n-1 in order"),
    (lambda c: c["tag_sets"].__setitem__("upos", dict(reversed(c["tag_sets"]["upos"].items()))),
     "the upos tags's indices are not 0..n-1 in order"),
    (lambda c: c["tag_sets"].__setitem__("upos", {"D\tET": 0, "NN": 1, "V": 2}),
     "the upos tags has a bad entry"),
    (lambda c: c["tag_sets"].__setitem__("upos", ["DET", "NN", "V"]),
     "the upos tags is not a dictionary"),
    (set_in("word_counts", "The", "many"), "bad word counts"),
    (lambda c: c.__setitem__("word_to_ix", list(c["word_to_ix"])),
     "word_to_ix is not a dictionary"),
    (lambda c: c.__setitem__("lowercase", "yes"), "bad lowercase"),
])
def test_a_lying_checkpoint_is_one_line_and_nothing_is_built_from_it(toy_model, tmp_path, change,
                                                                     message,
                                                                     monkeypatch):
    from tagger import checkpoint as checkpoint_module
    built = []
    real_class = checkpoint_module.RealDataTagger

    def recording(**settings):
        built.append(settings)
        return real_class(**settings)
    monkeypatch.setattr(checkpoint_module, "RealDataTagger", recording)
    with pytest.raises(InputError) as error:
        load_checkpoint(damaged(toy_model, tmp_path, change))
    assert str(error.value) == f"{tmp_path / 'damaged.pt'}: damaged checkpoint: {message}"
    assert built == []  # refused before any layer was made


def test_a_compressed_or_oversized_zip_member_is_refused_before_it_is_read(toy_model, tmp_path):
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", b"\0" * 10_000_000)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(InputError, match="damaged checkpoint: a member is compressed or larger "
                                         "than the file"):
        read_checkpoint(bomb)


def test_a_device_is_not_a_regular_file_not_a_missing_one(capsys):
    code, err = exit_of(tag.main, ["/dev/null", "The dog"], capsys)
    assert code == 2 and err == "error: /dev/null: not a regular file\n"


# 5. A line is bounded while it is read.

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


@pytest.mark.parametrize("block, max_words, message", [
    (b"\0" * 65536, None, "line 1: over 4 MiB without a line break"),
    (b"a " * 32768, 10_000, "line 1: more than 10,000 words in one line"),
    (b"ab" * 32768, 10_000, "line 1: over 4 MiB without a line break"),
])
def test_a_line_that_never_ends_is_refused_after_reading_a_bounded_amount(block, max_words,
                                                                          message):
    stream = EndlessStream(block)
    with pytest.raises(InputError, match=message):
        for _ in LineReader("-", stream=stream, max_line_words=max_words):
            pass
    assert stream.read_bytes <= (4 << 20) + 2 * len(block)


def test_words_are_counted_across_reads_without_counting_a_split_word_twice():
    text = (b"abc " * 2500).strip()  # 2,500 words and no line break, cut mid-word by 7-byte reads
    chunks = [text[i:i + 7] for i in range(0, len(text), 7)]
    stream = type("Chunks", (), {"read1": lambda self, size=-1: chunks.pop(0) if chunks else b""})()
    assert len(list(LineReader("-", stream=stream, max_line_words=2500))) == 1
    chunks[:] = [text[i:i + 7] for i in range(0, len(text), 7)]
    with pytest.raises(InputError, match="more than 2,499 words"):
        list(LineReader("-", stream=stream, max_line_words=2499))


def test_tagging_dev_zero_ends_in_one_line(toy_model):
    with open("/dev/zero", "rb") as zero:
        result = subprocess.run([sys.executable, "-m", "tagger.tag", str(toy_model), "-"], cwd=ROOT,
                                stdin=zero,
                                capture_output=True, text=True, timeout=600)
    assert result.returncode == 2 and result.stderr == (
        "error: standard input line 1: over 4 MiB without a line break\n")


# 6. Recipes: regular files of a bounded size, a bounded expansion.

def test_a_recipe_that_is_no_regular_file_or_too_large_is_a_usage_error(tmp_path, capsys,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, err = exit_of(trainer.main, ["@/dev/zero"], capsys)
    assert code == 2 and err.splitlines()[-1].endswith("@/dev/zero: not a regular file")
    (tmp_path / "big.txt").write_text("--epochs 1\n" * 10_000)
    code, err = exit_of(trainer.main, ["@big.txt"], capsys)
    assert code == 2 and "a recipe of over 64 KiB" in err.splitlines()[-1]


def test_recipes_that_expand_exponentially_are_refused_at_once(tmp_path):
    for i in range(30):  # each names the next twice: 2**30 words, if nothing stopped it
        recipe = f"@r{i + 1}.txt @r{i + 1}.txt\n" if i < 29 else "--epochs 1\n"
        (tmp_path / f"r{i}.txt").write_text(recipe)
    result = run_script("-m", "tagger.train", "@r0.txt", cwd=tmp_path, timeout=120)
    assert (result.returncode == 2
            and "the recipes expand to more than 10,000 words" in result.stderr)


# 7, 12. Every command ends a memory failure and Ctrl-C in one line.

@pytest.mark.parametrize("raised, code, line", [(MemoryError, 1, "error: out of memory"),
                                                (KeyboardInterrupt, 130, "interrupted")])
def test_main_py_ends_memory_failure_and_ctrl_c_in_one_line(capsys, raised, code, line):
    def work():
        raise raised()
    with pytest.raises(SystemExit) as exit_info:
        main.run_cleanly(work)
    assert exit_info.value.code == code and capsys.readouterr().err.strip() == line


# 8, 11, 13. Numbers within bounds; paths with a NUL byte or empty are usage errors.

@pytest.mark.parametrize("argv, option",
                         [(["--lr", "1e39"], "--lr"), (["--clip-grad", "1e39"], "--clip-grad"),
                                          (["--unk-alpha", "1e308"], "--unk-alpha"),
                          (["--train", "a\0b"], "--train"),
                                          (["--dev", "a\0b"], "--dev"),
                          (["--save", "a\0b"], "--save"),
                                          (["@a\0b"], "@a\0b")])
def test_numbers_out_of_bounds_and_nul_bytes_in_paths_are_usage_errors(capsys, argv, option):
    code, err = exit_of(trainer.main, argv, capsys)
    assert code == 2 and err.startswith("usage: ") and option in err.splitlines()[-1]


def test_a_nul_byte_in_a_model_path_is_a_usage_error(capsys):
    code, err = exit_of(tag.main, ["a\0b.pt", "The dog"], capsys)
    assert code == 2 and err.startswith("usage: ") and "MODEL.pt: a NUL byte" in err


@pytest.mark.parametrize("command",
                         [["main_example.py", "--figures", ""], ["figures.py", "--out", ""]])
def test_an_empty_output_folder_is_a_usage_error(command, tmp_path):
    result = run_script(ROOT / command[0], *command[1:], cwd=tmp_path)
    assert (result.returncode == 2 and result.stderr.startswith("usage: ")
            and list(tmp_path.iterdir()) == [])


# 9, 10. Results files edited by hand: one line naming the file, never a traceback or a hang.

def results_folder(tmp_path, change, study="accuracy"):
    """A copy of the saved results, with change() made to one study's."""
    folder = tmp_path / "results"
    shutil.copytree(ROOT / "benchmarks" / "results", folder)
    saved = json.loads((folder / f"{study}.json").read_text())
    change(saved)
    (folder / f"{study}.json").write_text(json.dumps(saved))
    return folder


def deep(levels):
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("change, message", [
    (lambda r: r.pop("machine"), "'machine' is missing or not text"),
    (lambda r: r.__setitem__("rows", {}) or r.pop("recipe"), "'recipe' is missing or not text"),
    (lambda r: r["rows"]["bilstm-chars"].__setitem__("dev_accuracy", "high"),
     "rows.bilstm-chars.dev_accuracy: 'high' is not a finite number of 0 or more"),
    (lambda r: r["rows"]["bilstm-chars"].__setitem__("dev_accuracy", None),
     "dev_accuracy: None is not"),
    (lambda r: r["rows"].__setitem__("bilstm-chars", [1, 2]),
     "row 'bilstm-chars' is not a dictionary"),
    (lambda r: r["rows"]["bilstm-chars"].__setitem__("best_epoch", 10**30),
     "best_epoch: 10000000000000000000000"),
    (lambda r: r["rows"]["bilstm-chars"].__setitem__("best_epoch", 1000),
     "best_epoch: 1000 is past the last epoch"),
    (lambda r: r["rows"]["bilstm-chars"].__setitem__("dev_accuracy", float("nan")),
     "dev_accuracy: nan is not"),
    (lambda r: r["rows"]["bilstm-chars"].__setitem__("dev_accuracy", 1.5),
     "dev_accuracy: 1.5 is more than 1"),
    (lambda r: r["rows"]["bilstm-chars"].__setitem__("x", json.loads(deep(100))),
     "nested too deeply"),
])
def test_show_with_a_results_file_edited_by_hand_is_one_line(tmp_path, change, message):
    import benchmark
    folder = results_folder(tmp_path, change)
    with pytest.raises(InputError) as error:
        quiet(benchmark.main, ["--show", "--results", str(folder)])
    said = str(error.value)
    assert said.startswith(f"{folder / 'accuracy.json'}: ") and "\n" not in said and message in said


def test_a_fifo_named_as_a_results_file_is_refused_not_opened(tmp_path):
    folder = results_folder(tmp_path, lambda r: None)
    (folder / "seeds.json").unlink()
    os.mkfifo(folder / "seeds.json")
    result = run_script("benchmark.py", "--show", "--results", folder, timeout=120)
    assert result.returncode == 2 and "seeds.json: not a regular file" in result.stderr


@pytest.mark.parametrize("case", ["no results", "out is a file", "truncated", "string figure"])
def test_figures_py_with_bad_results_or_output_is_one_line(tmp_path, case):
    out = tmp_path / "out"
    folder = tmp_path / "missing"
    if case == "out is a file":
        folder, out = ROOT / "benchmarks" / "results", tmp_path / "file"
        out.write_text("keep")
    elif case == "truncated":
        folder = results_folder(tmp_path, lambda r: None)
        (folder / "accuracy.json").write_text('{"rows": ')
    elif case == "string figure":
        def a_word_for_a_figure(results):
            results["rows"]["bilstm-chars"]["bins"]["as_trained"][14][1] = "high"
        folder = results_folder(tmp_path, a_word_for_a_figure, "calibration")
    import figures
    with pytest.raises(InputError) as error:
        quiet(figures.main, ["--results", str(folder), "--out", str(out)])
    said = {"no results": "missing/accuracy.json: cannot read the results",
            "out is a file": "exists and is not a folder",
            "truncated": "accuracy.json line 1: not a results file",
            "string figure": "do not make reliability.png"}[case]
    assert "\n" not in str(error.value) and said in str(error.value)
    assert case == "out is a file" and out.read_text() == "keep" or not out.exists()


def test_figures_replace_a_planted_link_and_never_write_through_it(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (out / "reliability.png").symlink_to(victim)
    import figures
    quiet(figures.main, ["--out", str(out)])
    assert victim.read_text() == "keep" and not (out / "reliability.png").is_symlink()


# 14. --xpos is decided by what the file holds, not by its name.

def test_xpos_with_csv_under_another_name_is_refused(tmp_path, capsys):
    path = tmp_path / "data.txt"
    path.write_text("text,tag\nThe dog,DET NN\n")
    code, err = exit_of(trainer.main, ["--train", str(path), "--xpos", "--epochs", "1"], capsys)
    assert (code == 2
            and err == f"error: {path}: is CSV, which has no XPOS column: --xpos needs CoNLL-U\n")
    conllu_named_csv = tmp_path / "data.csv"
    conllu_named_csv.write_text("1\tThe\t_\tDET\tDT\t_\t_\t_\t_\t_\n"
                                "2\tdog\t_\tNN\tNN\t_\t_\t_\t_\t_\n\n")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        trainer.main(["--train", str(conllu_named_csv), "--xpos", "--epochs", "1"])
    # word/UPOS/XPOS: read as CoNLL-U
    assert output.getvalue().splitlines()[-1].split()[0].count("/") == 2


def test_tag_conllu_on_dev_zero_ends_in_one_line(toy_model):
    command = [sys.executable, "-m", "tagger.tag", str(toy_model), "--tag-conllu", "/dev/zero"]
    result = subprocess.run(command,
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert (result.returncode == 2
            and result.stderr == "error: /dev/zero line 1: over 4 MiB without a line break\n")


def test_main_py_reads_a_gzip_file_as_the_bytes_it_holds_not_unpacked(tmp_path, capsys):
    import gzip
    path = tmp_path / "train.csv.gz"
    path.write_bytes(gzip.compress(b"text,tag\nThe dog,DET NN\n"))
    with pytest.raises(SystemExit) as exit_info:
        main.main(["--train", str(path), "--epochs", "1"])
    assert exit_info.value.code == 2 and "line 1: not valid UTF-8" in capsys.readouterr().err


def test_main_example_replaces_a_planted_link_and_never_writes_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (tmp_path / "loss_vs_gap.png").symlink_to(victim)
    result = run_script(ROOT / "main_example.py", "--figures", tmp_path)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "keep" and not (tmp_path / "loss_vs_gap.png").is_symlink()
