"""python -m tagger.train: every option reaches the model or the loop, the best epoch is kept,
the seed repeats a run, recipes, and bad input in one line."""
import contextlib
import copy
import io

import pytest
import torch

from conftest import (ROOT, exit_of, quiet, subnormal_survives_on_this_thread,
                      write_tagged_conllu)
from tagger import train as trainer
from tagger.checkpoint import load_checkpoint
from tagger.evaluation import Evaluation

RECIPE_FILE = ROOT / "recipes" / "ewt.txt"
TRAIN_CSV = str(ROOT / "train.csv")


def recipe_options():
    """The recipe file's options: {flag: value, or None for a switch}."""
    options, last = {}, None
    for word in RECIPE_FILE.read_text(encoding="utf-8").split("\n"):
        for part in word.split("#", 1)[0].split():
            if part.startswith("--"):
                options[part], last = None, part
            else:
                options[last] = part
    return options


def output_of(argv):
    """What trainer.main(argv) printed, run in this process."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        trainer.main(argv)
    return buffer.getvalue()


def test_every_option_of_the_recipe_reaches_the_model_or_the_training_loop(monkeypatch, tmp_path):
    """Each option of recipes/ewt.txt changes what is built or trained (train_epoch's own tests
    show what it does with --unk-alpha and --clip-grad)."""
    epochs = []

    def recording_epoch(model, batches, optimizer, args, word_counts, description="epoch"):
        epochs.append((model, list(batches), optimizer, args))
        return real_epoch(model, batches, optimizer, args, word_counts, description)
    real_epoch = trainer.train_epoch
    monkeypatch.setattr(trainer, "train_epoch", recording_epoch)
    data = str(write_tagged_conllu(tmp_path / "train.conllu"))
    args = trainer.parse_args([f"@{RECIPE_FILE}", "--train", data, "--epochs", "2"])
    run = trainer.train_tagger(args, log=lambda *_, **__: None)
    model, batches, optimizer, loop_args = epochs[0]
    options = recipe_options()
    number = lambda flag: float(options[flag])
    lr = number("--lr") * number("--lr-decay") ** 2
    checks = {
        "--loss": model.tag_output.is_nll_loss == (options["--loss"] == "nll"),
        "--optimizer": type(optimizer).__name__.lower() == options["--optimizer"],
        "--lr": optimizer.param_groups[0]["lr"] == pytest.approx(lr),
        "--lr-decay": optimizer.param_groups[0]["lr"] == pytest.approx(lr),
        "--batch-size": max(len(batch.sentence_ids) for batch in batches) == number("--batch-size"),
        "--epochs": number("--epochs") == trainer.parse_args(
            [f"@{RECIPE_FILE}", "--train", data]).epochs and len(epochs) == 2,
        "--embedding-dim": model.word_embeddings.embedding_dim == number("--embedding-dim"),
        "--hidden-dim": model.lstm.hidden_size == number("--hidden-dim"),
        "--bidirectional": model.lstm.bidirectional,
        "--lowercase": "The" not in run.vocab.word_to_ix and "the" in run.vocab.word_to_ix,
        "--chars": all(batch.chars is not None for batch in batches),
        "--char-embedding-dim":
            model.char_embeddings.embedding_dim == number("--char-embedding-dim"),
        "--char-hidden-dim": model.char_forward.hidden_size == number("--char-hidden-dim"),
        "--dropout": model.dropout.p == number("--dropout"),
        "--unk-alpha": loop_args.unk_alpha == number("--unk-alpha"),
        "--clip-grad": loop_args.clip_grad == number("--clip-grad"),
        "--xpos": len(model.tag_sets) == 2 and all(len(batch.tags) == 2 for batch in batches),
        "--seed": args.seed == number("--seed"),
    }
    assert set(checks) == set(options)  # an option added to the recipe needs a check here
    assert [flag for flag, took_effect in checks.items() if not took_effect] == []


@pytest.mark.parametrize("options, changed", [
    ("--num-layers 2", lambda model: model.lstm.num_layers == 2),
    ("--crf", lambda model: model.tag_output.transitions.numel() > 0),
    ("--loss ce --label-smoothing 0.2", lambda model: model.tag_output.label_smoothing == 0.2),
])
def test_the_options_the_recipe_leaves_out_reach_the_model_too(options, changed, tmp_path):
    data = str(write_tagged_conllu(tmp_path / "train.conllu", 10))
    argv = ["--train", data, "--epochs", "1", *options.split()]
    run = trainer.train_tagger(trainer.parse_args(argv), log=lambda *_, **__: None)
    assert changed(run.model)


def test_sgd_takes_the_learning_rate_given():
    model = torch.nn.Linear(2, 2)
    for optimizer in ("sgd", "adam"):
        args = trainer.parse_args(["--train", "x.csv", "--optimizer", optimizer, "--lr", "0.05"])
        assert trainer.make_optimizer(args, model).param_groups[0]["lr"] == 0.05


def test_options_after_the_recipe_file_override_it_and_comments_are_dropped(tmp_path):
    args = trainer.parse_args([f"@{RECIPE_FILE}", "--train", "x.conllu", "--seed", "7",
                               "--no-chars", "--no-xpos"])
    assert args.seed == 7 and not args.chars and not args.xpos and args.bidirectional
    recipe = tmp_path / "r.txt"
    recipe.write_text("# a comment line\n--epochs 3 # three\n--lr 0.5 --seed 4  #--seed 5\n")
    args = trainer.parse_args([f"@{recipe}", "--train", "x.csv"])
    assert (args.epochs, args.lr, args.seed) == (3, 0.5, 4)


def test_the_same_seed_repeats_a_run_bit_for_bit_and_another_seed_does_not(tmp_path):
    """The recipe's kinds of options: every random draw (shuffle, dropout, <unk>) is seeded."""
    argv = ["--train", TRAIN_CSV, "--epochs", "20", "--chars", "--bidirectional", "--num-layers",
            "2", "--dropout", "0.3", "--unk-alpha", "1", "--optimizer", "adam", "--lr", "0.01",
            "--batch-size", "2", "--clip-grad", "5", "--lowercase"]

    def weights(*options):
        quiet(trainer.main, [*argv, *options, "--save", str(tmp_path / "m.pt")])
        torch.rand(100)  # whatever runs between two trainings in one process
        return load_checkpoint(tmp_path / "m.pt")[0].state_dict()
    first, again, other = weights(), weights(), weights("--seed", "2")
    assert all(torch.equal(first[name], again[name]) for name in first)
    assert not all(torch.equal(first[name], other[name]) for name in first)


