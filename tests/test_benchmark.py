"""The docs' figures are what benchmark.py prints from its saved results; each study measures what
it says.

The studies run here on a slice of EWT (120 training and 40 dev sentences) and one epoch: the
figures are checked for what they must be on any data and any machine (counts, ranges, agreement
between two ways of computing one thing), never for a time.
"""
import json
import re
import shlex

import pytest

import benchmark
from benchmarks import (accuracy, calibration, crf_cost, harness, learning_curve, raw_text,
                        rows as row_names, seeds,
                        step_costs, streaming)
from conftest import EWT, needs_ewt, ROOT, doc_text, readme_block, run_script, saved_rows
from tagger.conllu import XPOS, read_conllu, write_conllu_slice


def results_pages():
    """The pages that show benchmark figures, as one text."""
    return "\n".join(doc_text(page) for page in ("docs/real-data.md", "docs/probabilities.md",
                                                 "docs/tagging.md"))


def test_the_docs_tables_are_what_benchmark_prints_from_its_saved_results():
    shown = run_script("benchmark.py", "--show")
    assert shown.returncode == 0, shown.stderr
    printed_tables = [line for line in shown.stdout.splitlines() if line.startswith("| ")]
    table = [line for line in results_pages().splitlines() if line.startswith("| ")]
    assert sorted(table) == sorted(printed_tables)  # every table line, in the docs once
    for prefix in ("machine: ", "Training tokens/s by batch size",
                   "Adam step on the recipe's model",
                   "The recipe's model on dev, scored by udeval", "From raw text",
                   "The recipe's ten most frequent",
                   "Learning curve: ", "Dev UPOS gained per doubling",
                   "A straight line through the recipe's",
                   "One training step at batch size 1", "The training times of all the rows above",
                   "The recipe with and without a CRF", "Dev's own gold tags hold",
                   "Mean of the two seeds",
                   "log Z of the first", "The recipe's trained model, its output layers",
                   "python -m tagger.tag with the recipe's",
                   "Words per chunk against speed", "The character LSTM reads at most",
                   "One token of",
                   "A producer writes", "The recipe, dev UPOS / XPOS",
                   "The recipe with `--hidden-dim",
                   "The wide model's mean"):
        line = next(line for line in shown.stdout.splitlines() if line.startswith(prefix))
        assert line in results_pages()


def test_each_study_has_its_own_results_file_measured_with_the_recipe_file():
    saved = harness.read_results(harness.RESULTS_FOLDER, benchmark.STUDIES)
    assert set(saved) == set(benchmark.STUDIES)
    recipe = (ROOT / "recipes" / "ewt.txt").read_text(encoding="utf-8")
    for study, results in saved.items():
        # its rows, no other's
        assert set(results["rows"]) == set(benchmark.STUDIES[study].MEASURED_ROWS), study
        assert results["recipe"] == row_names.RECIPE_COMMAND, study
        assert results["recipe_file"] == recipe, study
    recipe_lines = [line for line in results_pages().splitlines()
                    if line.startswith("python -m tagger.train @")]
    assert set(recipe_lines) == {row_names.RECIPE_COMMAND}
    assert readme_block("cat recipes/ewt.txt") == recipe  # and the README shows it whole


def test_every_row_belongs_to_one_study_and_the_options_choose_rows():
    every = [row for study in benchmark.STUDIES.values() for row in study.MEASURED_ROWS]
    assert len(every) == len(set(every)) == len(benchmark.ALL_ROWS)
    assert benchmark.rows_to_run([], []) == benchmark.ALL_ROWS
    assert benchmark.rows_to_run(["calibration"], []) == ["label-smoothing"]
    assert benchmark.rows_to_run(["seeds"], ["crf", "most-frequent-tag"]) == [
        "most-frequent-tag", "crf", "bilstm-chars-seed-2", "bilstm-chars-seed-3", "wide",
                                                                              "wide-seed-2"]
    args = benchmark.parse_args(["--study", "step_costs", "streaming", "--rows", "raw-text"])
    assert benchmark.rows_to_run(args.study, args.rows) == ["raw-text", "adam-step", "step-cost",
                                                            "streaming"]


