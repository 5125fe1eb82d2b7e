"""The learning curve: the recipe and NLTK's perceptron trained on the first training sentences."""
import tempfile
from pathlib import Path

from benchmarks.harness import straight_line
from benchmarks.rows import LEARNING_CURVE_PARTS, LEARNING_CURVE_ROW, TRAIN_FILE
from benchmarks.trained_rows import run_classic_row, run_neural_row


MEASURED_ROWS = (LEARNING_CURVE_ROW,)  # the whole training split's point: the accuracy study's rows


def measure(row, data):
    """The learning curve's points on parts of the training split."""
    return run_learning_curve_row(data.train, data.dev, data.epochs)


def run_learning_curve_row(train_path, dev_path, epochs, parts=LEARNING_CURVE_PARTS):
    """The recipe and NLTK's perceptron trained on the first 1/8, 1/4 and 1/2 of the training
    sentences (1/part for each of `parts`)."""
    from tagger.conllu import read_conllu, write_conllu_slice
    sentence_lengths = [len(words) for words, _ in read_conllu(train_path)]
    n_sentences = len(sentence_lengths)
    points = []
    with tempfile.TemporaryDirectory() as folder:
        part_path = Path(folder) / TRAIN_FILE
        for part in parts:
            write_conllu_slice(train_path, part_path, n_sentences // part)
            point = {"sentences": n_sentences // part,
                     "tokens": sum(sentence_lengths[:n_sentences // part])}
            recipe = run_neural_row("bilstm-chars", part_path, dev_path, epochs)
            nltk = run_classic_row("nltk-perceptron", part_path, dev_path)
            for name, figures in (("recipe", recipe), ("nltk", nltk)):
                point[name] = {"accuracy": figures["accuracy"],
                               "train_seconds": figures["train_seconds"]}
            points.append(point)
    return {"points": points, "sentences": n_sentences, "tokens": sum(sentence_lengths)}


def print_tables(rows):
    """Dev accuracy and training time of the recipe and NLTK's perceptron by training data size."""
    if not all(name in rows for name in (LEARNING_CURVE_ROW, "bilstm-chars", "nltk-perceptron")):
        return
    print()
    print("Learning curve: trained on the first part of the training sentences, scored on all of "
          "dev:")
    print()
    print("| training sentences | training tokens | the recipe: dev UPOS | its training time"
          " | NLTK perceptron: dev UPOS | its training time |")
    print("| --- | --- | --- | --- | --- | --- |")
    points = learning_curve_points(rows)
    for point in points:
        recipe, nltk = point["recipe"], point["nltk"]
        print(f"| {point['sentences']:,} | {point['tokens']:,} | {recipe['accuracy']:.2%} | "
              f"{recipe['train_seconds']:.0f} s | {nltk['accuracy']:.2%} | "
              f"{nltk['train_seconds']:.0f} s |")
    print()
    gains = {name: ", ".join(f"{100 * (after[name]['accuracy'] - before[name]['accuracy']):+.2f}"
                             for before, after in zip(points, points[1:])) for name in ("recipe",
                                                                                        "nltk")}
    print("Dev UPOS gained per doubling of the training sentences, in points: the recipe "
          f"{gains['recipe']}; NLTK's perceptron {gains['nltk']}.")
    fixed, per_token = straight_line([point["tokens"] for point in points],
                                     [point["recipe"]["train_seconds"] for point in points])
    print("A straight line through the recipe's (training tokens, training time) points: "
          f"{fixed:.0f} s fixed plus {1000 * per_token:.1f} s per 1,000 training tokens.")


def learning_curve_points(rows):
    """The learning-curve row's points, and the whole split's from the recipe and NLTK rows."""
    whole = {"sentences": rows[LEARNING_CURVE_ROW]["sentences"],
             "tokens": rows[LEARNING_CURVE_ROW]["tokens"],
             "recipe": rows["bilstm-chars"], "nltk": rows["nltk-perceptron"]}
    return [*rows[LEARNING_CURVE_ROW]["points"], whole]
