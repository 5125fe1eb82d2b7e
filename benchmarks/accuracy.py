"""The results table: each tagger's accuracy, speed and memory; training speed by batch size."""
from benchmarks.rows import BATCH_SIZES, NEURAL_ROWS, ROWS, SPEED_ROWS, recipe_args, train_quietly
from benchmarks.trained_rows import run_classic_row, run_neural_row


# the taggers, then each neural one's training speed at each batch size
MEASURED_ROWS = (*ROWS, *SPEED_ROWS)


def measure(row, data):
    """One row's figures. The recipe's row (bilstm-chars) also saves its model at data.model, for
    the studies that use the recipe's trained model (raw_text, crf_cost, streaming)."""
    if row in SPEED_ROWS:
        return run_speed_row(*SPEED_ROWS[row], data.train)
    if row in NEURAL_ROWS:
        return run_neural_row(row, data.train, data.dev, data.epochs,
                              data.model if row == "bilstm-chars" else None)
    return run_classic_row(row, data.train, data.dev)


def run_speed_row(model, batch_size, train_path):
    """Training tokens/s of one neural row's model: one epoch over the training file, no dev set.

    The model is the row's own (its vocabulary is the whole training file's); only the batch
    size changes, so batch size 1 is the Day-1 one-sentence-at-a-time loop on the same model.
    """
    run = train_quietly(recipe_args(model, train_path, epochs=1, batch_size=batch_size))
    return dict(train_tokens_per_s=run.n_train_tokens / run.training_seconds,
                train_seconds=run.training_seconds,
                tokens=run.n_train_tokens)


def print_tables(rows):
    """The results table, and the training-speed table by batch size."""
    print("| tagger | dev UPOS accuracy | dev XPOS accuracy | unseen words | training time | "
          "training tokens/s | tagging tokens/s | peak memory |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, description in ROWS.items():
        if name in rows:
            r = rows[name]
            upos = f"{r['accuracy']:.2%}" if "accuracy" in r else "-"
            xpos = f"{r['xpos_accuracy']:.2%}" if "xpos_accuracy" in r else "-"
            print(f"| {description} | {upos} | {xpos} | {r['unseen']:.2%} | "
                  f"{r['train_seconds']:.0f} s | {r['train_tokens_per_s']:,.0f} | "
                  f"{r['tag_tokens_per_s']:,.0f} | {r['peak_mb']:,.0f} MB |")
    speed_models = [model for model in NEURAL_ROWS
                    if all(f"{model}-batch-{size}" in rows for size in BATCH_SIZES)]
    if speed_models:
        one, many = BATCH_SIZES
        print()
        print(f"Training tokens/s by batch size: one epoch over the training file"
              f" ({rows[f'{speed_models[0]}-batch-{one}']['tokens']} tokens), no dev set.")
        print()
        print(f"| model | batch size {one} | batch size {many} | speed-up |")
        print("| --- | --- | --- | --- |")
        for model in speed_models:
            slow, fast = (rows[f"{model}-batch-{size}"]["train_tokens_per_s"]
                          for size in BATCH_SIZES)
            print(f"| {ROWS[model]} | {slow:,.0f} | {fast:,.0f} | {fast / slow:.1f}x |")
