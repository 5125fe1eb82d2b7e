"""Draw the real-data figures of docs/ from the benchmark's saved results (main_example.py --figures
draws the two of the losses page).

    python figures.py --out figures      # needs matplotlib (pip install -r requirements-dev.txt)

It reads three studies' results files in benchmarks/results (accuracy, calibration and
learning_curve) and nothing else.
"""
import argparse
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw to files; no window, no display needed
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen before this import)

from benchmarks.accuracy import CLASSIC  # noqa: E402
from benchmarks.results import read_results  # noqa: E402
from benchmarks.training import MODELS  # noqa: E402
from tagger.checkpoint import write_atomically  # noqa: E402
from tagger.errors import InputError  # noqa: E402

FIGURE_ERRORS = (KeyError, TypeError, IndexError, ValueError, ZeroDivisionError, AttributeError)



def png_bytes(figure, **options):
    """The figure as a PNG file's bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, **options)
    plt.close(figure)
    return buffer.getvalue()


def plot_reliability(recipe):
    """Accuracy against confidence per bin, before and after temperature scaling; tokens per bin."""
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 6), sharex=True, height_ratios=(3, 1))
    n_bins = len(recipe["bins"]["as_trained"])
    centres = [(b + 0.5) / n_bins for b in range(n_bins)]
    top.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for key, label, marker in (("as_trained", "as trained", "o"),
                               ("scaled", f"temperature {recipe['temperature']:.2f}", "x")):
        # float(): a figure edited into a word is an error, not a point on a categorical axis
        bins = [(float(confidence), float(accuracy))
                for n, confidence, accuracy in recipe["bins"][key] if n]
        top.plot(*zip(*bins), marker=marker, label=f"{label} (ECE "
                                                   f"{recipe['probabilities'][key]['ece']:.4f})")
    top.set_ylabel("accuracy of the words in the bin")
    top.set_title("Reliability of the recipe's UPOS probabilities on dev")
    top.legend(loc="upper left")
    bottom.bar(centres, [n for n, _, _ in recipe["bins"]["as_trained"]], width=1 / n_bins * 0.9,
               color="grey")
    bottom.set_yscale("log")
    bottom.set_ylabel("words (as trained)")
    bottom.set_xlabel(f"confidence: the top tag's probability ({n_bins} bins of equal width)")
    bottom.set_xlim(0, 1)
    figure.tight_layout()
    return png_bytes(figure)


def plot_confusions(recipe):
    """The confusion matrix, each gold row divided by its words, with the diagonal left blank."""
    tags, counts = recipe["confusion_tags"], recipe["confusion_matrix"]
    shares = [[count / sum(row) if i != j else float("nan") for j, count in enumerate(row)]
              for i, row in enumerate(counts)]  # nan: drawn blank, so that the errors show
    figure, axes = plt.subplots(figsize=(8, 7))
    image = axes.imshow(shares, cmap="Reds", vmin=0)
    for i, row in enumerate(shares):
        for j, share in enumerate(row):
            if share >= 0.005:  # label the visible cells: half a percent of the row and up
                axes.text(j, i, f"{share:.0%}" if share >= 0.01 else "<1%", ha="center",
                          va="center", fontsize=7,
                          color="white" if share > 0.2 else "black")
    axes.set_xticks(range(len(tags)), tags, rotation=90)
    axes.set_yticks(range(len(tags)), [f"{tag} ({sum(row):,})" for tag, row in zip(tags, counts)])
    axes.set_xlabel("predicted tag")
    axes.set_ylabel("gold tag (dev words)")
    axes.set_title("Where the recipe errs on dev: share of each gold tag's words")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    # "tight": the long tick labels stay in the picture
    return png_bytes(figure, bbox_inches="tight")


def plot_training_curves(rows):
    """Mean training loss and dev accuracy per epoch, for the recipe and the words-only BiLSTM."""
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for name in ("bilstm", "bilstm-chars"):
        history = rows[name]["history"]
        epochs = [e["epoch"] for e in history]
        # The recipe learns XPOS too: its training loss is the sum of its UPOS and XPOS losses.
        both = " (UPOS + XPOS loss)" if "xpos_accuracy" in rows[name] else ""
        loss_axes.plot(epochs, [e["loss"] for e in history], label=rows[name]["label"] + both)
        accuracy_axes.plot(epochs, [e["dev_accuracy"] for e in history], label=rows[name]["label"])
        best = rows[name]["best_epoch"]
        accuracy_axes.plot([best], [history[best - 1]["dev_accuracy"]], marker="o", color="black")
    loss_axes.set_yscale("log")
    loss_axes.set_ylabel("mean training loss per word (log scale)")
    accuracy_axes.set_ylabel("dev UPOS accuracy (dot: the epoch kept)")
    for axes in (loss_axes, accuracy_axes):
        axes.set_xlabel("epoch")
        axes.legend()
    figure.suptitle("Training curves on UD English EWT")
    figure.tight_layout()
    return png_bytes(figure)


def plot_learning_curve(rows):
    """Dev accuracy and training time against the number of training sentences, for both taggers."""
    points = list(rows.values())
    sentences = [point["sentences"] for point in points]
    figure, (accuracy_axes, time_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("recipe", MODELS["bilstm-chars"][0]),
                       ("nltk", CLASSIC["nltk-perceptron"])):
        accuracy_axes.plot(sentences, [point[key]["accuracy"] for point in points], marker="o",
                           label=label)
        time_axes.plot(sentences, [point[key]["train_seconds"] for point in points], marker="o",
                       label=label)
    accuracy_axes.set_ylabel("dev UPOS accuracy")
    time_axes.set_ylabel("training time (s)")
    for axes in (accuracy_axes, time_axes):
        axes.set_xscale("log", base=2)
        axes.set_xticks(sentences, [f"{n:,}" for n in sentences])
        axes.set_xlabel("training sentences (the first 1/8, 1/4, 1/2, all)")
        axes.legend()
    figure.suptitle("How much data: learning curves on UD English EWT")
    figure.tight_layout()
    return png_bytes(figure)


def main(argv=None):
    """Write the real-data figures into --out."""
    parser = argparse.ArgumentParser(description="Draw the real-data figures of docs/ from the "
                                                 "benchmark's results.")
    parser.add_argument("--out", default="figures",
                        help="folder to write the PNG files to (default: figures)")
    parser.add_argument("--results",
                        default=str(Path(__file__).resolve().parent / "benchmarks" / "results"),
                        help="the benchmark's folder of saved figures, one file a study (default: "
                             "benchmarks/results)")
    args = parser.parse_args(argv)
    for option in ("out", "results"):
        if not getattr(args, option).strip() or "\0" in getattr(args, option):
            parser.error(f"--{option}: an empty path or a NUL byte")
    rows = {study: read_results(Path(args.results) / f"{study}.json")["rows"]
            for study in ("accuracy", "calibration", "learning_curve")}
    drawings = {"reliability.png": lambda: plot_reliability(rows["calibration"]["bilstm-chars"]),
                "confusions.png": lambda: plot_confusions(rows["calibration"]["bilstm-chars"]),
                "training_curves.png": lambda: plot_training_curves(rows["accuracy"]),
                "learning_curve.png": lambda: plot_learning_curve(rows["learning_curve"])}
    pictures = {}  # every figure drawn before any is written: bad figures leave nothing half done
    for name, draw in drawings.items():
        try:
            pictures[name] = draw()
        except FIGURE_ERRORS as error:
            what = f"no figure {error}" if isinstance(error,
                                                      KeyError) else str(error).splitlines()[0]
            raise InputError(f"{args.results}: the saved figures do not make {name} ({what})"
                             ) from None
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"--out {out}: cannot make the folder: {error.strerror}") from None
    for name, picture in pictures.items():
        # a new file renamed: a planted link is replaced
        write_atomically(picture, out / name, out / name)
        print(f"wrote {out / name}")


if __name__ == "__main__":
    from tagger.cli import run
    run(main)  # `python figures.py | head -1` ends quietly