def test_every_benchmark_command_the_docs_show_is_one_it_takes():
    commands = [command for page in ("README.md", "docs/real-data.md", "docs/probabilities.md",
                                     "docs/tagging.md")
                for command in re.findall(r"python benchmark\.py([^`\n]*)", doc_text(page))]
    assert len(commands) >= 10
    # each figure's study, by name
    for page in ("docs/real-data.md", "docs/probabilities.md", "docs/tagging.md"):
        assert "\npython benchmark.py --study " in doc_text(page).rsplit("\n## Reproduce",
                                                                         1)[1], page
    for command in commands:
        # exit 2 if not
        benchmark.parse_args(shlex.split(command.replace("--study NAME", "--study accuracy")))


def test_recipe_rows_switch_off_the_right_parts():
    recipe = row_names.recipe_args("bilstm-chars", "t.conllu")
    assert recipe.chars and recipe.xpos and recipe.bidirectional and recipe.loss == "nll"
    assert recipe.batch_size == row_names.RECIPE_BATCH_SIZE and recipe.epochs == 28
    bilstm = row_names.recipe_args("bilstm", "t.conllu")
    assert not bilstm.chars and not bilstm.xpos and bilstm.bidirectional
    assert vars(bilstm) == dict(vars(recipe), chars=False, xpos=False)  # nothing else changes
    day1 = row_names.recipe_args("day1-lstm", "t.conllu", epochs=3)
    assert vars(day1) == dict(vars(recipe), chars=False, xpos=False, bidirectional=False, epochs=3)
    smoothed = row_names.recipe_args("label-smoothing", "t.conllu")
    assert vars(smoothed) == dict(vars(recipe), loss="ce",
                                  label_smoothing=row_names.LABEL_SMOOTHING)
    assert vars(row_names.recipe_args("crf", "t.conllu")) == dict(vars(recipe), crf=True)
    assert vars(row_names.recipe_args("crf-seed-2", "t.conllu")) == dict(vars(recipe), crf=True,
                                                                         seed=2)
    assert vars(row_names.recipe_args("bilstm-chars-seed-2", "t.conllu")) == dict(vars(recipe),
                                                                                  seed=2)
    assert vars(row_names.recipe_args("bilstm-chars-seed-3", "t.conllu")) == dict(vars(recipe),
                                                                                  seed=3)
    wide = dict(vars(recipe), hidden_dim=row_names.WIDE_HIDDEN_DIM)
    assert recipe.hidden_dim < row_names.WIDE_HIDDEN_DIM
    assert vars(row_names.recipe_args("wide", "t.conllu")) == wide
    assert vars(row_names.recipe_args("wide-seed-2", "t.conllu")) == dict(wide, seed=2)
    one_at_a_time = row_names.recipe_args("bilstm-chars", "t.conllu", "d.conllu", "m.pt", epochs=1,
                                          batch_size=1)
    assert vars(one_at_a_time) == dict(vars(recipe), batch_size=1, epochs=1, dev="d.conllu",
                                       save="m.pt")


@pytest.mark.parametrize("row", row_names.ROW_CHANGES)
def test_each_trained_row_is_measured_as_the_recipe_row_with_its_own_options(row, monkeypatch):
    """Every row that is the recipe with other options reaches the recipe row's code with its own
    name, whose options test_recipe_rows_switch_off_the_right_parts checks; only the recipe's row
    keeps its model."""
    study = benchmark.STUDIES[benchmark.STUDY_OF_ROW[row]]
    calls = []
    monkeypatch.setattr(study, "run_neural_row", lambda *args: calls.append(args) or {})
    study.measure(row, harness.RowInputs("train.conllu", "dev.conllu", 3, "recipe.pt"))
    keeps = {"bilstm-chars": ("recipe.pt",), "bilstm": (None,), "day1-lstm": (None,)}.get(row, ())
    assert calls == [(row, "train.conllu", "dev.conllu", 3, *keeps)]


