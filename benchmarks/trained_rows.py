"""A trained row: a tagger trained (the recipe with a row's changes, or a classic baseline) and
measured on dev: accuracy, speed, what its probabilities mean, and where it errs. Several studies
measure rows this way."""
import functools
import itertools
import random
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from benchmarks.harness import best_of
from benchmarks.rows import ACCURACY_KEYS, recipe_args, train_quietly


def run_classic_row(row, train_path, dev_path):
    """Train and measure the most-frequent-tag baseline or NLTK's perceptron, in this process.

    The -xpos row trains and scores the perceptron on the XPOS column instead of UPOS.
    """
    from tagger.conllu import UPOS, XPOS, read_conllu
    from tagger.evaluation import score_tags
    column = XPOS if row.endswith("-xpos") else UPOS
    read_tagged_sentences = functools.partial(read_conllu, tag_column=column)
    train_start = time.perf_counter()
    training_data = read_tagged_sentences(train_path)
    n_train_tokens = sum(len(words) for words, _ in training_data)
    known_words = {word for words, _ in training_data for word in words}
    if row == "most-frequent-tag":
        tag_counts = defaultdict(Counter)
        for words, tags in training_data:
            for word, tag in zip(words, tags):
                tag_counts[word][tag] += 1
        best_tag = {word: counts.most_common(1)[0][0] for word, counts in tag_counts.items()}
        fallback = Counter(tag for _, tags in training_data for tag in tags).most_common(1)[0][0]
        tag_sentence = lambda words: [best_tag.get(word, fallback) for word in words]
    else:
        from nltk.tag.perceptron import PerceptronTagger
        random.seed(1)  # the perceptron shuffles its training sentences with `random`
        tagger = PerceptronTagger(load=False)
        tagger.train([list(zip(words, tags)) for words, tags in training_data], nr_iter=5)
        tag_sentence = lambda words: [tag for _, tag in tagger.tag(words)]
    train_seconds = time.perf_counter() - train_start

    def read_and_tag():
        dev_data = read_tagged_sentences(dev_path)
        return dev_data, [tag_sentence(words) for words, _ in dev_data]
    tag_seconds, (dev_data, predicted) = best_of(3, read_and_tag)
    score = score_tags(dev_data, predicted, known_words.__contains__)
    n_dev_tokens = sum(len(words) for words, _ in dev_data)
    return {"xpos_accuracy" if column == XPOS else "accuracy": score.accuracy,
            "unseen": score.unseen_accuracy,
            "train_seconds": train_seconds,
            # NLTK's perceptron passes over the data 5 times
            "train_tokens_per_s": n_train_tokens * (5 if row.startswith("nltk") else 1)
                                  / train_seconds,
            "tag_tokens_per_s": n_dev_tokens / tag_seconds}


def run_neural_row(row, train_path, dev_path, epochs, keep_model=None):
    """Train a tagger through tagger.train's own code with the row's options, then measure and
    examine it.

    keep_model: where to copy the trained model (the recipe's, which the raw-text, CRF-cost and
    streaming studies measure).
    """
    from tagger.checkpoint import load_checkpoint
    from tagger.data import read_tag_sets
    from tagger.predict import predict
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / "model.pt"
        start = time.perf_counter()
        run = train_quietly(recipe_args(row, train_path, dev_path, model_path, epochs))
        wall_seconds = time.perf_counter() - start
        model, vocab = load_checkpoint(model_path)  # the best epoch's, as a user gets it
        if keep_model:
            shutil.copyfile(model_path, keep_model)

    def read_and_tag():
        sentences, gold = read_tag_sets(dev_path, vocab.tag_sets)
        return sentences, gold, predict(model, sentences, vocab)
    tag_seconds, (sentences, gold, _) = best_of(3, read_and_tag)
    history = [{key: epoch[key] for key in ("epoch", "loss", "dev_accuracy", "dev_nll", "dev_ece")}
               for epoch in run.history]
    result = dict(train_seconds=wall_seconds,
                  train_tokens_per_s=run.n_train_tokens * len(history) / run.training_seconds,
                  tag_tokens_per_s=sum(map(len, sentences)) / tag_seconds,
                  best_epoch=run.best_epoch, epochs=len(history), history=history)
    result.update(examine(model, vocab, sentences, gold))
    training_tags = read_tag_sets(train_path, vocab.tag_sets)[1]
    predicted = result.pop("predicted")
    # Tag bigrams (two neighbouring words' tags) never seen in training: predicted, and dev's gold
    # for scale.
    result["unseen_bigrams"] = {name: unseen_bigrams(predicted[name], training_tags[name])
                                for name in predicted}
    result["unseen_gold_bigrams"] = {name: unseen_bigrams(gold[name], training_tags[name])
                                     for name in predicted}
    return result


def unseen_bigrams(predicted, training_tags):
    """How many tag bigrams (two neighbouring words' tags) never occur in the training data."""
    seen = {pair for tags in training_tags for pair in zip(tags, tags[1:])}
    return sum(pair not in seen for tags in predicted for pair in zip(tags, tags[1:]))


def examine(model, vocab, sentences, gold):
    """Accuracy of each tag set on dev, what the UPOS probabilities mean before and after
    temperature scaling, and where the model errs."""
    from tagger.evaluation import (accuracy_by_frequency, calibration_bins, confusion_matrix,
                                   evaluate, fit_temperature,
                            probability_scores, rescale, top_confusions)
    # at temperature 1: the checkpoint holds no other
    results = evaluate(model, sentences, gold, vocab)
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
