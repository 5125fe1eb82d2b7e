"""The README's results table and recipe come from benchmark.py; its measuring code runs."""
import json
import re

import pytest

import benchmark
from benchmarks import accuracy, crf_cost, harness, raw_text, rows as row_names, seeds, step_costs, streaming
from conftest import EWT, needs_ewt, ROOT, doc_text, readme_block, run_script
from tagger.data import XPOS, read_conllu, write_conllu_slice


def readme_results_section():
    """The pages that show benchmark figures, as one text."""
    return "\n".join(doc_text(page) for page in ("docs/real-data.md", "docs/probabilities.md", "docs/tagging.md"))


def test_readme_table_is_what_benchmark_prints_from_its_saved_results():
    shown = run_script("benchmark.py", "--show")
    assert shown.returncode == 0, shown.stderr
    printed_tables = [line for line in shown.stdout.splitlines() if line.startswith("| ")]
    table = [line for line in readme_results_section().splitlines() if line.startswith("| ")]
    assert sorted(table) == sorted(printed_tables)  # every table line, in the README once
    for prefix in ("machine: ", "Training tokens/s by batch size", "Adam step on the recipe's model",
                   "The recipe's model on dev, scored by udeval", "From raw text", "The recipe's ten most frequent",
                   "Learning curve: ", "Dev UPOS gained per doubling", "A straight line through the recipe's",
                   "One training step at batch size 1", "The training times of all the rows above",
                   "The recipe with and without a CRF", "Dev's own gold tags hold", "Mean of the two seeds",
                   "log Z of the first", "The recipe's trained model, its output layers", "python -m tagger.tag with the recipe's",
                   "Words per chunk against speed", "The character LSTM reads at most", "One token of",
                   "A producer writes", "The recipe, dev UPOS / XPOS", "The recipe with `--hidden-dim",
                   "The wide model's mean"):
        line = next(line for line in shown.stdout.splitlines() if line.startswith(prefix))
        assert line in readme_results_section()


def test_readme_recipe_is_the_benchmarked_recipe_file():
    results = json.loads((ROOT / "benchmark_results.json").read_text())
    recipe_lines = [line for line in readme_results_section().splitlines() if line.startswith("python -m tagger.train @")]
    assert set(recipe_lines) == {row_names.RECIPE_COMMAND} and results["recipe"] == row_names.RECIPE_COMMAND
    recipe = (ROOT / "recipes" / "ewt.txt").read_text(encoding="utf-8")
    assert results["recipe_file"] == recipe  # the saved figures were measured with this very file
    assert readme_block("cat recipes/ewt.txt") == recipe  # and the README shows it whole


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
    assert vars(smoothed) == dict(vars(recipe), loss="ce", label_smoothing=row_names.LABEL_SMOOTHING)
    assert vars(row_names.recipe_args("crf", "t.conllu")) == dict(vars(recipe), crf=True)
    assert vars(row_names.recipe_args("crf-seed-2", "t.conllu")) == dict(vars(recipe), crf=True, seed=2)
    assert vars(row_names.recipe_args("bilstm-chars-seed-2", "t.conllu")) == dict(vars(recipe), seed=2)
    assert vars(row_names.recipe_args("bilstm-chars-seed-3", "t.conllu")) == dict(vars(recipe), seed=3)
    wide = dict(vars(recipe), hidden_dim=row_names.WIDE_HIDDEN_DIM)
    assert recipe.hidden_dim < row_names.WIDE_HIDDEN_DIM
    assert vars(row_names.recipe_args("wide", "t.conllu")) == wide
    assert vars(row_names.recipe_args("wide-seed-2", "t.conllu")) == dict(wide, seed=2)
    one_at_a_time = row_names.recipe_args("bilstm-chars", "t.conllu", "d.conllu", "m.pt", epochs=1, batch_size=1)
    assert vars(one_at_a_time) == dict(vars(recipe), batch_size=1, epochs=1, dev="d.conllu", save="m.pt")


