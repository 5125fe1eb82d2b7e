"""Each tagger's dev accuracy, speed and memory; training speed by batch size; epoch figures."""
from collections import defaultdict

from benchmarks.harness import in_fresh_process
from benchmarks.study import study_command
from benchmarks.training import (MODELS, recipe_args, train_and_measure,
                                 train_and_measure_classic, train_quietly)

CLASSIC = {"most-frequent-tag": "most frequent tag per word (unknown words: the most common tag)",
           "nltk-perceptron": "NLTK averaged perceptron (5 iterations)",
           "nltk-perceptron-xpos": "NLTK averaged perceptron on XPOS tags (5 iterations)"}
BATCH_SIZES = (1, 32)  # one sentence at a time, as the tutorial trains, and the recipe's batches
# Training speed: each model, one epoch at each batch size, e.g. "bilstm-chars-batch-32".
SPEED_ROWS = {f"{model}-batch-{size}": (model, size) for model in MODELS for size in BATCH_SIZES}
ROWS = (*CLASSIC, *MODELS, *SPEED_ROWS)
TRAINS = True


def measure(row, args):
    """One row's figures, measured in a fresh process so that its peak memory is its own."""
    figures, peak_mb = in_fresh_process(measure_here, row, args.train, args.dev, args.epochs)
    return dict(figures, peak_mb=peak_mb)


def measure_here(row, train_path, dev_path, epochs):
    """One row's figures, in this process."""
    from tagger.cli import subnormals_flushed_to_zero
    with subnormals_flushed_to_zero():  # as tagger.train trains (a fresh process: set it again)
        if row in SPEED_ROWS:
            model, batch_size = SPEED_ROWS[row]
            run = train_quietly(recipe_args(MODELS[model][1], train_path, epochs=1,
                                            batch_size=batch_size))
            return dict(train_tokens_per_s=run.n_train_tokens / run.training_seconds,
                        train_seconds=run.training_seconds, tokens=run.n_train_tokens)
        if row in MODELS:
            description, changes = MODELS[row]
            return dict(train_and_measure(changes, train_path, dev_path, epochs),
                        label=description)
        return train_and_measure_classic(row.removesuffix("-xpos"), train_path, dev_path,
                                         "xpos" if row.endswith("-xpos") else "upos")


def print_tables(rows):
    """The results table, training speed by batch size, and the neural rows' epoch figures."""
    print("| tagger | dev UPOS accuracy | dev XPOS accuracy | unseen words | training time | "
          "training tokens/s | tagging tokens/s | peak memory |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    descriptions = {**CLASSIC, **{model: description for model, (description, _) in MODELS.items()}}
    for name, description in descriptions.items():
        if name in rows:
            r = rows[name]
            upos = f"{r['accuracy']:.2%}" if "accuracy" in r else "-"
            xpos = f"{r['xpos_accuracy']:.2%}" if "xpos_accuracy" in r else "-"
            print(f"| {description} | {upos} | {xpos} | {r['unseen']:.2%} | "
                  f"{r['train_seconds']:.0f} s | {r['train_tokens_per_s']:,.0f} | "
                  f"{r['tag_tokens_per_s']:,.0f} | {r['peak_mb']:,.0f} MB |")
    print_batch_sizes(rows)
    print_epochs(rows)


def print_batch_sizes(rows):
    """Training tokens/s of each model at batch size 1 and the recipe's."""
    one, many = BATCH_SIZES
    models = [model for model in MODELS
              if all(f"{model}-batch-{size}" in rows for size in BATCH_SIZES)]
    if not models:
        return
    print()
    print(f"Training tokens/s by batch size: one epoch over the training file"
          f" ({rows[f'{models[0]}-batch-{one}']['tokens']} tokens), no dev set.")
    print()
    print(f"| model | batch size {one} | batch size {many} | speed-up |")
    print("| --- | --- | --- | --- |")
    for model in models:
        slow, fast = (rows[f"{model}-batch-{size}"]["train_tokens_per_s"] for size in BATCH_SIZES)
        print(f"| {MODELS[model][0]} | {slow:,.0f} | {fast:,.0f} | {fast / slow:.1f}x |")


def print_epochs(rows):
    """Dev figures of the epoch with the lowest dev NLL, the best epoch (kept) and the last."""
    models = [name for name in ("bilstm", "bilstm-chars") if "history" in rows.get(name, {})]
    if not models:
        return
    print()
    print("Dev figures from the epoch lines: the epoch with the lowest dev NLL, the best epoch "
          "(the model kept) and the last:")
    print()
    print("| model | epoch | dev UPOS accuracy | dev NLL per token | dev ECE |")
    print("| --- | --- | --- | --- | --- |")
    for name in models:
        row = rows[name]
        lowest_nll = min(row["history"], key=lambda epoch: epoch["dev_nll"])["epoch"]
        labels = defaultdict(list)  # one line per epoch, with all its labels
        for epoch, label in ((lowest_nll, "lowest NLL"), (row["best_epoch"], "best"),
                             (row["epochs"], "last")):
            labels[epoch].append(label)
        for epoch, which in labels.items():
            e = row["history"][epoch - 1]
            print(f"| {MODELS[name][0]} | {epoch} ({', '.join(which)}) | "
                  f"{e['dev_accuracy']:.2%} | {e['dev_nll']:.4f} | {e['dev_ece']:.4f} |")


if __name__ == "__main__":
    study_command(__spec__.name)