def test_training_flushes_subnormals_and_main_restores_the_default(monkeypatch):
    seen = []
    real_epoch = trainer.train_epoch
    monkeypatch.setattr(trainer, "train_epoch", lambda *args: seen.append(
        subnormal_survives_on_this_thread()) or real_epoch(*args))
    output_of(["--train", TRAIN_CSV, "--epochs", "1"])
    assert seen == [False] and subnormal_survives_on_this_thread()


def test_dev_keeps_and_saves_the_best_epoch_not_the_last(monkeypatch, tmp_path):
    """Dev accuracies 0.9, 0.5, 0.7 (scripted): the model returned and saved is epoch 1's."""
    accuracies, weights_when_evaluated = iter([90, 50, 70]), []

    def scripted_evaluate(model, *args, **kwargs):
        weights_when_evaluated.append(copy.deepcopy(model.state_dict()))
        return {"upos": Evaluation(next(accuracies), 100, 0, 0, [], [],
                                   log_probs=torch.zeros(1, 1),
                                   gold_ix=torch.zeros(1, dtype=torch.long))}
    monkeypatch.setattr(trainer, "evaluate", scripted_evaluate)
    path = tmp_path / "best.pt"
    args = trainer.parse_args(["--train", TRAIN_CSV, "--dev", TRAIN_CSV, "--epochs", "3",
                               "--save", str(path)])
    run = trainer.train_tagger(args, log=lambda *_, **__: None)
    assert run.best_epoch == 1 and [e["dev_accuracy"] for e in run.history] == [0.9, 0.5, 0.7]
    epoch_1, _, epoch_3 = weights_when_evaluated
    saved, _ = load_checkpoint(path)
    for name, tensor in epoch_1.items():
        assert torch.equal(run.model.state_dict()[name], tensor)
        assert torch.equal(saved.state_dict()[name], tensor)
    assert not torch.equal(epoch_1["hidden2tag.weight"], epoch_3["hidden2tag.weight"])


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"words,tag\na,X\n", "missing column 'text'"),
    (b"text,tag\na b,X\n", "line 2: 2 words in 'text' but 1 tags in 'tag'"),
    (b"text,tag\n\xff,X\n", "line 2: not valid UTF-8"),
    (b"# c\n1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n\n", "line 2: missing UPOS tag"),
])
def test_a_bad_training_file_is_one_line_naming_it_and_exit_2(tmp_path, capsys, content,
                                                               message):
    path = tmp_path / "t.data"
    if content is not None:
        path.write_bytes(content)
    code, err = exit_of(trainer.main, ["--train", str(path)], capsys)
    assert code == 2 and err.startswith(f"error: {path}") and message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("argv, message", [
    ([], "the following arguments are required: --train"),
    (["--epochs", "0"], "argument --epochs: must be at least 1, not 0"),
    (["--lr", "nan"], "argument --lr: must be above 0, at most 1000, not nan"),
    (["--label-smoothing", "0.1"], "--label-smoothing needs --loss ce"),
    (["--crf", "--loss", "ce"], "--crf has a loss of its own"),
    (["--max-vectors", "5"], "--max-vectors goes with --word-vectors"),
    (["@no-such-recipe.txt"], "No such file or directory"),
    (["--save", TRAIN_CSV], f"{TRAIN_CSV}: exists and is not a model of this tagger"),
])
def test_bad_options_are_usage_errors(capsys, argv, message):
    argv = argv if argv == [] or "--train" in argv else [*argv, "--train", TRAIN_CSV]
    code, err = exit_of(trainer.main, argv, capsys)
    assert code == 2 and message in err