# sentences of EWT the studies are run on here (docs/code.md says so)
SLICE_TRAIN, SLICE_DEV = 120, 40


def test_the_docs_give_the_slice_the_studies_are_tested_on():
    code_page = " ".join(doc_text("docs/code.md").split())
    assert f"({SLICE_TRAIN} training and {SLICE_DEV} dev sentences, one epoch)" in code_page


@pytest.fixture(scope="module")
def ewt_slice(tmp_path_factory):
    """The first SLICE_TRAIN training and SLICE_DEV dev sentences of EWT, and the recipe's row
    trained on them for one epoch."""
    folder = tmp_path_factory.mktemp("ewt_slice")
    write_conllu_slice(EWT / "en_ewt-ud-train.conllu", folder / row_names.TRAIN_FILE, SLICE_TRAIN)
    write_conllu_slice(EWT / "en_ewt-ud-dev.conllu", folder / row_names.DEV_FILE, SLICE_DEV)
    data = harness.RowInputs(folder / row_names.TRAIN_FILE, folder / row_names.DEV_FILE, 1,
                             folder / "recipe.pt")
    recipe = accuracy.measure("bilstm-chars", data)  # saves its model at data.model
    return data, recipe


def dev_words(data):
    return sum(len(words) for words, _ in read_conllu(data.dev))


@needs_ewt
def test_the_accuracy_study_measures_every_kind_of_row(ewt_slice, capsys):
    data, recipe = ewt_slice
    rows = {"bilstm-chars": recipe}
    for row in ("most-frequent-tag", "nltk-perceptron-xpos"):
        rows[row] = accuracy.measure(row, data)
    assert data.model.exists() and recipe["epochs"] == 1 and len(recipe["history"]) == 1
    assert recipe["history"][0]["dev_accuracy"] == pytest.approx(recipe["accuracy"], abs=1e-4)
    for name in ("most-frequent-tag", "bilstm-chars"):
        assert (0.2 < rows[name]["accuracy"] <= 1 and 0 <= rows[name]["unseen"] <= 1
                and rows[name]["tag_tokens_per_s"] > 0)
    assert 0.2 < recipe["xpos_accuracy"] <= 1  # the recipe learns XPOS too
    assert (0.3 < rows["nltk-perceptron-xpos"]["xpos_accuracy"] <= 1
            and "accuracy" not in rows["nltk-perceptron-xpos"])
    for size in row_names.BATCH_SIZES:  # each a whole epoch over the training slice
        rows[f"bilstm-chars-batch-{size}"] = speed = accuracy.measure(f"bilstm-chars-batch-{size}",
                                                                      data)
        assert (speed["tokens"] == sum(len(words) for words, _ in read_conllu(data.train))
                and speed["train_tokens_per_s"] > 0)
    for row in rows.values():
        row["peak_mb"] = 100  # measured by the command's child process (test_the_command_...)
    accuracy.print_tables(rows)
    printed = capsys.readouterr().out
    assert re.search(r"^\| NLTK averaged perceptron on XPOS tags \(5 iterations\) \| - "
                     r"\| \d+\.\d\d% \|", printed, flags=re.M)
    assert re.search(r"^\| BiLSTM \+ character LSTM \(the recipe\) "
                     r"\| [\d,]+ \| [\d,]+ \| [\d.]+x \|$", printed, flags=re.M)


@needs_ewt
def test_the_calibration_study_examines_the_recipes_probabilities_and_errors(ewt_slice, capsys):
    data, recipe = ewt_slice
    n_dev_words = dev_words(data)
    as_trained, scaled = (recipe["probabilities"][key] for key in ("as_trained", "scaled"))
    assert scaled["nll"] <= as_trained["nll"] and 0 < recipe["temperature"] < 20
    assert sum(n for n, _, _ in recipe["bins"]["as_trained"]) == n_dev_words  # each word in one bin
    matrix = recipe["confusion_matrix"]
    off_diagonal = [count for i, row in enumerate(matrix) for j, count in enumerate(row) if i != j]
    assert sum(map(sum, matrix)) == n_dev_words
    assert sum(off_diagonal) == round((1 - recipe["accuracy"]) * n_dev_words)
    assert recipe["confusions"][0][2] == max(off_diagonal)
    assert set(recipe["unseen_bigrams"]) == {"upos",
                                             "xpos"} and recipe["unseen_bigrams"]["xpos"] >= 0
    calibration.print_tables({"bilstm-chars": recipe})
    heading = f"The recipe's ten most frequent errors on dev (of {sum(off_diagonal):,}):"
    assert heading in capsys.readouterr().out


