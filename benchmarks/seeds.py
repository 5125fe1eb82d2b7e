"""The recipe over three seeds, and a wider word LSTM over two: mean, range, and what width buys."""
from benchmarks.harness import mean_of
from benchmarks.rows import SEED_ROWS, WIDE_HIDDEN_DIM, WIDE_ROWS
from benchmarks.trained_rows import run_neural_row


# Seed 1 is the accuracy study's recipe row; seed 2 of the recipe is also one of the crf_cost
# study's rows.
MEASURED_ROWS = (*[row for row, seed in SEED_ROWS.items() if seed != 1], *WIDE_ROWS)


def measure(row, data):
    """One seed of the recipe or of the wide variant, measured as every neural row is."""
    return run_neural_row(row, data.train, data.dev, data.epochs)



def print_tables(rows):
    """The recipe with three seeds and the wide variant with two: each seed's dev accuracies, mean
    and range.

    Means and ranges are of the accuracies as printed (in points, two decimals), so that they
    can be checked against the figures beside them. The wide model is set against the recipe
    on the same seeds (1 and 2).
    """
    def points(name, key):
        return round(100 * rows[name][key], 2)

    for seed_rows, title in ((SEED_ROWS, "The recipe"),
                             (WIDE_ROWS, f"The recipe with `--hidden-dim {WIDE_HIDDEN_DIM}`")):
        if not all(name in rows for name in seed_rows):
            continue
        each = ", ".join(f"seed {seed}: {points(name, 'accuracy'):.2f}% / "
                         f"{points(name, 'xpos_accuracy'):.2f}% in"
                         f" {rows[name]['train_seconds'] / 60:.1f} min"
                         for name, seed in seed_rows.items())
        summary = []
        for key in ("accuracy", "xpos_accuracy"):
            values = [points(name, key) for name in seed_rows]
            summary.append(f"{sum(values) / len(values):.2f}% (range "
                           f"{max(values) - min(values):.2f} points)")
        print()
        print(f"{title}, dev UPOS / XPOS and training time: {each}. Mean: UPOS {summary[0]}, XPOS "
              f"{summary[1]}.")
    matched = [name for name, seed in SEED_ROWS.items() if seed in WIDE_ROWS.values()]
    if all(name in rows for name in [*matched, *WIDE_ROWS]):
        gains = [sum(points(name, key) for name in WIDE_ROWS) / len(WIDE_ROWS)
                 - sum(points(name, key) for name in matched) / len(matched)
                 for key in ("accuracy", "xpos_accuracy")]
        time_ratio = (mean_of(rows, WIDE_ROWS, "train_seconds")
                      / mean_of(rows, matched, "train_seconds"))
        print("The wide model's mean minus the recipe's, on the same seeds "
              f"({', '.join(map(str, WIDE_ROWS.values()))}): UPOS {gains[0]:+.2f}, XPOS "
              f"{gains[1]:+.2f} points, for {time_ratio - 1:.0%} more training time.")
