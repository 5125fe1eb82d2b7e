"""python -m tagger.train end to end: the Day-1 run, unseen words, bad input, the recipe and its
options."""
import contextlib
import copy
import io
import math
import re

import pytest
import torch

from tagger import train as trainer
from conftest import (ROOT, assert_same_output, doc_text, run_script,
                      subnormal_survives_on_this_thread)
from tagger.checkpoint import load_checkpoint
from tagger.evaluation import Evaluation
from tagger.training import train


def test_nll_and_ce_print_the_same_losses_and_probabilities():
    nll = main_output(["--loss", "nll"])
    ce = main_output(["--loss", "ce"])
    strip = lambda text: [line for line in text.splitlines() if not line.startswith(("settings:",
                                                                                     "training "
                                                                                     "time:"))]
    assert strip(nll) == strip(ce)
    assert "The/DET dog/NN ate/V the/DET book/NN" in ce


def test_main_runs_from_another_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # train.csv is found next to main.py, not in the current folder
    assert f"training data: {ROOT / 'train.csv'}: 2 sentences, 9 tokens" in main_output(["--epochs",
                                                                                         "1"])


def main_output(argv):
    """Run trainer.main in this process (faster than a subprocess) and return what it printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        trainer.main(argv)
    return buffer.getvalue()


def test_a_trained_unknown_word_vector_tags_cat_as_a_noun_as_the_docs_say():
    untrained = main_output(["--predict", "The cat ate the book"])
    trained = main_output(["--predict", "The cat ate the book", "--unk-alpha", "1"])
    assert untrained.rstrip().endswith("The/DET cat/V ate/V the/DET book/NN")
    assert trained.rstrip().endswith("The/DET cat/NN ate/V the/DET book/NN")
    docs = " ".join(doc_text("docs/code.md").split())
    assert f'`{" ".join(probability_row(untrained, "cat"))}`' in docs
    assert (f'`{probability_row(trained, "cat")[1]}`' in docs
            and f'`{probability_row(trained, "ate")[2]}`' in docs)


def test_same_seed_same_numbers_other_seed_other_numbers():
    first, again = main_output(["--epochs", "50"]), main_output(["--epochs", "50"])
    other = main_output(["--epochs", "50", "--seed", "2"])
    drop_time = lambda text: re.sub(r"training time: .*", "", text)
    assert drop_time(first) == drop_time(again)
    assert re.search(r"epoch  50 \| loss [\d.]+",
                     first).group() != re.search(r"epoch  50 \| loss [\d.]+", other).group()


def test_training_flushes_subnormals_and_main_restores_the_calling_threads_default(monkeypatch):
    seen_while_training = []

    def recording_train(*args, **kwargs):
        seen_while_training.append(subnormal_survives_on_this_thread())
        return train(*args, **kwargs)

    monkeypatch.setattr(trainer, "train", recording_train)
    main_output(["--epochs", "1"])
    assert seen_while_training == [False]
    assert subnormal_survives_on_this_thread()


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"", "file is empty"),
    (b"words,tag\na,X\n", "missing column 'text'"),
    (b"text,tag\na b,X\n", "line 2: 2 tokens in 'text' but 1 tags in 'tag'"),
    (b"text,tag\na,\n", "line 2: empty 'tag' cell"),
    (b"text,tag\n\xff,X\n", "line 2: not valid UTF-8"),
])
def test_bad_training_file_exits_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "t.csv" if content is None else write(tmp_path, "t.csv", content)
    with pytest.raises(SystemExit) as exit_info:
        trainer.main(["--train", str(path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}") and message in err and err.count("\n") == 1


def test_bad_input_in_a_real_process_has_no_traceback(tmp_path):
    """The README's example: run as a program, exit code 2, one line on stderr, nothing else."""
    write(tmp_path, "bad.csv", b"text,tag\nThe dog,DET NN\nThe dog ate the book,DET NN V DET\n")
    result = run_script("-m", "tagger.train", "--train", "bad.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "error: bad.csv line 3: 5 tokens in 'text' but 4 tags in 'tag'\n"


@pytest.mark.parametrize("argv, message", [
    (["--predict", ""], "--predict needs at least one word"),
    (["--predict", "   "], "--predict needs at least one word"),
    (["--epochs", "0"], "argument --epochs: must be at least 1, not 0"),
    (["--label-smoothing", "0.1"], "--label-smoothing needs --loss ce: NLLLoss takes "
                                   "log-probabilities and has no"),
    (["--loss", "ce", "--label-smoothing", "1"], "argument --label-smoothing: must be in [0, 1), "
                                                 "not 1"),
    (["--load", "x.pt"], "unrecognized arguments: --load x.pt"),  # tag.py uses saved models
    (["@no-such-recipe.txt"], "@no-such-recipe.txt: cannot read the recipe: No such file or "
                              "directory"),
    (["--lr", "1001"], "argument --lr: must be above 0, at most 1000, not 1001"),
])
def test_bad_options_exit_2_with_a_usage_error(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        trainer.main(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_unavailable_device_is_a_one_line_error(capsys):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(SystemExit):
        trainer.main(["--device", "cuda"])
    expected = "error: --device cuda: no CUDA device is available on this machine\n"
    assert capsys.readouterr().err == expected


def test_label_smoothing_keeps_the_loss_above_the_entropy_of_the_smoothed_target():
    """EPS = 0.1, 3 tags: the target is (0.9 + 0.1/3, 0.1/3, 0.1/3); no loss is below its entropy.
    """
    eps, n_tags = 0.1, 3
    target = [1 - eps + eps / n_tags] + [eps / n_tags] * (n_tags - 1)
    floor = -sum(q * math.log(q) for q in target)
    last_loss = lambda text: float(re.findall(r"^epoch +\d+ \| loss ([\d.]+)", text,
                                              flags=re.M)[-1])
    assert last_loss(main_output(["--loss", "ce", "--label-smoothing", str(eps)])) > floor
    assert last_loss(main_output(["--loss", "ce"])) < floor / 2


def test_readme_comparison_catches_changed_numbers_and_words():
    assert_same_output("loss 0.3670 | 7.5e-09 | time 0.60 s\n",
                       "loss 0.3671 | 3.1e-08 | time 1.90 s\n")
    assert_same_output("loop 0.0400 s, call 0.0020 s (20x)\n",
                       "loop 0.0500 s, call 0.0050 s (10x)\n")
    # A duration or a ratio of durations depends on the machine and its load: any number will do,
    # but a number.
    assert_same_output("loop 0.0400 s, call 0.0020 s (20x)\n",
                       "loop 9.0000 s, call 0.0001 s (90000x)\n")
    with pytest.raises(AssertionError):
        assert_same_output("loop 0.0400 s, call 0.0020 s (20x)\n",
                           "loop 0.0400 s, call 0.0020 s (fast)\n")
    for changed in ("loss 0.3690 | 7.5e-09 | time 0.60 s", "lost 0.3670 | 7.5e-09 | time 0.60 s",
                    "loss 0.3670 | 7.5e-09 | time 0.60 s\nextra"):
        with pytest.raises(AssertionError):
            assert_same_output("loss 0.3670 | 7.5e-09 | time 0.60 s\n", changed)


def test_output_into_a_closed_pipe_ends_quietly(tmp_path):
    import subprocess
    import sys
    reader_gone = subprocess.Popen([sys.executable, "-m", "tagger.train", "--epochs", "1"],
                                   cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader_gone.stdout.close()  # like `| head -0`: nobody reads what main.py prints
    stderr = reader_gone.stderr.read()
    assert reader_gone.wait(timeout=600) == 1
    assert b"Traceback" not in stderr and b"BrokenPipeError" not in stderr


def probability_row(output, word, title="probabilities after training"):
    """The numbers of `word`'s row in the table printed under `title`."""
    table = output.split(title + ":\n", 1)[1]
    return next(line.split()[1:] for line in table.splitlines() if line.split()[0] == word)


def test_unseen_word_row_depends_only_on_the_words_before_it():
    """The Day-1 LSTM reads left to right: "The cat" and "The cat ate the book" agree on "cat"."""
    short = probability_row(main_output(["--predict", "The cat"]), "cat")
    whole = probability_row(main_output(["--predict", "The cat ate the book"]), "cat")
    assert short == whole
    bidirectional = ["--bidirectional", "--epochs", "30"]
    assert (probability_row(main_output(["--predict", "The cat", *bidirectional]), "cat")
            != probability_row(main_output(["--predict", "The cat ate the book", *bidirectional]),
                               "cat"))


def test_the_seed_is_set_before_the_model_is_built(monkeypatch):
    """The untrained weights depend on --seed alone, not on what ran before in the process."""
    initial_weights = []

    def recording_train(model, *args, **kwargs):
        weights = {name: tensor.clone() for name, tensor in model.state_dict().items()}
        initial_weights.append(weights)
        return train(model, *args, **kwargs)

    monkeypatch.setattr(trainer, "train", recording_train)
    for seed in ("1", "1", "2"):
        torch.rand(100)  # disturb the global generator between runs
        main_output(["--epochs", "1", "--seed", seed])
    first, again, other = initial_weights
    assert all(torch.equal(first[name], again[name]) for name in first)
    assert not torch.equal(first["hidden2tag.weight"], other["hidden2tag.weight"])


def test_dev_keeps_and_saves_the_best_epoch_not_the_last(monkeypatch, tmp_path):
    """Dev accuracies 0.9, 0.5, 0.7 (scripted): the model returned and saved is epoch 1's."""
    accuracies, weights_when_evaluated = iter([90, 50, 70]), []

    def scripted_evaluate(model, *args, **kwargs):
        weights_when_evaluated.append(copy.deepcopy(model.state_dict()))
        return {"upos": Evaluation(next(accuracies), 100, 0, 0, [], [], log_probs=torch.zeros(1, 1),
                                   gold_ix=torch.zeros(1, dtype=torch.long))}

    monkeypatch.setattr(trainer, "evaluate", scripted_evaluate)
    path = tmp_path / "best.pt"
    args = trainer.parse_args(["--dev", str(ROOT / "train.csv"), "--epochs", "3", "--save",
                               str(path)])
    torch.manual_seed(args.seed)
    with contextlib.redirect_stdout(io.StringIO()) as output:
        run = trainer.train_tagger(args, torch.device("cpu"))
    model = run.model
    assert "best dev accuracy: 0.9000" in output.getvalue() and run.best_epoch == 1
    assert [epoch["dev_accuracy"] for epoch in run.history] == [0.9, 0.5, 0.7]
    epoch_1, _, epoch_3 = weights_when_evaluated
    saved, _ = load_checkpoint(path)
    for name, tensor in epoch_1.items():
        assert torch.equal(model.state_dict()[name],
                           tensor) and torch.equal(saved.state_dict()[name], tensor)
    assert not torch.equal(epoch_1["hidden2tag.weight"], epoch_3["hidden2tag.weight"])


RECIPE_FILE = ROOT / "recipes" / "ewt.txt"


def recipe_options():
    """The recipe file's options: {flag: value, or None for a switch}."""
    words = [word for line in RECIPE_FILE.read_text(encoding="utf-8").splitlines()
             for word in line.split("#", 1)[0].split()]
    options = {}
    for word in words:
        if word.startswith("--"):
            options[word] = None
            last = word
        else:
            options[last] = word
    return options


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


def test_every_option_of_the_recipe_reaches_the_model_or_the_training_loop(monkeypatch, tmp_path):
    """Each option of recipes/ewt.txt, read as main.py reads it, changes what is built or trained.

    train() is replaced by a recorder, so nothing trains here; how train() uses lr_decay,
    unk_alpha and clip_grad has tests of its own in test_model_and_train.py, and --seed in
    test_the_seed_is_set_before_the_model_is_built.
    """
    recorded = {}
    monkeypatch.setattr(trainer, "train",
                        lambda model, batches, optimizer, epochs, **kwargs: recorded.update(
        model=model, batches=batches, optimizer=optimizer, epochs=epochs, **kwargs) or [])
    args = trainer.parse_args([f"@{RECIPE_FILE}", "--train",
                               str(write_tagged_conllu(tmp_path / "train.conllu"))])
    run = trainer.train_tagger(args, torch.device("cpu"), log=lambda *_, **__: None)
    model, batches, optimizer = recorded["model"], recorded["batches"], recorded["optimizer"]
    options = recipe_options()
    number = lambda flag: float(options[flag])
    checks = {
        "--loss": model.tag_output.is_nll_loss == (options["--loss"] == "nll"),
        "--optimizer": type(optimizer).__name__.lower() == options["--optimizer"],
        "--lr": optimizer.param_groups[0]["lr"] == number("--lr"),
        "--lr-decay": recorded["lr_decay"] == number("--lr-decay"),
        "--batch-size": max(len(batch.sentence_ids) for batch in batches) == number("--batch-size"),
        "--epochs": recorded["epochs"] == number("--epochs"),
        "--embedding-dim": model.word_embeddings.embedding_dim == number("--embedding-dim"),
        "--hidden-dim": model.lstm.hidden_size == number("--hidden-dim"),
        "--bidirectional": model.lstm.bidirectional,
        "--lowercase": "The" not in run.vocab.word_to_ix
                       and run.vocab.word_ids(["The"]) == run.vocab.word_ids(["the"]),
        "--chars": model.use_chars and all(batch.chars is not None for batch in batches),
        "--char-embedding-dim":
            model.char_embeddings.embedding_dim == number("--char-embedding-dim"),
        "--char-hidden-dim": model.char_lstm.hidden_size == number("--char-hidden-dim"),
        "--dropout": model.dropout.p == number("--dropout"),
        "--unk-alpha": recorded["unk_alpha"] == number("--unk-alpha"),
        "--clip-grad": recorded["clip_grad"] == number("--clip-grad"),
        "--xpos": len(model.tag_sets) == 2 and all(len(batch.tags) == 2 for batch in batches),
        "--seed": args.seed == number("--seed"),
    }
    assert set(checks) == set(options)  # an option added to the recipe needs a check here
    assert [flag for flag, took_effect in checks.items() if not took_effect] == []


def test_options_after_the_recipe_file_override_it_and_switch_its_parts_off():
    args = trainer.parse_args([f"@{RECIPE_FILE}", "--train", "x.conllu", "--seed", "7",
                               "--no-chars", "--no-xpos"])
    assert args.seed == 7 and not args.chars and not args.xpos and args.bidirectional
    assert "char_hidden_dim" not in trainer.describe_settings(args)


def test_a_recipe_file_reads_options_separated_by_spaces_and_lines_with_comments(tmp_path):
    recipe = tmp_path / "r.txt"
    recipe.write_text("# a comment\n--epochs 3 --lr 0.5   # inline comment\n\n--bidirectional\n",
                      encoding="utf-8")
    args = trainer.parse_args([f"@{recipe}"])
    assert (args.epochs, args.lr, args.bidirectional) == (3, 0.5, True)


NUMERIC_OPTIONS = {  # each numeric option of main.py, and a value just outside its range
    "--embedding-dim": "0", "--hidden-dim": "0", "--num-layers": "0", "--char-embedding-dim": "0",
    "--char-hidden-dim": "0", "--epochs": "0", "--batch-size": "0", "--log-every": "0",
                   "--eval-batch-size": "0",
    "--dropout": "1", "--lr": "0", "--lr-decay": "0", "--clip-grad": "-1",
                   "--label-smoothing": "-0.1",
    "--unk-alpha": "-1", "--seed": "-1", "--adam-beta2": "1", "--ema": "1", "--max-vectors": "0",
}
TOO_LARGE = {"--embedding-dim": "4097", "--hidden-dim": "4097", "--num-layers": "4097",
             "--char-embedding-dim": "4097",
             "--char-hidden-dim": "4097", "--lr-decay": "1.5", "--seed": str(2**70),
             "--max-vectors": str(10**7 + 1)}


@pytest.mark.parametrize("flag", NUMERIC_OPTIONS)
def test_every_numeric_option_is_checked_before_any_work(capsys, flag):
    """Out of range, nan, inf or not a number: a usage error (exit 2) naming the option."""
    for value in (NUMERIC_OPTIONS[flag], TOO_LARGE.get(flag, "nan"), "nan", "inf", "-inf", "1e400",
                  "x"):
        with pytest.raises(SystemExit) as exit_info:
            trainer.parse_args([flag, value])
        assert exit_info.value.code == 2
        assert f"error: argument {flag}: " in capsys.readouterr().err
    assert trainer.parse_args(["--seed", str(2**32 - 1)]).seed == 2**32 - 1


def test_the_list_of_numeric_options_is_complete(capsys):
    """Every option with a value, but paths, the sentence and choices, is in NUMERIC_OPTIONS."""
    with pytest.raises(SystemExit):
        trainer.parse_args(["--help"])
    usage = capsys.readouterr().out.split("\n\n")[0]
    takes_a_value = set(re.findall(r"\[(--[a-z0-9-]+) [A-Z0-9_.]+\]", usage))
    paths = {"--train", "--dev", "--save", "--predict", "--word-vectors"}
    assert takes_a_value - paths == set(NUMERIC_OPTIONS)


def test_save_is_checked_before_training(tmp_path, capsys):
    """A destination that cannot be written ends the run at once, before the model is even built."""
    (tmp_path / "folder").mkdir()
    for destination, message in ((tmp_path / "no" / "m.pt", "no such folder"),
                                 (tmp_path / "folder", "exists and is not a regular file")):
        with pytest.raises(SystemExit) as exit_info:
            trainer.main(["--save", str(destination)])
        out, err = capsys.readouterr()
        assert exit_info.value.code == 2 and message in err and err.count("\n") == 1
        assert "probabilities before training" not in out


def test_ctrl_c_ends_with_one_line_saying_what_was_saved_and_exit_130(tmp_path, capsys,
                                                                      monkeypatch):
    def interrupted(model, batches, optimizer, epochs, after_epoch=None, **kwargs):
        after_epoch(1, 1.0)  # one epoch, saved as the best so far
        raise KeyboardInterrupt
    monkeypatch.setattr(trainer, "train", interrupted)
    train_file = write_tagged_conllu(tmp_path / "train.conllu")
    for dev, said in ((["--dev", str(train_file)], f"interrupted: {tmp_path / 'm.pt'} holds the "
                                                   "best model so far"),
                      ([], "interrupted: nothing was saved")):
        (tmp_path / "m.pt").unlink(missing_ok=True)
        with pytest.raises(SystemExit) as exit_info:
            trainer.main(["--train", str(train_file), *dev, "--save", str(tmp_path / "m.pt")])
        err = capsys.readouterr().err
        assert (exit_info.value.code == 130 and err.strip().startswith(said)
                and "Traceback" not in err)


def test_a_diverging_training_stops_with_one_line_not_a_model_of_nans(capsys, monkeypatch):
    from tagger.model import RealDataTagger
    real_loss = RealDataTagger.loss
    monkeypatch.setattr(RealDataTagger, "loss",
                        lambda model, batch: real_loss(model, batch) * float("inf"))
    with pytest.raises(SystemExit) as exit_info:
        trainer.main(["--epochs", "20"])
    assert exit_info.value.code == 2
    assert re.search(r"^error: training diverged in epoch \d: the loss is (nan|inf) "
                     r"\(a smaller --lr", capsys.readouterr().err)


def test_ema_evaluates_and_saves_the_average_of_the_weights(tmp_path, monkeypatch):
    """--ema: the model kept is the moving average, which differs from the last weights trained."""
    train_file = write_tagged_conllu(tmp_path / "train.conllu")
    real_train, seen = trainer.train, {}

    def recording_train(model, *args, **kwargs):
        losses = real_train(model, *args, **kwargs)
        seen.update(last=copy.deepcopy(model.state_dict()), averaged=kwargs["averaged_model"])
        return losses
    monkeypatch.setattr(trainer, "train", recording_train)
    args = trainer.parse_args(["--train", str(train_file), "--epochs", "3", "--batch-size", "4"])
    kept = trainer.train_tagger(args, torch.device("cpu"),
                                log=lambda *_, **__: None).model.state_dict()
    assert seen["averaged"] is None and all(torch.equal(kept[k], seen["last"][k]) for k in kept)
    args = trainer.parse_args(["--train", str(train_file), "--epochs", "3", "--batch-size", "4",
                               "--ema", "0.9"])
    kept = trainer.train_tagger(args, torch.device("cpu"),
                                log=lambda *_, **__: None).model.state_dict()
    # the average, not the last step
    assert not all(torch.equal(kept[k], seen["last"][k]) for k in kept)
    assert all(torch.equal(kept[k], seen["averaged"].module.state_dict()[k]) for k in kept)
    # With --dev, the average is what each epoch evaluates (and so what is kept and saved).
    evaluated = []
    real_evaluate = trainer.evaluate
    monkeypatch.setattr(trainer, "evaluate",
                        lambda model, *args, **kwargs: evaluated.append(model)
                        or real_evaluate(model, *args, **kwargs))
    args = trainer.parse_args(["--train", str(train_file), "--dev", str(train_file), "--epochs",
                               "2", "--ema", "0.9"])
    trainer.train_tagger(args, torch.device("cpu"), log=lambda *_, **__: None)
    assert len(evaluated) == 2 and all(model is seen["averaged"].module for model in evaluated)


def test_the_average_moves_by_one_minus_the_decay_towards_the_weights_at_each_step():
    from tagger.training import make_weight_average
    model = torch.nn.Linear(2, 1)
    average = make_weight_average(model, 0.9)
    average.update_parameters(model)  # the first update copies the weights
    before = model.weight.detach().clone()
    with torch.no_grad():
        model.weight += 1.0
    average.update_parameters(model)
    torch.testing.assert_close(average.module.weight, before + 0.1)


def test_adam_beta2_reaches_the_optimizer_and_is_refused_without_adam(capsys):
    from tagger.training import make_optimizer
    model = torch.nn.Linear(2, 1)
    for argv, beta2 in (([], 0.999), (["--adam-beta2", "0.99"], 0.99)):
        args = trainer.parse_args(["--optimizer", "adam", *argv])
        assert make_optimizer(args, model).param_groups[0]["betas"] == (0.9, beta2)
    with pytest.raises(SystemExit):
        trainer.parse_args(["--adam-beta2", "0.99"])
    assert "--adam-beta2 goes with --optimizer adam" in capsys.readouterr().err


def test_a_model_too_large_for_memory_is_a_one_line_error(monkeypatch, capsys):
    from tagger import training as train_module

    def out_of_memory(**settings):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: not "
                           "enough memory: you tried to allocate 400000000000 bytes.\nmore lines")
    monkeypatch.setattr(train_module, "RealDataTagger", out_of_memory)
    with pytest.raises(SystemExit) as exit_info:
        trainer.main(["--embedding-dim", "4096"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert err == "error: the model does not fit in memory: choose smaller sizes\n"
