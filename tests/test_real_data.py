"""Smoke test of the real-data path on a slice of UD English EWT, through main.py as a subprocess."""
import re

import pytest

from conftest import EWT, run_script
from data import read_conllu, write_conllu_slice

pytestmark = pytest.mark.skipif(not (EWT / "en_ewt-ud-train.conllu").exists(),
                                reason=f"UD English EWT not found at {EWT} (see README: Real data)")


def test_write_conllu_slice_keeps_the_first_sentences(tmp_path):
    write_conllu_slice(EWT / "en_ewt-ud-dev.conllu", tmp_path / "dev.conllu", 50)
    assert read_conllu(tmp_path / "dev.conllu") == read_conllu(EWT / "en_ewt-ud-dev.conllu")[:50]


def test_train_save_load_eval_predict_on_a_slice(tmp_path):
    train, dev, model = tmp_path / "train.conllu", tmp_path / "dev.conllu", tmp_path / "ewt.pt"
    write_conllu_slice(EWT / "en_ewt-ud-train.conllu", train, 400)
    write_conllu_slice(EWT / "en_ewt-ud-dev.conllu", dev, 100)
    result = run_script("main.py", "--train", train, "--dev", dev, "--save", model, "--epochs", "1",
                        "--optimizer", "adam", "--lr", "0.01", "--batch-size", "16", "--bidirectional",
                        "--chars", "--lowercase", "--embedding-dim", "32", "--hidden-dim", "32", "--unk-alpha", "0.25")
    assert result.returncode == 0, result.stderr
    epoch_line = re.search(r"^epoch   1 \| loss ([\d.]+) \| dev accuracy ([\d.]+) \| [\d,]+ tokens/s \| [\d.]+ s \| best$",
                           result.stdout, flags=re.M)
    assert epoch_line, result.stdout
    dev_accuracy = float(epoch_line.group(2))
    assert dev_accuracy > 0.3  # far above chance (1/17) after one epoch on 400 sentences
    assert model.exists()

    evaluation = run_script("main.py", "--load", model, "--eval", dev, "--report")
    assert evaluation.returncode == 0, evaluation.stderr
    lines = evaluation.stdout.splitlines()
    n_tokens = sum(len(words) for words, _ in read_conllu(dev))
    assert lines[0] == f"accuracy: {dev_accuracy:.4f} ({n_tokens} tokens)"  # the saved model is the best one
    assert re.fullmatch(r"unseen-word accuracy: 0\.\d{4} \(\d+ tokens\)", lines[1])
    assert lines[2].split() == ["tag", "precision", "recall", "f1", "support"]
    assert {line.split()[0] for line in lines[3:]} >= {"NOUN", "VERB", "DET", "PUNCT"}

    tagged = run_script("main.py", "--load", model, "--predict", "-", stdin="The dog barked .\nI saw it .\n")
    assert tagged.returncode == 0, tagged.stderr
    outputs = tagged.stdout.splitlines()
    assert len(outputs) == 2 and [pair.split("/")[0] for pair in outputs[0].split()] == ["The", "dog", "barked", "."]
    assert outputs[0].split()[0] == "The/DET" and outputs[0].split()[-1] == "./PUNCT"