@needs_ewt
def test_the_learning_curve_study_trains_on_parts_of_the_training_split(ewt_slice, capsys):
    data, recipe = ewt_slice
    curve = learning_curve.run_learning_curve_row(data.train, data.dev, 1, parts=(4, 2))
    assert [point["sentences"] for point in curve["points"]] == [SLICE_TRAIN // 4, SLICE_TRAIN // 2]
    assert curve["sentences"] == SLICE_TRAIN
    assert all(0 < point[name]["accuracy"] <= 1 for point in curve["points"] for name in ("recipe",
                                                                                          "nltk"))
    rows = {"learning-curve": curve, "bilstm-chars": recipe,
            "nltk-perceptron": accuracy.measure("nltk-perceptron", data)}
    learning_curve.print_tables(rows)
    printed = capsys.readouterr().out
    assert f"| {SLICE_TRAIN} | " in printed
    gains = re.search(r"^Dev UPOS gained per doubling of the training sentences, in points: "
                      r"the recipe (.*);"
                      r" NLTK's perceptron (.*)\.$", printed, flags=re.M)
    points = [*curve["points"], {"recipe": recipe}]
    differences = [100 * (b["recipe"]["accuracy"] - a["recipe"]["accuracy"])
                   for a, b in zip(points, points[1:])]
    assert gains.group(1).split(", ") == [f"{difference:+.2f}" for difference in differences]


@needs_ewt
def test_the_raw_text_study_scores_the_recipes_model_with_the_official_scorer(ewt_slice):
    pytest.importorskip("udtools")
    data, recipe = ewt_slice
    raw = raw_text.measure("raw-text", data)  # tagged with the model the recipe row kept
    assert raw["accuracy"] == pytest.approx(100 * recipe["accuracy"])
    assert raw["gold_tokens_upos"] == pytest.approx(raw["accuracy"])  # udeval counts as we do
    assert (raw["ours"]["Tokens"] > 99 and raw["ours"]["Words"] > 98.5
            and raw["ours"]["words_per_s"] > 0)
    assert raw["nltk"]["Words"] < raw["ours"]["Words"]


@needs_ewt
def test_the_streaming_study_measures_each_size_chunk_long_token_and_pause(ewt_slice, capsys):
    data, _ = ewt_slice
    row = streaming.run_streaming_row(data.dev, data.model, sizes_mb=(0.05,),
                                      chunk_sizes=(500, 5000),
                                      long_token_chars=100_000, pause_sentences=50)
    assert [run["input"] for run in row["runs"]] == ["raw", "conllu"]
    assert [run["mb"] for run in row["runs"]] == pytest.approx([0.05, 0.05], rel=0.5)
    assert all(run["words_per_s"] > 0 and 100 < run["peak_mb"] < 2000 and run["words"] > 100
               for run in row["runs"])
    assert [chunk["chunk_words"] for chunk in row["chunks"]] == [500, 5000]
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
def test_the_crf_cost_study_times_both_output_layers_and_the_forward_algorithm(ewt_slice, capsys):
    data, _ = ewt_slice
    cost = crf_cost.run_crf_cost_row(data.train, data.dev, data.model, repeats=1)
    assert set(cost) == {"softmax", "crf"}
    assert all(value > 0 for kind in cost.values() for value in kind.values())
    forward = crf_cost.measure("crf-forward", data)
    assert (forward["sentences"] == SLICE_DEV and forward["difference"] < 1e-3
            and forward["batched"] > 0)
    crf_cost.print_tables({"crf-cost": cost, "crf-forward": forward})
    printed = capsys.readouterr().out
    assert "replaced by CRFs: a training epoch and the dev evaluation after it" in printed
    assert f"log Z of the first {SLICE_DEV} dev sentences (17 tags, random scores)" in printed


@needs_ewt
def test_the_step_costs_study_times_every_part_of_every_model(ewt_slice):
    """The times are printed by the benchmark, never compared here: a busy machine may slow any."""
    data, _ = ewt_slice
    rows = step_costs.run_step_cost_row(data.train, repeats=2)
    for model in row_names.NEURAL_ROWS:
        assert set(rows[model]) == {"forward_backward_10_ms", "forward_backward_40_ms", "adam_ms"}
        assert all(value > 0 for value in rows[model].values())
    adam = step_costs.run_adam_step_row(data.train, steps=2)
    assert adam["parameters"] > 100_000 and adam["fused_ms"] > 0 and adam["default_ms"] > 0


@needs_ewt
def test_the_command_runs_rows_in_child_processes_and_writes_only_their_studys_file(ewt_slice):
    data, _ = ewt_slice
    folder = data.train.parent / "results"
    folder.mkdir()
    seeds_file = '{"machine": "m", "recipe": "r", "rows": {"wide": {"accuracy": 0.9}}}\n'
    # another study's file: left byte for byte as it is
    (folder / "seeds.json").write_text(seeds_file)
    kept = saved_rows()["nltk-perceptron"]  # a row of the same study from an earlier run: kept
    (folder / "accuracy.json").write_text(json.dumps({"machine": "m", "recipe": "r",
                                                      "rows": {"nltk-perceptron": kept}}))
    raw_text_file = json.dumps({"machine": "m", "recipe": "r",
                                "rows": {"raw-text": saved_rows()["raw-text"]}})
    # measured on the model before: the run names it
    (folder / "raw_text.json").write_text(raw_text_file)
    model = data.train.parent / "new-recipe.pt"
    result = run_script("benchmark.py", "--data", data.train.parent, "--epochs", "1", "--results",
                        folder,
                        "--model", model, "--rows", "bilstm-chars")
    assert result.returncode == 0, result.stderr
    assert (folder / "seeds.json").read_text() == seeds_file
    assert sorted(path.name for path in folder.iterdir()) == ["accuracy.json", "raw_text.json",
                                                              "seeds.json"]
    assert (folder / "raw_text.json").read_text() == raw_text_file
    saved = json.loads((folder / "accuracy.json").read_text())
    assert set(saved["rows"]) == {"nltk-perceptron",
                                  "bilstm-chars"} and saved["rows"]["nltk-perceptron"] == kept
    row = saved["rows"]["bilstm-chars"]
    assert (row["epochs"] == 1 and row["peak_mb"] > 10
            and saved["recipe_file"] == row_names.RECIPE_FILE.read_text())
    assert re.search(r"^\| BiLSTM \+ character LSTM \(the recipe\) .* MB \|$", result.stdout,
                     flags=re.M)
    assert model.exists() and result.stderr.endswith(
        "note: the recipe's model is new; the saved figures of raw-text describe the one before: "
        f"rerun them with `python benchmark.py --data {data.train.parent} --model {model} "
        f"--results {folder} --epochs 1 --rows raw-text`\n")
    assert ("machine (accuracy): " in result.stdout
            and "machine (raw_text, seeds): m" in result.stdout)


@pytest.mark.parametrize("chosen", [["--study", "streaming"], ["--rows", "raw-text"]])
def test_rows_that_use_the_recipes_model_want_it_first(tmp_path, chosen):
    for name in (row_names.TRAIN_FILE, row_names.DEV_FILE):
        (tmp_path / name).write_text("")
    # ignoring --study or --rows would run every row, and no error
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["--data", str(tmp_path), *chosen, "--model", str(tmp_path / "none.pt"),
                        "--results", str(tmp_path / "results")])
    assert str(exit_info.value) == (f"error: {tmp_path / 'none.pt'}: no such file; these rows "
                                    "measure the recipe's saved model: run `python benchmark.py "
                                    "--rows bilstm-chars` (the accuracy study's) first, or give "
                                    "it with --model")
    assert not (tmp_path / "results").exists()