@needs_ewt
def test_benchmark_measures_on_a_slice(tmp_path):
    write_conllu_slice(EWT / "en_ewt-ud-train.conllu", tmp_path / "en_ewt-ud-train.conllu", 150)
    write_conllu_slice(EWT / "en_ewt-ud-dev.conllu", tmp_path / "en_ewt-ud-dev.conllu", 60)
    results_path = tmp_path / "results.json"
    recipe_speed_rows = [f"bilstm-chars-batch-{size}" for size in row_names.BATCH_SIZES]
    result = run_script("benchmark.py", "--data", tmp_path, "--epochs", "1", "--results", results_path,
                        "--model", tmp_path / "recipe.pt", "--rows", "most-frequent-tag", "nltk-perceptron",
                        "nltk-perceptron-xpos", "bilstm-chars", *recipe_speed_rows, "raw-text", "learning-curve")
    assert result.returncode == 0, result.stderr
    rows = json.loads(results_path.read_text())["rows"]
    n_dev_words = sum(len(words) for words, _ in read_conllu(tmp_path / "en_ewt-ud-dev.conllu"))
    raw = rows["raw-text"]  # tagged with the model the recipe row kept
    assert raw["accuracy"] == pytest.approx(100 * rows["bilstm-chars"]["accuracy"])
    assert raw["gold_tokens_upos"] == pytest.approx(raw["accuracy"])  # udeval counts as we do
    assert raw["ours"]["Tokens"] > 99 and raw["ours"]["Words"] > 98.5 and raw["ours"]["words_per_s"] > 0
    assert raw["nltk"]["Words"] < raw["ours"]["Words"]
    for name in ("most-frequent-tag", "bilstm-chars"):
        assert 0.2 < rows[name]["accuracy"] <= 1 and 0 <= rows[name]["unseen"] <= 1
        assert rows[name]["tag_tokens_per_s"] > 0 and rows[name]["peak_mb"] > 10
    assert rows["bilstm-chars"]["epochs"] == 1 and len(rows["bilstm-chars"]["history"]) == 1
    assert rows["bilstm-chars"]["history"][0]["dev_accuracy"] == pytest.approx(rows["bilstm-chars"]["accuracy"], abs=1e-4)
    # The label-smoothing and CRF rows run this code with other options (test_recipe_rows_switch_off_the_right_parts).
    recipe = rows["bilstm-chars"]
    as_trained, scaled = (recipe["probabilities"][key] for key in ("as_trained", "scaled"))
    assert scaled["nll"] <= as_trained["nll"] and 0 < recipe["temperature"] < 20
    assert sum(n for n, _, _ in recipe["bins"]["as_trained"]) == n_dev_words  # each word in one bin
    assert sum(map(sum, recipe["confusion_matrix"])) == n_dev_words
    assert set(recipe["unseen_bigrams"]) == {"upos", "xpos"} and recipe["unseen_bigrams"]["xpos"] >= 0
    matrix = rows["bilstm-chars"]["confusion_matrix"]
    off_diagonal = [count for i, row in enumerate(matrix) for j, count in enumerate(row) if i != j]
    assert sum(off_diagonal) == round((1 - rows["bilstm-chars"]["accuracy"]) * n_dev_words)
    assert rows["bilstm-chars"]["confusions"][0][2] == max(off_diagonal)
    curve = rows["learning-curve"]
    assert [point["sentences"] for point in curve["points"]] == [150 // 8, 150 // 4, 150 // 2] and curve["sentences"] == 150
    assert all(0 < point[name]["accuracy"] <= 1 for point in curve["points"] for name in ("recipe", "nltk"))
    assert "| 150 | " in result.stdout and "Learning curve" in result.stdout
    gains = re.search(r"^Dev UPOS gained per doubling of the training sentences, in points: the recipe (.*);"
                      r" NLTK's perceptron (.*)\.$", result.stdout, flags=re.M)
    points = [*curve["points"], {"recipe": rows["bilstm-chars"]}]
    assert gains.group(1).split(", ") == [f"{100 * (b['recipe']['accuracy'] - a['recipe']['accuracy']):+.2f}"
                                          for a, b in zip(points, points[1:])]
    assert 0.2 < rows["bilstm-chars"]["xpos_accuracy"] <= 1  # the recipe learns XPOS too
    assert 0.5 < rows["nltk-perceptron-xpos"]["xpos_accuracy"] <= 1 and "accuracy" not in rows["nltk-perceptron-xpos"]
    assert re.search(r"^\| NLTK averaged perceptron on XPOS tags \(5 iterations\) \| - \| \d+\.\d\d% \|",
                     result.stdout, flags=re.M)
    one, batched = recipe_speed_rows
    assert rows[one]["tokens"] == rows[batched]["tokens"] > 1000  # the whole (sliced) training file
    assert rows[batched]["train_tokens_per_s"] > rows[one]["train_tokens_per_s"]
    assert re.search(r"^\| most frequent tag per word .* MB \|$", result.stdout, flags=re.M)
    assert re.search(r"^\| BiLSTM \+ character LSTM \(the recipe\) \| [\d,]+ \| [\d,]+ \| [\d.]+x \|$",
                     result.stdout, flags=re.M)


def test_readme_headline_figures_are_the_recipe_row():
    results = json.loads((ROOT / "benchmark_results.json").read_text())
    recipe = results["rows"]["bilstm-chars"]
    threads = re.search(r"(\d+) torch threads", results["machine"]).group(1)
    headline = re.compile(re.escape(f"{recipe['accuracy']:.2%} dev accuracy (") + r"\d+ universal POS tags\)"
                          + re.escape(f", trained from scratch on {threads} CPU cores"
                                      f" in {recipe['train_seconds'] / 60:.1f} minutes")
                          + re.escape(f", and, from the same model, the treebank's Penn Treebank tags (XPOS)"
                                      f" at {recipe['xpos_accuracy']:.2%}."))
    assert headline.search(" ".join(readme_results_section().split()))


@needs_ewt
def test_readme_tag_count_is_the_training_files():
    tags = {tag for _, sentence_tags in read_conllu(EWT / "en_ewt-ud-train.conllu") for tag in sentence_tags}
    assert f"({len(tags)} universal POS tags)" in readme_results_section()
    xpos = {tag for _, sentence_tags in read_conllu(EWT / "en_ewt-ud-train.conllu", tag_column=XPOS)
            for tag in sentence_tags}
    # the README names three XPOS tags and counts the rest
    assert f"`JJR` and {len(xpos) - 3} more in the training split" in " ".join(readme_results_section().split())
    n, m = len(xpos), len(tags)
    assert (f"The XPOS layer's {n} tags make its steps {n} x {n} per word, against {m} x {m} for UPOS"
            in " ".join(readme_results_section().split()))


def test_official_scorer_agrees_with_our_accuracy_in_the_saved_results():
    """udeval's UPOS F1 on the treebank's own tokens is our accuracy, to every printed digit."""
    raw = json.loads((ROOT / "benchmark_results.json").read_text())["rows"]["raw-text"]
    assert f"{raw['gold_tokens_upos']:.4f}" == f"{raw['accuracy']:.4f}"
    recipe = json.loads((ROOT / "benchmark_results.json").read_text())["rows"]["bilstm-chars"]
    assert f"{raw['accuracy']:.4f}" == f"{100 * recipe['accuracy']:.4f}"  # the recipe row's own model


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
    assert split["Tokens"] == pytest.approx(100 * 2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))  # P 1/3, R 1/2