def test_a_recipe_that_includes_itself_is_a_usage_error(tmp_path, capsys):
    recipe = tmp_path / "loop.txt"
    recipe.write_text(f"@{recipe}\n")
    code, err = exit_of(trainer.main, [f"@{recipe}", "--train", TRAIN_CSV], capsys)
    assert code == 2 and "a recipe could not be read" in err


def test_a_diverging_training_stops_with_one_line_not_a_model_of_nans(capsys, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setattr(trainer, "train_epoch", lambda *args: float("nan"))
    path = tmp_path / "m.pt"
    code, err = exit_of(trainer.main, ["--train", TRAIN_CSV, "--save", str(path)], capsys)
    assert code == 2 and "training diverged in epoch" in err and not path.exists()


def test_the_saved_model_is_checked_before_training_and_ctrl_c_says_what_was_saved(
        tmp_path, capsys, monkeypatch):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    code, err = exit_of(trainer.main, ["--train", TRAIN_CSV, "--save", str(notes)], capsys)
    assert code == 2 and "is not a model of this tagger" in err and notes.read_text() == "mine"

    real_epoch, epochs = trainer.train_epoch, []

    def second_interrupted(*args):
        epochs.append(1)
        if len(epochs) == 2:
            raise KeyboardInterrupt
        return real_epoch(*args)
    monkeypatch.setattr(trainer, "train_epoch", second_interrupted)
    argv = ["--train", TRAIN_CSV, "--save", str(tmp_path / "m.pt")]
    code, err = exit_of(trainer.main, argv, capsys)  # without --dev: saved at the end
    assert code == 130 and err.endswith("interrupted: nothing was saved\n")
    assert not (tmp_path / "m.pt").exists()
    epochs.clear()
    code, err = exit_of(trainer.main, [*argv, "--dev", TRAIN_CSV], capsys)
    assert code == 130 and err.endswith(f"{tmp_path / 'm.pt'} holds epoch 1's model\n")


def test_a_dev_file_whose_tags_training_never_saw_has_no_probability_scores(tmp_path):
    dev = tmp_path / "dev.csv"
    dev.write_text("text,tag\nThe dog ate,XX YY ZZ\n")
    printed = output_of(["--train", TRAIN_CSV, "--dev", str(dev), "--epochs", "1"])
    assert "| dev upos 0.0000 | " in printed and "dev nll" not in printed


def test_unavailable_device_is_a_one_line_error(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on this machine
    code, err = exit_of(trainer.main, ["--train", TRAIN_CSV, "--device", "cuda"], capsys)
    assert (code, err) == (2, "error: --device cuda: no CUDA device is available on this "
                              "machine\n")
