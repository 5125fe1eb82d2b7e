"""The real-data path on a slice of EWT: tagger.train in a process, then tagger.tag's main."""
import re

import pytest

from conftest import EWT, needs_ewt, read_conllu, run_script, run_tag
from tagger import train as trainer
from benchmarks.training import write_conllu_slice

pytestmark = needs_ewt


def test_write_conllu_slice_keeps_the_first_sentences(tmp_path):
    write_conllu_slice(EWT / "en_ewt-ud-dev.conllu", tmp_path / "dev.conllu", 50)
    assert read_conllu(tmp_path / "dev.conllu") == read_conllu(EWT / "en_ewt-ud-dev.conllu")[:50]


def test_train_save_load_eval_predict_on_a_slice(tmp_path):
    train, dev, model = tmp_path / "train.conllu", tmp_path / "dev.conllu", tmp_path / "ewt.pt"
    write_conllu_slice(EWT / "en_ewt-ud-train.conllu", train, 400)
    write_conllu_slice(EWT / "en_ewt-ud-dev.conllu", dev, 100)
    result = run_script("-m", "tagger.train", "--train", train, "--dev", dev, "--save", model,
                        "--epochs", "1",
                        "--optimizer", "adam", "--lr", "0.01", "--batch-size", "16",
                        "--bidirectional", "--xpos",
                        "--chars", "--lowercase", "--embedding-dim", "32", "--hidden-dim", "32",
                        "--unk-alpha", "0.25")
    assert result.returncode == 0, result.stderr
    epoch_line = re.search(r"^epoch   1 \| loss ([\d.]+) \| dev upos ([\d.]+)"
                           r" \| dev xpos ([\d.]+) \| dev nll ([\d.]+) \| dev ece ([\d.]+)"
                           r" \| [\d,]+ tokens/s \| [\d.]+ s \| best$",
                           result.stdout, flags=re.M)
    assert epoch_line, result.stdout
    dev_accuracy, dev_xpos = float(epoch_line.group(2)), float(epoch_line.group(3))
    # far above chance (1/17 UPOS, 1/50 XPOS) after one epoch on 400 sentences
    assert dev_accuracy > 0.3 and dev_xpos > 0.2
    assert model.exists()

    lines = run_tag([model, "--eval", dev, "--report"]).splitlines()
    n_tokens = sum(len(words) for words, _ in read_conllu(dev))
    # the saved model is the best one
    assert lines[0] == f"upos accuracy: {dev_accuracy:.4f} ({n_tokens} tokens)"
    assert lines[1] == f"xpos accuracy: {dev_xpos:.4f} ({n_tokens} tokens)"
    assert re.fullmatch(r"unseen-word accuracy: 0\.\d{4} \(\d+ tokens\)", lines[2])
    assert lines[3].split() == ["upos", "precision", "recall", "f1", "support"]
    xpos_header = lines.index(next(line for line in lines
                                   if line.startswith("xpos ") and "precision" in line))
    assert {line.split()[0] for line in lines[4:xpos_header]} >= {"NOUN", "VERB", "DET", "PUNCT"}
    assert {line.split()[0] for line in lines[xpos_header + 1:]} >= {"NN", "VBD", "DT", "."}
    # The epoch line's dev NLL and ECE are the report's, at temperature 1: the saved model is that
    # epoch's.
    probabilities = next(line for line in lines if line.startswith("probabilities at temperature"))
    assert probabilities.startswith("probabilities at temperature 1.0000: NLL "
                                    f"{epoch_line.group(4)} | Brier 0.")
    assert probabilities.endswith(f" | ECE {epoch_line.group(5)}")
    errors = lines.index("most frequent errors (gold -> predicted, count, share of all errors):")
    assert len([line for line in lines[errors + 1:] if "->" in line]) == 10
    bands = lines[-4:]
    assert sum(int(re.search(r"\((\d+) tokens\)", band).group(1)) for band in bands) == n_tokens

    fitted = run_tag([model, "--eval", dev, "--fit-temperature", "--report"])
    fitted_lines = fitted.splitlines()
    assert fitted_lines[:3] == lines[:3]  # the same tags
    def report(report_lines):
        return [line for line in report_lines if not line.startswith(("probabilities", "fitted"))]
    # both per-tag tables, the errors, the frequency bands
    assert report(fitted_lines) == report(lines)
    nlls = [float(n) for n in re.findall(r"^probabilities at temperature [\d.]+: NLL ([\d.]+)",
                                         fitted, flags=re.M)]
    assert len(nlls) == 2 and nlls[1] < nlls[0]

    outputs = run_tag([model, "-"], b"The dog barked.\nI saw it.\n").splitlines()
    assert len(outputs) == 2 and [pair.split("/")[0] for pair in outputs[0].split()] == ["The",
                                                                                         "dog",
                                                                                         "barked",
                                                                                         "."]
    assert outputs[0].split()[0] == "The/DET/DT" and outputs[0].split()[-1] == "./PUNCT/."

    conllu = run_tag([model, "The dog barked.", "--conllu"])
    (path := tmp_path / "tagged.conllu").write_text(conllu, encoding="utf-8")
    upos = [tag.split("/")[1] for tag in outputs[0].split()]
    xpos = [tag.split("/")[2] for tag in outputs[0].split()]
    assert read_conllu(path) == [(["The", "dog", "barked", "."], upos)]
    assert read_conllu(path, tag_column="xpos") == [(["The", "dog", "barked", "."], xpos)]


def test_xpos_training_data_without_xpos_is_a_one_line_error(tmp_path, capsys):
    train = tmp_path / "train.conllu"
    write_conllu_slice(EWT / "en_ewt-ud-train.conllu", train, 20)
    lines = train.read_text(encoding="utf-8").split("\n")
    line_number, line = next((i, line) for i, line in enumerate(lines, start=1)
                             if line[:1].isdigit() and "-" not in line.split("\t")[0] and i > 30)
    columns = line.split("\t")
    columns[4] = "_"
    lines[line_number - 1] = "\t".join(columns)
    train.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        trainer.main(["--train", str(train), "--xpos", "--epochs", "1"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == f"error: {train} line {line_number}: missing XPOS tag\n"