def test_the_seed_lines_give_each_seed_the_mean_and_the_range(capsys):
    figures = [(0.95, 0.94, 540), (0.96, 0.93, 600), (0.97, 0.95, 570)]
    rows = {name: {"accuracy": upos, "xpos_accuracy": xpos, "train_seconds": seconds}
            for name, (upos, xpos, seconds) in zip(row_names.SEED_ROWS, figures)}
    seeds.print_seeds(rows)
    printed = capsys.readouterr().out.strip()
    assert printed == ("The recipe, dev UPOS / XPOS and training time: seed 1: 95.00% / 94.00% in 9.0 min,"
                       " seed 2: 96.00% / 93.00% in 10.0 min, seed 3: 97.00% / 95.00% in 9.5 min."
                       " Mean: UPOS 96.00% (range 2.00 points), XPOS 94.00% (range 2.00 points).")
    rows.update({"wide": dict(rows["bilstm-chars"], train_seconds=720),
                 "wide-seed-2": dict(rows["bilstm-chars-seed-3"], train_seconds=900)})  # now the wide rows too
    seeds.print_seeds(rows)
    printed = capsys.readouterr().out
    assert "`--hidden-dim 256`, dev UPOS / XPOS and training time: seed 1: 95.00% / 94.00% in 12.0 min" in printed
    # On the same seeds (1 and 2): wide means 96.00 / 94.50 in 810 s against the recipe's 95.50 / 93.50 in 570 s.
    assert "mean minus the recipe's, on the same seeds (1, 2): UPOS +0.50, XPOS +1.00 points, for 42% more" in printed
    # The range is that of the accuracies as printed: 95.63 and 95.43 are 0.20 apart (unrounded, 0.208).
    rows.update({"wide": dict(rows["wide"], accuracy=0.95634), "wide-seed-2": dict(rows["wide-seed-2"], accuracy=0.95426)})
    seeds.print_seeds(rows)
    assert "seed 1: 95.63% / 94.00% in 12.0 min, seed 2: 95.43% / 95.00% in 15.0 min. Mean: UPOS 95.53% (range 0.20" in (
        capsys.readouterr().out)


