"""What the recipe's probabilities mean (NLL, Brier, ECE, temperature, label smoothing), and where
it errs."""
from benchmarks.study import study_command
from benchmarks.training import train_and_measure

LABEL_SMOOTHING = 0.1
ROWS = {"bilstm-chars": ("the recipe (NLLLoss)", []),
        "label-smoothing": (f"the recipe with label smoothing {LABEL_SMOOTHING} (`--loss ce "
                            f"--label-smoothing {LABEL_SMOOTHING}`)",
                            ["--loss", "ce", "--label-smoothing", str(LABEL_SMOOTHING)])}
TRAINS = True


def measure(row, args):
    """The recipe, or the recipe with label smoothing, trained and examined on dev."""
    return train_and_measure(ROWS[row][1], args.train, args.dev, args.epochs)


def print_tables(rows):
    """The probabilities on dev (as trained and scaled, both rows); the recipe's errors."""
    if not rows:
        return
    print()
    print("The recipe's UPOS probabilities on dev (NLL, Brier and ECE as `python -m tagger.tag "
          "--help` defines them):")
    print()
    print("| model | dev UPOS accuracy | NLL per token | Brier score | ECE (15 bins) |")
    print("| --- | --- | --- | --- | --- |")
    for name, (description, _) in ROWS.items():
        if name not in rows:
            continue
        row = rows[name]
        for key, how in (("as_trained", "as trained"),
                         ("scaled", f"temperature {row['temperature']:.2f} fitted on dev")):
            p = row["probabilities"][key]
            print(f"| {description}, {how} | {row['accuracy']:.2%} | {p['nll']:.4f} | "
                  f"{p['brier']:.4f} | {p['ece']:.4f} |")
    if "bilstm-chars" in rows:
        print_errors(rows["bilstm-chars"])


def print_errors(recipe):
    """The recipe's most frequent errors, and its accuracy by the word's training frequency."""
    matrix = recipe["confusion_matrix"]
    n_errors = sum(map(sum, matrix)) - sum(matrix[i][i] for i in range(len(matrix)))
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


if __name__ == "__main__":
    study_command(__spec__.name)