def test_the_learning_curve_figure_draws_the_points_of_the_printed_table():
    figures = pytest.importorskip("figures")  # (matplotlib)
    rows = saved_rows()
    drawn, printed = figures.learning_curve_points(rows), learning_curve.learning_curve_points(rows)
    # the parts, and the whole training split
    assert len(drawn) == len(row_names.LEARNING_CURVE_PARTS) + 1
    for key in ("recipe", "nltk"):
        assert [(p["sentences"], p[key]["accuracy"], p[key]["train_seconds"]) for p in drawn] == [
            (p["sentences"], p[key]["accuracy"], p[key]["train_seconds"]) for p in printed]


def test_the_docs_headline_figures_are_the_recipe_row():
    saved = harness.read_results(harness.RESULTS_FOLDER, ["accuracy"])["accuracy"]
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
    tags = {tag for _, sentence_tags in read_conllu(EWT / "en_ewt-ud-train.conllu")
            for tag in sentence_tags}
    assert f"({len(tags)} universal POS tags)" in results_pages()
    xpos = {tag for _, sentence_tags in read_conllu(EWT / "en_ewt-ud-train.conllu", tag_column=XPOS)
            for tag in sentence_tags}
    # the page names three XPOS tags and counts the rest
    page = " ".join(results_pages().split())
    assert f"`JJR` and {len(xpos) - 3} more in the training split" in page
    n, m = len(xpos), len(tags)
    assert (f"The XPOS layer's {n} tags make its steps {n} x {n} per word, against {m} x {m} for "
            "UPOS"
            in " ".join(results_pages().split()))