def test_straight_line_fits_exact_points_and_least_squares():
    assert harness.straight_line([0, 1, 2], [1, 3, 5]) == pytest.approx((1, 2))
    assert harness.straight_line([0, 1, 2, 3], [0, 2, 2, 4]) == pytest.approx((0.2, 1.2))  # by hand


def test_benchmark_looks_for_the_data_where_the_readme_puts_it(tmp_path):
    if (ROOT / "en_ewt-ud-train.conllu").exists():
        pytest.skip("the EWT files are next to main.py here: the benchmark would run")
    result = run_script("benchmark.py", "--rows", "most-frequent-tag", "--results", tmp_path / "results.json")
    assert result.returncode == 1 and not (tmp_path / "results.json").exists()
    assert result.stderr == (f"error: {ROOT / 'en_ewt-ud-train.conllu'}: no such file; copy the EWT files there"
                             " (README: Get the data) or give their folder with --data\n")


@needs_ewt
def test_step_cost_times_every_part_of_every_model(tmp_path):
    """The times are printed by the benchmark, never compared here: a busy machine may slow any of them."""
    write_conllu_slice(EWT / "en_ewt-ud-train.conllu", tmp_path / "train.conllu", 300)
    rows = step_costs.run_step_cost_row(tmp_path / "train.conllu", repeats=2)
    for model in row_names.NEURAL_ROWS:
        step = rows[model]
        assert set(step) == {"forward_backward_10_ms", "forward_backward_40_ms", "adam_ms"}
        assert all(value > 0 for value in step.values())


def test_unseen_bigrams_counts_neighbouring_tag_pairs_never_seen_in_training():
    training = [["DET", "NOUN", "VERB"], ["PRON", "VERB"]]
    assert accuracy.unseen_bigrams([["DET", "NOUN", "VERB", "DET"], ["VERB"]], training) == 1  # VERB DET
    assert accuracy.unseen_bigrams([["NOUN", "DET", "NOUN", "DET"]], training) == 2  # NOUN DET twice
    assert accuracy.unseen_bigrams([["PRON", "VERB"]], training) == 0


