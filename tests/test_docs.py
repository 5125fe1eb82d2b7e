"""The README as a hub, the pages under docs/, their links, and main.ipynb run in a fresh kernel."""
import re

import pytest

from conftest import DOC_PAGES, ROOT, assert_same_output, doc_blocks, doc_text, saved_rows

# Every output block the README and the pages show, each compared with real output by a test:
# test_main.py, test_main_example.py, test_crf_example.py, test_tag.py, test_serve.py and
# test_benchmark.py.
TESTED_COMMANDS = {
    "python main.py", 'python main.py --predict "The cat ate the book"',
                   "python main.py --train bad.csv",
    "python main_example.py", "python -m benchmarks.crf_example", "cat recipes/ewt.txt",
    *(f'python -m tagger.tag ewt.pt "I can\'t believe it\'s not butter!"{option}'
      for option in ("", " --pretokenized", " --conllu")),
    # test_serve.py
    """curl -s --json '{"text": "I saw her duck."}' http://127.0.0.1:8000/tag""",
    """curl -s --json '{"text": "I can\\u0027t go.\\nShe saw her duck.", "format": "conllu"}' """
    "http://127.0.0.1:8000/tag",
}


def test_every_output_block_is_one_the_tests_compare():
    assert set(doc_blocks()) == TESTED_COMMANDS


def github_anchor(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors_of(path):
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # a '#' line in a code block is no heading
    return {github_anchor(heading) for heading in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def test_github_anchor():
    assert github_anchor("What `python main.py` prints") == "what-python-mainpy-prints"
    assert (github_anchor("Why log_softmax and NLLLoss are cross entropy")
            == "why-log_softmax-and-nllloss-are-cross-entropy")


@pytest.mark.parametrize("page", DOC_PAGES)
def test_every_relative_link_and_anchor_resolves(page):
    text = re.sub(r"```.*?```", "", doc_text(page), flags=re.S)
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links
    for link in links:
        if re.match(r"https?://", link):
            continue
        target, _, anchor = link.partition("#")
        path = (ROOT / page).parent / target if target else ROOT / page
        assert path.exists(), f"{page}: {link} points at nothing"
        if anchor:
            assert anchor in anchors_of(path), f"{page}: {link} has no such heading"


def test_readme_results_table_is_the_benchmarks():
    recipe = saved_rows("accuracy")["bilstm-chars"]
    probabilities = saved_rows("calibration")["bilstm-chars"]["probabilities"]
    contextual = saved_rows("contextual")
    results = doc_text("README.md").split("## Results", 1)[1].split("\n## ", 1)[0]
    for figure in (f"| {recipe['accuracy']:.2%} |", f"| {recipe['xpos_accuracy']:.2%} |",
                   f"| {recipe['train_seconds'] / 60:.1f} minutes |",
                   f"| {probabilities['as_trained']['nll']:.4f} and "
                   f"{probabilities['scaled']['nll']:.4f} |",
                   f"| {saved_rows('raw_text')['raw-text']['ours']['UPOS']:.2f} |",
                   "| {:.2%} and {:.2%} |".format(*(
                       sum(contextual[f"contextual-seed-{seed}"][key] for seed in (1, 2)) / 2
                       for key in ("accuracy", "xpos_accuracy")))):
        assert figure in results


def stream_text(cell):
    return "".join(output.get("text",
                              "") for output in cell.outputs if output.output_type == "stream")


def test_the_notebook_runs_in_a_fresh_kernel_and_prints_what_it_shows():
    """main.ipynb, run from the repository root, gives its saved outputs (to printed precision)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    saved = nbformat.read(ROOT / "main.ipynb", as_version=4)
    executed = nbformat.read(ROOT / "main.ipynb", as_version=4)
    nbclient.NotebookClient(executed, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    code_cells = [(a, b) for a, b in zip(saved.cells, executed.cells) if a.cell_type == "code"]
    assert len(code_cells) == 7
    for before, after in code_cells:
        assert not [output for output in after.outputs if output.output_type == "error"]
        assert_same_output(stream_text(before), stream_text(after))
    last = stream_text(code_cells[-1][1])
    assert last.endswith("largest difference between the two loss histories: 0.0\n")


def installed_by(requirements):
    """The package names a requirements file installs, following its -r lines."""
    for line in (ROOT / requirements).read_text().splitlines():
        if line.startswith("-r "):
            yield from installed_by(line[3:].strip())
        elif line.strip() and not line.startswith("#"):
            yield re.split(r"[=<>\[ ]", line.strip())[0]


def test_the_readme_names_every_package_its_two_commands_install():
    readme = " ".join(doc_text("README.md").split())
    assert [name for name in installed_by("requirements-dev.txt") if f"`{name}" not in readme] == []