def test_official_scorer_agrees_with_our_accuracy_in_the_saved_results():
    """udeval's UPOS F1 on the treebank's own tokens is our accuracy, to every printed digit."""
    rows = saved_rows()
    raw = rows["raw-text"]
    assert f"{raw['gold_tokens_upos']:.4f}" == f"{raw['accuracy']:.4f}"
    # the recipe row's own model
    assert f"{raw['accuracy']:.4f}" == f"{100 * rows['bilstm-chars']['accuracy']:.4f}"


def test_udeval_f1_scores_a_wrong_tag_and_a_wrong_split(tmp_path):
    """The scorer on a hand-made pair: one word of three mis-tagged, then one token split in two."""
    pytest.importorskip("udtools")
    gold = "# text = a bc\n1\ta\t_\tX\t_\t_\t0\t_\t_\t_\n2\tbc\t_\tY\t_\t_\t0\t_\t_\t_\n\n"
    (tmp_path / "gold.conllu").write_text(gold)
    (tmp_path / "tag.conllu").write_text(gold.replace("\tX\t", "\tY\t"))
    (tmp_path / "split.conllu").write_text("# text = a bc\n1\ta\t_\tX\t_\t_\t0\t_\t_\t_\n"
                                           "2\tb\t_\tY\t_\t_\t0\t_\t_\tSpaceAfter=No\n3\tc\t_\tY\t_\t_\t0\t_\t_\t_\n\n")
    assert raw_text.udeval_f1(tmp_path / "gold.conllu", tmp_path / "tag.conllu") == {
        "Tokens": 100.0, "Words": 100.0, "UPOS": 50.0}
    split = raw_text.udeval_f1(tmp_path / "gold.conllu", tmp_path / "split.conllu")
    # P 1/3, R 1/2
    assert split["Tokens"] == pytest.approx(100 * 2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))


