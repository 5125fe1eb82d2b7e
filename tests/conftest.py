"""Shared helpers: run the repository's scripts, compare README output blocks with real output."""
import contextlib
import functools
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, settings

from tagger.data import read_tag_sets

# On a busy machine (CI) generating examples can be slow: no test fails for the time it takes.
settings.register_profile("any_machine", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("any_machine")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the modules live flat in the repository root

EWT_FILES = ("en_ewt-ud-train.conllu", "en_ewt-ud-dev.conllu")
# Where the tests look for UD English EWT, in order: next to main.py (where docs/real-data.md tells
# a user to put it), the folder named by $EWT_DIR, and the team's shared folder beside the
# repository (CI's).
EWT_PLACES = [ROOT, *([Path(os.environ["EWT_DIR"])] if os.environ.get("EWT_DIR") else []),
              ROOT.parent / "shared" / "data" / "ud_english_ewt"]
EWT_FOUND = next((folder for folder in EWT_PLACES
                  if all((folder / name).is_file() for name in EWT_FILES)), None)
EWT = EWT_FOUND or EWT_PLACES[0]
needs_ewt = pytest.mark.skipif(EWT_FOUND is None, reason=(
    f"UD English EWT ({', '.join(EWT_FILES)}) is in none of: {', '.join(map(str, EWT_PLACES))} "
    "(docs/real-data.md, Get the data; or set EWT_DIR to its folder)"))
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:e[+-]\d+)?|-?inf|nan")


def run_script(*args, stdin="", cwd=ROOT, timeout=600):
    """A repository script run with this Python, one at a time (tests run in turn)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # `-m tagger.train` from any folder
    return subprocess.run([sys.executable, *map(str, args)], input=stdin, capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, env=env)


@functools.cache
def script_output(*args):
    """What a seeded script that reads no input prints: run once, shared by the tests."""
    result = run_script(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def quiet(function, *args):
    """Run function(*args) with its standard output thrown away."""
    with contextlib.redirect_stdout(io.StringIO()):
        return function(*args)


def run_tag(argv, stdin=None):
    """What python -m tagger.tag prints for argv, its main run in this process; standard input:
    the bytes `stdin`, read as from a pipe."""
    from tagger import tag
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), pytest.MonkeyPatch.context() as patch:
        if stdin is not None:
            patch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        tag.main([str(arg) for arg in argv])
    return printed.getvalue()


def exit_of(function, argv, capsys):
    """(exit code, stderr) of a command's main(argv) run in this process."""
    with pytest.raises(SystemExit) as exit_info:
        quiet(function, argv)
    return exit_info.value.code, capsys.readouterr().err


def read_conllu(path, tag_column="upos"):
    """[(words, tags), ...] of a CoNLL-U file's UPOS (or "xpos") column."""
    sentences, tags = read_tag_sets(path, (tag_column,))
    return list(zip(sentences, tags[tag_column]))


def write_tagged_conllu(path, n_sentences=70):
    """A small CoNLL-U file with UPOS and XPOS tags, sentences of 1 to 9 words, 'The' and 'the'."""
    words = ["The", "the", "dog", "cats", "ran", "quickly", "home", "."]
    lines = []
    for i in range(n_sentences):
        lines.append(f"# text = sentence {i}")
        for j in range(1 + i % 9):
            word = words[(i + j) % len(words)]
            upos, xpos = "DET" if word.lower() == "the" else "X", word[:2].upper()
            lines.append(f"{j + 1}\t{word}\t_\t{upos}\t{xpos}\t_\t_\t_\t_\t_")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def toy_model(tmp_path_factory):
    """A small model of the Day-1 data, trained once, for the tests that tag with one."""
    from tagger import train as trainer
    path = tmp_path_factory.mktemp("model") / "toy.pt"
    quiet(trainer.main, ["--train", str(ROOT / "train.csv"), "--save", str(path),
                         "--unk-alpha", "1"])
    return path


def train_rich(folder, name, *options):
    """Train the rich model's settings (characters, 2 layers both ways, XPOS) on a small CoNLL-U
    file in `folder`, with `options` added: the saved model's path."""
    from tagger import train as trainer
    data = write_tagged_conllu(folder / "train.conllu")
    path = folder / name
    quiet(trainer.main, ["--train", str(data), "--save", str(path), "--epochs", "3",
                         "--embedding-dim", "5", "--hidden-dim", "6", "--chars",
                         "--char-embedding-dim", "3", "--char-hidden-dim", "4", "--xpos",
                         "--lowercase", "--bidirectional", "--num-layers", "2", *options])
    return path


@pytest.fixture(scope="session")
def rich_model(tmp_path_factory):
    """A small model with every part an export keeps (characters, 2 layers both ways, XPOS)."""
    return train_rich(tmp_path_factory.mktemp("rich"), "rich.pt")