def test_a_run_with_other_epochs_never_writes_over_the_saved_figures(capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(["--rows", "most-frequent-tag", "--epochs", "1"])
    assert exit_info.value.code == 2
    assert "--epochs gives other figures than the recipe's: save them elsewhere with --results FILE" in capsys.readouterr().err


def test_show_into_a_closed_pipe_ends_quietly():
    import subprocess
    import sys
    for script in (["benchmark.py", "--show"], ["main_example.py"]):
        reader_gone = subprocess.Popen([sys.executable, *script], cwd=ROOT, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
        reader_gone.stdout.close()  # like `| head -0`
        stderr = reader_gone.stderr.read()
        assert reader_gone.wait(timeout=600) == 1 and b"Traceback" not in stderr, script



@needs_ewt
def test_streaming_and_crf_cost_rows_measure_with_the_recipes_model(tmp_path, monkeypatch, capsys):
    """streaming: each size, chunk sizes, the word bound, a long token, a pause; crf-cost: both output layers."""
    import contextlib
    import io
    from tagger import train as trainer
    write_conllu_slice(EWT / "en_ewt-ud-train.conllu", tmp_path / "train.conllu", 60)
    write_conllu_slice(EWT / "en_ewt-ud-dev.conllu", tmp_path / "dev.conllu", 30)
    with contextlib.redirect_stdout(io.StringIO()):
        trainer.main([f"@{ROOT / 'recipes' / 'ewt.txt'}", "--train", str(tmp_path / "train.conllu"), "--epochs", "1",
                   "--save", str(tmp_path / "m.pt")])
    monkeypatch.setattr(streaming, "STREAMING_MB", (0.05,))
    monkeypatch.setattr(streaming, "CHUNK_SIZES", (50, 500))
    for study in (streaming, crf_cost):  # one timed run each, not the best of three
        monkeypatch.setattr(study, "best_of", lambda repeats, function: harness.best_of(1, function))
    monkeypatch.setattr(streaming, "LONG_TOKEN_CHARS", 100_000)
    monkeypatch.setattr(streaming, "PAUSE_SENTENCES", 50)
    row = streaming.run_streaming_row(tmp_path / "dev.conllu", tmp_path / "m.pt")
    assert [run["input"] for run in row["runs"]] == ["raw", "conllu"]
    assert [run["mb"] for run in row["runs"]] == pytest.approx([0.05, 0.05], rel=0.5)
    assert all(run["words_per_s"] > 0 and 100 < run["peak_mb"] < 2000 and run["words"] > 100 for run in row["runs"])
    assert [chunk["chunk_words"] for chunk in row["chunks"]] == [50, 500]
    bound = row["word_bound"]
    assert bound["chars"] == 64 and set(bound["with"]) == set(bound["without"]) == {"upos", "xpos"}
    assert row["long_token"]["chars"] == 100_000 and row["pause"]["sentences"] == 50 and row["pause"]["seconds"] > 0
    capsys.readouterr()
    streaming.print_streaming({"streaming": row})
    printed = capsys.readouterr().out
    assert printed.count("| raw text | 0 MB |") == 1 and printed.count("| CoNLL-U | 0 MB |") == 1
    assert "One token of 100,000 characters:" in printed and "A producer writes 50 sentences and waits" in printed
    cost = crf_cost.run_crf_cost_row(tmp_path / "train.conllu", tmp_path / "dev.conllu", tmp_path / "m.pt", repeats=1)
    assert set(cost) == {"softmax", "crf"} and all(value > 0 for kind in cost.values() for value in kind.values())
    crf_cost.print_crf_comparison({"crf-cost": cost})
    assert "replaced by CRFs: a training epoch and the dev evaluation after it" in capsys.readouterr().out