def test_the_seed_lines_give_each_seed_the_mean_and_the_range(capsys):
    figures = [(0.95, 0.94, 540), (0.96, 0.93, 600), (0.97, 0.95, 570)]
    rows = {name: {"accuracy": upos, "xpos_accuracy": xpos, "train_seconds": seconds}
            for name, (upos, xpos, seconds) in zip(row_names.SEED_ROWS, figures)}
    seeds.print_tables(rows)
    printed = capsys.readouterr().out.strip()
    assert printed == ("The recipe, dev UPOS / XPOS and training time: seed 1: 95.00% / 94.00% in "
                       "9.0 min, seed 2: 96.00% / 93.00% in 10.0 min, seed 3: 97.00% / 95.00% in "
                       "9.5 min. Mean: UPOS 96.00% (range 2.00 points), XPOS 94.00% (range 2.00 "
                       "points).")
    rows.update({"wide": dict(rows["bilstm-chars"], train_seconds=720),
                 # now the wide rows too
                 "wide-seed-2": dict(rows["bilstm-chars-seed-3"], train_seconds=900)})
    seeds.print_tables(rows)
    printed = capsys.readouterr().out
    assert ("`--hidden-dim 256`, dev UPOS / XPOS and training time: "
            "seed 1: 95.00% / 94.00% in 12.0 min") in printed
    # On the same seeds (1 and 2): wide means 96.00 / 94.50 in 810 s against the recipe's 95.50 /
    # 93.50 in 570 s.
    assert ("mean minus the recipe's, on the same seeds (1, 2): "
            "UPOS +0.50, XPOS +1.00 points, for 42% more") in printed
    # The range is that of the accuracies as printed: 95.63 and 95.43 are 0.20 apart (unrounded,
    # 0.208).
    rows.update({"wide": dict(rows["wide"], accuracy=0.95634),
                 "wide-seed-2": dict(rows["wide-seed-2"], accuracy=0.95426)})
    seeds.print_tables(rows)
    assert ("seed 1: 95.63% / 94.00% in 12.0 min, seed 2: 95.43% / 95.00% in 15.0 min. "
            "Mean: UPOS 95.53% (range 0.20") in capsys.readouterr().out


def test_straight_line_fits_exact_points_and_least_squares():
    assert harness.straight_line([0, 1, 2], [1, 3, 5]) == pytest.approx((1, 2))
    assert harness.straight_line([0, 1, 2, 3], [0, 2, 2, 4]) == pytest.approx((0.2, 1.2))  # by hand


def test_benchmark_looks_for_the_data_where_the_readme_puts_it(tmp_path):
    # next to main.py, where docs/real-data.md puts the files
    assert benchmark.parse_args([]).data == str(ROOT)
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["--data", str(tmp_path), "--rows", "most-frequent-tag", "--results",
                        str(tmp_path / "results")])
    assert str(exit_info.value) == (f"error: {tmp_path / 'en_ewt-ud-train.conllu'}: no such file; "
                                    "copy the EWT files there (docs/real-data.md, Get the data) "
                                    "or give their folder with --data")
    assert not (tmp_path / "results").exists()


def test_unseen_bigrams_counts_neighbouring_tag_pairs_never_seen_in_training():
    from benchmarks.trained_rows import unseen_bigrams
    training = [["DET", "NOUN", "VERB"], ["PRON", "VERB"]]
    assert unseen_bigrams([["DET", "NOUN", "VERB", "DET"], ["VERB"]], training) == 1  # VERB DET
    assert unseen_bigrams([["NOUN", "DET", "NOUN", "DET"]], training) == 2  # NOUN DET twice
    assert unseen_bigrams([["PRON", "VERB"]], training) == 0


def test_a_run_with_other_epochs_never_writes_over_the_saved_figures(capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["--rows", "most-frequent-tag", "--epochs", "1"])
    assert exit_info.value.code == 2
    assert ("--epochs gives other figures than the recipe's: "
            "save them elsewhere with --results FOLDER") in capsys.readouterr().err


def test_show_into_a_closed_pipe_ends_quietly(tmp_path):
    import subprocess
    import sys
    for script in (["benchmark.py", "--show"], ["main_example.py"],
                   ["figures.py", "--out", tmp_path]):
        reader_gone = subprocess.Popen([sys.executable, *script], cwd=ROOT, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
        reader_gone.stdout.close()  # like `| head -0`
        stderr = reader_gone.stderr.read()
        assert reader_gone.wait(timeout=600) == 1 and b"Traceback" not in stderr, script
