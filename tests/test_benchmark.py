"""The README's results table and recipe come from benchmark.py; its measuring code runs."""
import json
import re

import pytest

import benchmark
from conftest import EWT, ROOT, run_script
from data import read_conllu, write_conllu_slice


def readme_results_section():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Real data: UD English EWT", 1)[1].split("\n## ", 1)[0]


def test_readme_table_is_what_benchmark_prints_from_its_saved_results():
    shown = run_script("benchmark.py", "--show")
    assert shown.returncode == 0, shown.stderr
    printed = set(shown.stdout.splitlines())
    table = [line for line in readme_results_section().splitlines() if line.startswith("| ")]
    assert len(table) == 2 + len(benchmark.ROWS) + 2 + len(benchmark.NEURAL_ROWS)
    assert [line for line in table if line not in printed] == []
    for prefix in ("machine: ", "Training tokens/s by batch size"):
        line = next(line for line in shown.stdout.splitlines() if line.startswith(prefix))
        assert line in readme_results_section()


def test_readme_recipe_is_the_benchmarked_recipe():
    results = json.loads((ROOT / "benchmark_results.json").read_text())
    recipe_lines = [line for line in readme_results_section().splitlines() if line.startswith("python main.py --train")]
    expected = (f"python main.py --train en_ewt-ud-train.conllu --dev en_ewt-ud-dev.conllu "
                f"{' '.join(benchmark.as_flags(benchmark.RECIPE))} --save ewt.pt")
    assert recipe_lines == [expected] and results["recipe"] == expected


def test_recipe_rows_switch_off_the_right_parts():
    assert "--chars" in benchmark.neural_flags("bilstm-chars", 20)
    assert "--chars" not in benchmark.neural_flags("bilstm", 20) and "--bidirectional" in benchmark.neural_flags("bilstm", 20)
    day1 = benchmark.neural_flags("day1-lstm", 3)
    assert "--bidirectional" not in day1 and "--char-hidden-dim" not in day1
    assert day1[day1.index("--epochs") + 1] == "3"
    one_at_a_time = benchmark.neural_flags("bilstm-chars", 1, batch_size=1)
    assert one_at_a_time[one_at_a_time.index("--batch-size") + 1] == "1"
    assert one_at_a_time.count("--batch-size") == 1


@pytest.mark.skipif(not (EWT / "en_ewt-ud-train.conllu").exists(), reason=f"UD English EWT not found at {EWT}")
def test_benchmark_measures_on_a_slice(tmp_path):
    write_conllu_slice(EWT / "en_ewt-ud-train.conllu", tmp_path / "en_ewt-ud-train.conllu", 300)
    write_conllu_slice(EWT / "en_ewt-ud-dev.conllu", tmp_path / "en_ewt-ud-dev.conllu", 100)
    results_path = tmp_path / "results.json"
    recipe_speed_rows = [f"bilstm-chars-batch-{size}" for size in benchmark.BATCH_SIZES]
    result = run_script("benchmark.py", "--data", tmp_path, "--epochs", "1", "--results", results_path,
                        "--rows", "most-frequent-tag", "bilstm-chars", *recipe_speed_rows)
    assert result.returncode == 0, result.stderr
    rows = json.loads(results_path.read_text())["rows"]
    for name in ("most-frequent-tag", "bilstm-chars"):
        assert 0.2 < rows[name]["accuracy"] <= 1 and 0 <= rows[name]["unseen"] <= 1
        assert rows[name]["tag_tokens_per_s"] > 0 and rows[name]["peak_mb"] > 10
    assert rows["bilstm-chars"]["epochs"] == 1
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
                                      f" in {recipe['train_seconds'] / 60:.1f} minutes"))
    assert headline.search(" ".join(readme_results_section().split()))


@pytest.mark.skipif(not (EWT / "en_ewt-ud-train.conllu").exists(), reason=f"UD English EWT not found at {EWT}")
def test_readme_tag_count_is_the_training_files():
    tags = {tag for _, sentence_tags in read_conllu(EWT / "en_ewt-ud-train.conllu") for tag in sentence_tags}
    assert f"({len(tags)} universal POS tags)" in readme_results_section()
