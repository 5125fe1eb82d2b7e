"""The recipe over three seeds, and a wider word LSTM over two: mean, range, and what width buys."""
from statistics import mean

from benchmarks.study import study_command
from benchmarks.training import train_and_measure

WIDE_HIDDEN_DIM = 256
RECIPE_SEEDS = {"bilstm-chars": 1, "bilstm-chars-seed-2": 2, "bilstm-chars-seed-3": 3}
WIDE_SEEDS = {"wide": 1, "wide-seed-2": 2}
ROWS = {**{row: ["--seed", str(seed)] for row, seed in RECIPE_SEEDS.items()},
        **{row: ["--hidden-dim", str(WIDE_HIDDEN_DIM), "--seed", str(seed)]
           for row, seed in WIDE_SEEDS.items()}}
TRAINS = True


def measure(row, args):
    """One seed of the recipe or of the wide variant, trained and measured on dev."""
    return train_and_measure(ROWS[row], args.train, args.dev, args.epochs)


def print_tables(rows):
    """Each seed's dev accuracies, their mean and range; the wide model against the recipe on the
    same seeds. Means, ranges and gains come from the unrounded accuracies, rounded once when
    printed."""
    def points(name, key):
        return 100 * rows[name][key]

    for seed_rows, title in ((RECIPE_SEEDS, "The recipe"),
                             (WIDE_SEEDS, f"The recipe with `--hidden-dim {WIDE_HIDDEN_DIM}`")):
        if not all(name in rows for name in seed_rows):
            continue
        each = ", ".join(f"seed {seed}: {points(name, 'accuracy'):.2f}% / "
                         f"{points(name, 'xpos_accuracy'):.2f}% in"
                         f" {rows[name]['train_seconds'] / 60:.1f} min"
                         for name, seed in seed_rows.items())
        summary = []
        for key in ("accuracy", "xpos_accuracy"):
            values = [points(name, key) for name in seed_rows]
            summary.append(f"{mean(values):.2f}% (range {max(values) - min(values):.2f} points)")
        print()
        print(f"{title}, dev UPOS / XPOS and training time: {each}. Mean: UPOS {summary[0]}, XPOS "
              f"{summary[1]}.")
    matched = [name for name, seed in RECIPE_SEEDS.items() if seed in WIDE_SEEDS.values()]
    if all(name in rows for name in [*matched, *WIDE_SEEDS]):
        gains = [mean([points(name, key) for name in WIDE_SEEDS])
                 - mean([points(name, key) for name in matched])
                 for key in ("accuracy", "xpos_accuracy")]
        time_ratio = (mean([rows[name]["train_seconds"] for name in WIDE_SEEDS])
                      / mean([rows[name]["train_seconds"] for name in matched]))
        print("The wide model's mean minus the recipe's, on the same seeds "
              f"({', '.join(map(str, WIDE_SEEDS.values()))}): UPOS {gains[0]:+.2f}, XPOS "
              f"{gains[1]:+.2f} points, for {time_ratio - 1:.0%} more training time.")


if __name__ == "__main__":
    study_command(__spec__.name)
