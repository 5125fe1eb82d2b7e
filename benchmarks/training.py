"""Train a tagger (the recipe with some options changed, or a classic baseline) and measure it
on dev: accuracy, speed, what its probabilities mean, and where it errs."""
import itertools
import random
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from statistics import mean

from benchmarks.harness import best_of

TRAIN_FILE, DEV_FILE = "en_ewt-ud-train.conllu", "en_ewt-ud-dev.conllu"
ROOT = Path(__file__).resolve().parent.parent  # the repository: recipes/, benchmarks/results/
RECIPE_FILE = ROOT / "recipes" / "ewt.txt"
RECIPE_COMMAND = (f"python -m tagger.train @recipes/ewt.txt --train {TRAIN_FILE} --dev {DEV_FILE}"
                  " --save ewt.pt")
ACCURACY_KEYS = {"upos": "accuracy", "xpos": "xpos_accuracy"}  # each tag set's figure

# The recipe and the two simpler models it grew from: (description, options over the recipe).
MODELS = {"day1-lstm": ("one-directional LSTM, words only (the recipe's sizes and training)",
                        ["--no-chars", "--no-xpos", "--no-bidirectional"]),
          "bilstm": ("BiLSTM, words only", ["--no-chars", "--no-xpos"]),
          "bilstm-chars": ("BiLSTM + character LSTM (the recipe)", [])}


def write_conllu_slice(source, destination, n_sentences):
    """Copy the first n_sentences sentences of a CoNLL-U file (for quick tests and timings)."""
    kept, sentences = [], 0
    with open(source, encoding="utf-8") as lines:
        for line in lines:
            kept.append(line)
            if not line.strip():
                sentences += 1
                if sentences == n_sentences:
                    break
    Path(destination).write_text("".join(kept), encoding="utf-8")


def recipe_args(changes, train_path, dev_path=None, save_path=None, epochs=None, batch_size=None):
    """tagger.train's options: the recipe file, then `changes` (options that override it)."""
    from tagger import train as trainer
    argv = [f"@{RECIPE_FILE}", *changes, "--train", str(train_path)]
    for flag, value in (("--dev", dev_path), ("--save", save_path), ("--epochs", epochs),
                        ("--batch-size", batch_size)):
        if value is not None:
            argv += [flag, str(value)]
    return trainer.parse_args(argv)


def train_quietly(args):
    """Train as python -m tagger.train does, seeded alike, printing nothing: a TrainingRun."""
    from tagger import train as trainer
    from tagger.cli import seed_everything
    seed_everything(args.seed)
    return trainer.train_tagger(args, log=lambda *args, **kwargs: None)


def classic_tagger(kind, training_data):
    """The most-frequent-tag baseline ("most-frequent-tag") or NLTK's averaged perceptron: a
    function from a word list to a tag list."""
    if kind == "most-frequent-tag":
        tag_counts = defaultdict(Counter)
        for words, tags in training_data:
            for word, tag in zip(words, tags):
                tag_counts[word][tag] += 1
        best_tag = {word: counts.most_common(1)[0][0] for word, counts in tag_counts.items()}
        fallback = Counter(tag for _, tags in training_data for tag in tags).most_common(1)[0][0]
        return lambda words: [best_tag.get(word, fallback) for word in words]
    from nltk.tag.perceptron import PerceptronTagger
    random.seed(1)  # the perceptron shuffles its training sentences with `random`
    tagger = PerceptronTagger(load=False)
    tagger.train([list(zip(words, tags)) for words, tags in training_data], nr_iter=5)
    return lambda words: [tag for _, tag in tagger.tag(words)]


def train_and_measure_classic(kind, train_path, dev_path, tag_set="upos"):
    """Train a classic tagger on one tag set's column and measure it, in this process."""
    from tagger.data import read_tag_sets
    from tagger.evaluation import score_tags

    def read_tagged_sentences(path):
        sentences, tags = read_tag_sets(path, (tag_set,))
        return list(zip(sentences, tags[tag_set]))
    train_start = time.perf_counter()
    training_data = read_tagged_sentences(train_path)
    tag_sentence = classic_tagger(kind, training_data)
    train_seconds = time.perf_counter() - train_start
    known_words = {word for words, _ in training_data for word in words}

    def read_and_tag():
        dev_data = read_tagged_sentences(dev_path)
        return dev_data, [tag_sentence(words) for words, _ in dev_data]
    tag_seconds, (dev_data, predicted) = best_of(3, read_and_tag)
    score = score_tags(dev_data, predicted, known_words.__contains__)
    passes = 5 if kind == "nltk-perceptron" else 1  # the perceptron reads the data 5 times
    return {ACCURACY_KEYS[tag_set]: score.accuracy, "unseen": score.unseen_accuracy,
            "train_seconds": train_seconds,
            "train_tokens_per_s": passes * sum(len(words) for words, _ in training_data)
                                  / train_seconds,
            "tag_tokens_per_s": sum(len(words) for words, _ in dev_data) / tag_seconds}


