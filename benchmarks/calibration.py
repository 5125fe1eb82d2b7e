"""What the recipe's probabilities mean (NLL, Brier, ECE, temperature, label smoothing), and where
it errs.

Its tables read the recipe's and the words-only BiLSTM's rows from the accuracy study.
"""
from collections import defaultdict

from benchmarks.rows import LABEL_SMOOTHING, LABEL_SMOOTHING_ROW, ROWS
from benchmarks.trained_rows import run_neural_row


MEASURED_ROWS = (LABEL_SMOOTHING_ROW,)


def measure(row, data):
    """The recipe trained with label smoothing, measured as every neural row is."""
    return run_neural_row(row, data.train, data.dev, data.epochs)


def print_tables(rows):
    """The recipe's probabilities on dev (as trained, scaled, label-smoothed) and its errors."""
    recipe = rows.get("bilstm-chars", {})
    if "probabilities" not in recipe:
        return
    print()
    print("The recipe's UPOS probabilities on dev (NLL, Brier and ECE as `python -m tagger.tag "
          "--help` defines them):")
    print()
    print("| model | dev UPOS accuracy | NLL per token | Brier score | ECE (15 bins) |")
    print("| --- | --- | --- | --- | --- |")
    models = [("the recipe (NLLLoss)", recipe)]
    if LABEL_SMOOTHING_ROW in rows:
        models.append((f"the recipe with label smoothing {LABEL_SMOOTHING} (`--loss ce "
                       f"--label-smoothing {LABEL_SMOOTHING}`)", rows[LABEL_SMOOTHING_ROW]))
    for description, row in models:
        for key, how in (("as_trained", "as trained"),
                         ("scaled", f"temperature {row['temperature']:.2f} fitted on dev")):
            p = row["probabilities"][key]
            print(f"| {description}, {how} | {row['accuracy']:.2%} | {p['nll']:.4f} | "
                  f"{p['brier']:.4f} | {p['ece']:.4f} |")
    print()
    print("Dev figures from the epoch lines: the epoch with the lowest dev NLL, the best epoch "
          "(the model kept) and the last:")
    print()
    print("| model | epoch | dev UPOS accuracy | dev NLL per token | dev ECE |")
    print("| --- | --- | --- | --- | --- |")
    for name in ("bilstm", "bilstm-chars"):
        if "history" in rows.get(name, {}):
            row = rows[name]
            lowest_nll = min(row["history"], key=lambda epoch: epoch["dev_nll"])["epoch"]
            labels = defaultdict(list)  # one line per epoch, with all its labels
            for epoch, label in ((lowest_nll, "lowest NLL"), (row["best_epoch"], "best"),
                                 (row["epochs"], "last")):
                labels[epoch].append(label)
            for epoch, which in labels.items():
                e = row["history"][epoch - 1]
                print(f"| {ROWS[name]} | {epoch} ({', '.join(which)}) | {e['dev_accuracy']:.2%} | "
                      f"{e['dev_nll']:.4f} | {e['dev_ece']:.4f} |")
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


