"""The learning curve: the recipe and NLTK's perceptron trained on the first training sentences."""
import tempfile
from pathlib import Path

from benchmarks.study import study_command
from benchmarks.training import (TRAIN_FILE, train_and_measure, train_and_measure_classic,
                                 write_conllu_slice)

ROWS = {"1/8": 8, "1/4": 4, "1/2": 2, "all": 1}  # a point: the first 1/part of the sentences
TRAINS = True


def measure(row, args):
    """The recipe and NLTK's perceptron trained on the first 1/part of the training sentences."""
    from tagger.data import read_tag_sets
    lengths = [len(words) for words in read_tag_sets(args.train)[0]]
    n_sentences = len(lengths) // ROWS[row]
    point = {"sentences": n_sentences, "tokens": sum(lengths[:n_sentences])}
    with tempfile.TemporaryDirectory() as folder:
        part_path = Path(folder) / TRAIN_FILE
        write_conllu_slice(args.train, part_path, n_sentences)
        recipe = train_and_measure([], part_path, args.dev, args.epochs)
        nltk = train_and_measure_classic("nltk-perceptron", part_path, args.dev)
    for name, figures in (("recipe", recipe), ("nltk", nltk)):
        point[name] = {"accuracy": figures["accuracy"], "train_seconds": figures["train_seconds"]}
    return point


def straight_line(xs, ys):
    """The least-squares line through the points (xs, ys): (intercept, slope)."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
             / sum((x - mean_x) ** 2 for x in xs))
    return mean_y - slope * mean_x, slope


def print_tables(rows):
    """Dev accuracy and training time of the recipe and NLTK's perceptron by training data size."""
    points = [rows[name] for name in ROWS if name in rows]
    if not points:
        return
    print()
    print("Learning curve: trained on the first part of the training sentences, scored on all of "
          "dev:")
    print()
    print("| training sentences | training tokens | the recipe: dev UPOS | its training time"
          " | NLTK perceptron: dev UPOS | its training time |")
    print("| --- | --- | --- | --- | --- | --- |")
    for point in points:
        recipe, nltk = point["recipe"], point["nltk"]
        print(f"| {point['sentences']:,} | {point['tokens']:,} | {recipe['accuracy']:.2%} | "
              f"{recipe['train_seconds']:.0f} s | {nltk['accuracy']:.2%} | "
              f"{nltk['train_seconds']:.0f} s |")
    if len(points) < 2:
        return
    print()
    gains = {name: ", ".join(f"{100 * (after[name]['accuracy'] - before[name]['accuracy']):+.2f}"
                             for before, after in zip(points, points[1:]))
             for name in ("recipe", "nltk")}
    print("Dev UPOS gained per doubling of the training sentences, in points: the recipe "
          f"{gains['recipe']}; NLTK's perceptron {gains['nltk']}.")
    fixed, per_token = straight_line([point["tokens"] for point in points],
                                     [point["recipe"]["train_seconds"] for point in points])
    print("A straight line through the recipe's (training tokens, training time) points: "
          f"{fixed:.0f} s fixed plus {1000 * per_token:.1f} s per 1,000 training tokens.")


if __name__ == "__main__":
    study_command(__spec__.name)
