"""The recipe, the recipe with two layers and 24 epochs, and that with GloVe word vectors (the
glove recipe), on the same seeds: what the second layer buys, and what the vectors do."""
from pathlib import Path

from benchmarks.study import study_command
from benchmarks.training import ROOT, print_seed_summaries, train_and_measure

GLOVE_RECIPE = ROOT / "recipes" / "ewt-glove.txt"
SEEDS = (1, 2, 3)
# Each kind of model: (its label in the table, its options over the recipe, vectors given after).
# "layers" is the glove recipe without the vectors: its --num-layers 2 and --epochs 24.
KINDS = {"recipe": ("the recipe", []),
         "layers": ("two layers, 24 epochs", ["--num-layers", "2", "--epochs", "24"]),
         "vectors": ("with vectors", [f"@{GLOVE_RECIPE}"])}
ROWS = {f"{kind}-seed-{seed}": (kind, seed) for kind in KINDS for seed in SEEDS}
TRAINS = True


def add_arguments(parser):
    """--vectors, the one option this study adds."""
    parser.add_argument("--vectors", metavar="FILE", type=Path, default=ROOT / "glove.6B.50d.txt",
                        help="the word vectors (default: glove.6B.50d.txt in the repository, "
                             "where docs/real-data.md puts it)")


def inputs(args):
    """The files a run needs besides the EWT files."""
    return [args.vectors]


def changes(row, args):
    """tagger.train's options over the recipe for a row."""
    kind, seed = ROWS[row]
    vectors = ["--word-vectors", str(args.vectors)] if kind == "vectors" else []
    return [*KINDS[kind][1], *vectors, "--seed", str(seed)]


def measure(row, args):
    """One seed of one kind of model, trained and measured on dev; its unseen words split by
    whether the vectors file's first --max-vectors words hold them."""
    in_table = vector_words(args)
    return train_and_measure(changes(row, args), args.train, args.dev, args.epochs,
                             also=lambda *result: unseen_split(in_table, *result))


def vector_words(args):
    """The (lower-cased) words among the vector file's first N that the glove recipe keeps."""
    from tagger import train as trainer
    from tagger.lines import LineReader
    recipe = trainer.parse_args([f"@{GLOVE_RECIPE}", "--word-vectors", str(args.vectors),
                                 "--train", str(args.train)])
    limit = recipe.max_vectors or trainer.DEFAULT_MAX_VECTORS
    words = set()
    for number, raw in LineReader(args.vectors, max_line_bytes=1 << 20):
        fields = raw.decode("utf-8", errors="replace").split(" ")
        if number == 1 and len(fields) == 2:
            continue  # word2vec's COUNT DIM
        words.add(fields[0])
        if len(words) >= limit:
            break
    return words


def unseen_split(in_table, model, vocab, sentences, gold, predicted):
    """Dev UPOS accuracy on the tokens unseen in training, with a vector and without."""
    right = {True: 0, False: 0}
    total = {True: 0, False: 0}
    for words, gold_tags, tags in zip(sentences, gold["upos"], predicted["upos"]):
        for word, gold_tag, tag in zip(words, gold_tags, tags):
            if not vocab.knows(word):
                has = vocab.key(word) in in_table
                total[has] += 1
                right[has] += gold_tag == tag
    return {"unseen_tokens": {"with_vector": total[True], "without_vector": total[False]},
            "unseen_accuracy": {key: right[has] / total[has] if total[has] else float("nan")
                                for key, has in (("with_vector", True),
                                                 ("without_vector", False))}}


def print_tables(rows):
    """Each seed of each kind; the means and ranges; what each step adds, seed by seed. Figures are
    computed from the unrounded accuracies and rounded once, when printed."""
    if not rows:
        return
    print()
    print("The recipe; the recipe with two LSTM layers and 24 epochs; and that with GloVe vectors "
          "(glove.6B.50d, `@recipes/ewt-glove.txt`), on dev: UPOS and XPOS; UPOS on the tokens "
          "unseen in training, with and without a vector; training time; model file size:")
    print()
    print("| model | seed | dev UPOS | dev XPOS | unseen, with a vector | unseen, without | "
          "training time | model size |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, (kind, seed) in ROWS.items():
        if name not in rows:
            continue
        r = rows[name]
        unseen, tokens = r["unseen_accuracy"], r["unseen_tokens"]
        print(f"| {KINDS[kind][0]} | {seed} | "
              f"{r['accuracy']:.2%} | {r['xpos_accuracy']:.2%} | "
              f"{unseen['with_vector']:.2%} ({tokens['with_vector']:,}) | "
              f"{unseen['without_vector']:.2%} ({tokens['without_vector']:,}) | "
              f"{r['train_seconds'] / 60:.1f} min | {r['model_bytes'] / 2**20:.1f} MiB |")
    print()
    print_seed_summaries(rows, {kind: label for kind, (label, _) in KINDS.items()}, SEEDS,
                         [("recipe", "layers"), ("layers", "vectors"), ("recipe", "vectors")])

if __name__ == "__main__":
    study_command(__spec__.name)