def train_and_measure(changes, train_path, dev_path, epochs=None, also=None, with_file=None):
    """Train the recipe with `changes` through tagger.train's own code, then measure and examine
    the model kept (the best epoch's, as a user gets it); also(model, vocab, sentences, gold,
    predicted) and with_file(the saved model's path), if given, add figures of their own."""
    from tagger.checkpoint import load_checkpoint
    from tagger.data import read_tag_sets
    from tagger.tagging import predict
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / "model.pt"
        start = time.perf_counter()
        run = train_quietly(recipe_args(changes, train_path, dev_path, model_path, epochs))
        wall_seconds = time.perf_counter() - start
        model, vocab = load_checkpoint(model_path)
        model_bytes = model_path.stat().st_size
        file_figures = with_file(model_path) if with_file is not None else {}

    def read_and_tag():
        sentences, gold = read_tag_sets(dev_path, vocab.tag_sets)
        return sentences, gold, predict(model, sentences, vocab)
    tag_seconds, (sentences, gold, _) = best_of(3, read_and_tag)
    history = [{key: epoch[key] for key in ("epoch", "loss", "dev_accuracy", "dev_nll", "dev_ece")}
               for epoch in run.history]
    result = dict(train_seconds=wall_seconds,
                  train_tokens_per_s=run.n_train_tokens * len(history) / run.training_seconds,
                  tag_tokens_per_s=sum(map(len, sentences)) / tag_seconds,
                  best_epoch=run.best_epoch, epochs=len(history), history=history,
                  model_bytes=model_bytes, encoding_seconds=run.encoding_seconds, **file_figures)
    result.update(examine(model, vocab, sentences, gold))
    training_tags = read_tag_sets(train_path, vocab.tag_sets)[1]
    predicted = result.pop("predicted")
    if also is not None:
        result.update(also(model, vocab, sentences, gold, predicted))
    # Tag bigrams never seen in training: predicted, and dev's gold ones for scale.
    result["unseen_bigrams"] = {name: unseen_bigrams(predicted[name], training_tags[name])
                                for name in predicted}
    result["unseen_gold_bigrams"] = {name: unseen_bigrams(gold[name], training_tags[name])
                                     for name in predicted}
    return result


def unseen_bigrams(predicted, training_tags):
    """How many tag bigrams (two neighbouring words' tags) never occur in the training data."""
    seen = {pair for tags in training_tags for pair in zip(tags, tags[1:])}
    return sum(pair not in seen for tags in predicted for pair in zip(tags, tags[1:]))


def confusion_matrix(gold, predicted, tags):
    """counts[i][j]: words of gold tag tags[i] tagged tags[j] (tags outside `tags` skipped)."""
    index = {tag: i for i, tag in enumerate(tags)}
    counts = [[0] * len(tags) for _ in tags]
    for g, p in zip(gold, predicted):
        if g in index and p in index:
            counts[index[g]][index[p]] += 1
    return counts


def examine(model, vocab, sentences, gold):
    """Accuracy of each tag set on dev, what the UPOS probabilities mean before and after
    temperature scaling, and where the model errs."""
    from tagger.evaluation import (accuracy_by_frequency, calibration_bins, evaluate,
                                   fit_temperature, probability_scores, rescale, top_confusions)
    results = evaluate(model, sentences, gold, vocab)  # at temperature 1: the model's own
    result = results["upos"]
    temperature = fit_temperature(result.log_probs, result.gold_ix)
    scaled = rescale(result.log_probs, temperature)
    # The matrix's tags: gold tags from the most frequent down, then any tag only ever predicted.
    tags = [tag for tag, _ in Counter(result.gold).most_common()]
    tags += sorted(set(result.predicted) - set(tags))
    accuracies = {ACCURACY_KEYS[name]: r.accuracy for name, r in results.items()}
    ends = list(itertools.accumulate(map(len, sentences)))
    predicted = {name: [r.predicted[end - len(words):end] for words, end in zip(sentences, ends)]
                 for name, r in results.items()}  # one tag list per sentence
    return dict(accuracies, unseen=result.unseen_accuracy, predicted=predicted,
                probabilities={"as_trained": probability_scores(result.log_probs, result.gold_ix),
                               "scaled": probability_scores(scaled, result.gold_ix)},
                bins={"as_trained": calibration_bins(result.log_probs, result.gold_ix),
                      "scaled": calibration_bins(scaled, result.gold_ix)},
                temperature=temperature, confusions=top_confusions(result.gold, result.predicted),
                confusion_tags=tags,
                confusion_matrix=confusion_matrix(result.gold, result.predicted, tags),
                by_frequency=accuracy_by_frequency(result.words, result.gold, result.predicted,
                                                   vocab.training_count))


def print_seed_summaries(rows, labels, seeds, comparisons):
    """Under a study's table of rows named KIND-seed-SEED: each kind's mean UPOS and XPOS and
    their range over its seeds (two or more), then for each (before, after) pair of kinds the
    difference seed by seed. labels: {kind: its name in the sentences}."""
    def figures(kind, key, kept_seeds=seeds):
        return [100 * rows[f"{kind}-seed-{seed}"][key] for seed in kept_seeds
                if f"{kind}-seed-{seed}" in rows]

    def capitalized(label):  # not str.capitalize, which would write "Glove"
        return label[0].upper() + label[1:]
    for kind, label in labels.items():
        upos, xpos = figures(kind, "accuracy"), figures(kind, "xpos_accuracy")
        if len(upos) >= 2:
            print(f"{capitalized(label)}, mean of {len(upos)} seeds: UPOS {mean(upos):.2f}% "
                  f"(range {max(upos) - min(upos):.2f}), XPOS {mean(xpos):.2f}% "
                  f"(range {max(xpos) - min(xpos):.2f}).")
    for before, after in comparisons:
        both = [seed for seed in seeds
                if f"{before}-seed-{seed}" in rows and f"{after}-seed-{seed}" in rows]
        if not both:
            continue
        gains = {key: ", ".join(f"{second - first:+.2f}" for first, second
                                in zip(figures(before, key, both), figures(after, key, both)))
                 for key in ("accuracy", "xpos_accuracy")}
        print(f"{capitalized(labels[after])} minus {labels[before]}, seed by seed, in points: "
              f"UPOS {gains['accuracy']}; XPOS {gains['xpos_accuracy']}.")
