"""What the recipe's probabilities mean (NLL, Brier, ECE, temperature), its errors, and the learning curve."""
import itertools
from collections import Counter, defaultdict

from benchmarks.rows import ACCURACY_KEYS, LABEL_SMOOTHING, LABEL_SMOOTHING_ROW, ROWS


def examine(model, vocab, sentences, gold):
    """Accuracy of each tag set on dev, what the UPOS probabilities mean before and after temperature
    scaling, and where the model errs: the figures behind the README's tables and figures."""
    from tagger.evaluation import (accuracy_by_frequency, calibration_bins, confusion_matrix, evaluate, fit_temperature,
                            probability_scores, rescale, top_confusions)
    results = evaluate(model, sentences, gold, vocab)  # at temperature 1: the checkpoint holds no other
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
                confusion_tags=tags, confusion_matrix=confusion_matrix(result.gold, result.predicted, tags),
                by_frequency=accuracy_by_frequency(result.words, result.gold, result.predicted, vocab.training_count))


def print_probability_tables(rows):
    """The recipe's probabilities on dev (as trained, temperature-scaled, with label smoothing) and its errors."""
    recipe = rows.get("bilstm-chars", {})
    if "probabilities" not in recipe:
        return
    print()
    print("The recipe's UPOS probabilities on dev (NLL, Brier and ECE as `python -m tagger.tag --help` defines them):")
    print()
    print("| model | dev UPOS accuracy | NLL per token | Brier score | ECE (15 bins) |")
    print("| --- | --- | --- | --- | --- |")
    models = [("the recipe (NLLLoss)", recipe)]
    if LABEL_SMOOTHING_ROW in rows:
        models.append((f"the recipe with label smoothing {LABEL_SMOOTHING} (`--loss ce --label-smoothing"
                       f" {LABEL_SMOOTHING}`)", rows[LABEL_SMOOTHING_ROW]))
    for description, row in models:
        for key, how in (("as_trained", "as trained"), ("scaled", f"temperature {row['temperature']:.2f} fitted on dev")):
            p = row["probabilities"][key]
            print(f"| {description}, {how} | {row['accuracy']:.2%} | {p['nll']:.4f} | {p['brier']:.4f} | {p['ece']:.4f} |")
    print()
    print("Dev figures from the epoch lines: the epoch with the lowest dev NLL, the best epoch (the model"
          " kept) and the last:")
    print()
    print("| model | epoch | dev UPOS accuracy | dev NLL per token | dev ECE |")
    print("| --- | --- | --- | --- | --- |")
    for name in ("bilstm", "bilstm-chars"):
        if "history" in rows.get(name, {}):
            row = rows[name]
            lowest_nll = min(row["history"], key=lambda epoch: epoch["dev_nll"])["epoch"]
            labels = defaultdict(list)  # one line per epoch, with all its labels
            for epoch, label in ((lowest_nll, "lowest NLL"), (row["best_epoch"], "best"), (row["epochs"], "last")):
                labels[epoch].append(label)
            for epoch, which in labels.items():
                e = row["history"][epoch - 1]
                print(f"| {ROWS[name]} | {epoch} ({', '.join(which)}) | {e['dev_accuracy']:.2%} | {e['dev_nll']:.4f}"
                      f" | {e['dev_ece']:.4f} |")
    n_errors = sum(sum(counts) for counts in recipe["confusion_matrix"]) - sum(
        recipe["confusion_matrix"][i][i] for i in range(len(recipe["confusion_tags"])))
    print()
    print(f"The recipe's ten most frequent errors on dev (of {n_errors:,}):")
    print()
    print("| gold tag | predicted tag | count | share of errors |")
    print("| --- | --- | --- | --- |")
    for gold, predicted, count, share in recipe["confusions"]:
        print(f"| {gold} | {predicted} | {count} | {share:.1%} |")
    print()
    print("The recipe's accuracy on dev by how often the word occurs in training:")
    print()
    print("| occurrences in training | dev tokens | dev UPOS accuracy |")
    print("| --- | --- | --- |")
    for band, accuracy, tokens in recipe["by_frequency"]:
        print(f"| {band} | {tokens:,} | {accuracy:.2%} |")