def write_tiny_transformer(folder, max_positions=64, roberta=False):
    """A randomly initialised 4-layer BERT (or RoBERTa), 8 wide, and its WordPiece tokenizer
    (letters and a few words), as a Hugging Face folder: what --contextual reads, made here."""
    import json

    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, RobertaConfig, RobertaModel
    letters = "abcdefghijklmnopqrstuvwxyz"
    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", *letters, *".,'!?-",
              *[f"##{letter}" for letter in letters], "the", "dog", "ate", "apple", "##s"]
    tokenizer = Tokenizer(models.WordPiece({piece: i for i, piece in enumerate(pieces)},
                                           unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    # RoBERTa's positions start at 2 (after its padding's): as its own, the tokenizer says so
    limit = {"model_max_length": max_positions - 2} if roberta else {}
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "BertTokenizer", "unk_token": "[UNK]", "pad_token": "[PAD]",
         "cls_token": "[CLS]", "sep_token": "[SEP]", "mask_token": "[UNK]", **limit}))
    torch.manual_seed(0)
    config_class, model_class = (RobertaConfig, RobertaModel) if roberta else (BertConfig,
                                                                              BertModel)
    config = config_class(vocab_size=len(pieces), hidden_size=8, num_hidden_layers=4,
                          num_attention_heads=2, intermediate_size=16, pad_token_id=0,
                          max_position_embeddings=max_positions)
    quiet(model_class(config).save_pretrained, folder)
    return folder


@pytest.fixture(scope="session")
def tiny_transformer(tmp_path_factory):
    return write_tiny_transformer(tmp_path_factory.mktemp("transformer") / "tiny-bert")


@pytest.fixture(scope="session")
def contextual_model(tmp_path_factory, tiny_transformer):
    """The rich model's settings, and the tiny transformer's features."""
    return train_rich(tmp_path_factory.mktemp("contextual"), "contextual.pt", "--contextual",
                      str(tiny_transformer))


def subnormal_survives_on_this_thread():
    """Whether a float32 subnormal survives a multiply on the calling thread (by default)."""
    return (torch.tensor([1e-39]) * 1.0).item() != 0.0


DOC_PAGES = ["README.md", *sorted(f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md"))]


def doc_text(page):
    """The text of README.md or of a page under docs/ ("docs/losses.md")."""
    return (ROOT / page).read_text(encoding="utf-8")


def doc_blocks():
    """Every ```text block of the docs that shows a command: {command: (page, output)}."""
    blocks = {}
    for page in DOC_PAGES:
        for block in re.findall(r"```text\n(.*?)```", doc_text(page), flags=re.S):
            first, _, rest = block.partition("\n")
            if first.startswith("$ "):
                assert first[2:] not in blocks, f"'{first}' is shown twice"
                blocks[first[2:]] = (page, rest)
    return blocks


def readme_block(command):
    """The output that README.md or a page under docs/ shows under `$ command`."""
    blocks = doc_blocks()
    if command not in blocks:
        pytest.fail(f"no ```text block in README.md or docs/ starts with '$ {command}'")
    return blocks[command][1]


def _as_float(token):
    return float(token.replace(",", ""))


def assert_same_output(expected, actual):
    """Printed output line by line: words exactly, a number within one unit of its last digit
    (below 1e-6: below 1e-6), a duration ("N s") or a ratio of durations ("Nx)") any number."""
    expected_lines = expected.rstrip("\n").split("\n")
    actual_lines = actual.rstrip("\n").split("\n")
    assert len(expected_lines) == len(actual_lines), (
        f"README shows {len(expected_lines)} lines, output has {len(actual_lines)}")
    for want, got in zip(expected_lines, actual_lines):
        assert NUMBER.sub("#", want) == NUMBER.sub("#", got), (
            f"README line\n  {want}\ndiffers from output\n  {got}")
        for w, g in zip(NUMBER.finditer(want), NUMBER.finditer(got)):
            # also covers nan and inf, which never compare equal as floats
            if w.group() == g.group():
                continue
            a, b = _as_float(w.group()), _as_float(g.group())
            if re.match(r" s\b|x\)", want[w.end():]):
                continue  # the line's words and its other numbers still have to match
            elif abs(a) < 1e-6 and abs(b) < 1e-6:
                continue
            else:
                mantissa, _, exponent = w.group().partition("e")
                decimals = len(mantissa.partition(".")[2])
                unit = 10.0 ** (-decimals + (int(exponent) if exponent else 0))
                assert abs(a - b) <= unit * 1.001, (
                    f"number {g.group()} vs README {w.group()} in line: {got}")


def saved_rows(study):
    """One study's saved figures (benchmarks/results/STUDY.json): its rows by name."""
    from benchmarks.results import RESULTS_FOLDER, read_results
    return read_results(RESULTS_FOLDER / f"{study}.json")["rows"]
