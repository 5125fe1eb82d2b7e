"""What one training step costs: its parts at batch size 1, and the Adam step fused and not."""
import functools
import time

from benchmarks.study import study_command
from benchmarks.training import MODELS, recipe_args

ADAM_STEPS = 30  # timed steps of each optimizer (their mean is printed)
STEP_COST_LENGTHS = (10, 40)  # sentence lengths, in words, whose steps are timed
# adam-step: ms per Adam step on the recipe's model, fused and not; step-cost: ms of the parts
# of a batch-size-1 step, for each model.
ROWS = ("adam-step", "step-cost")


def measure(row, args):
    """Milliseconds of the Adam step, or of each part of a batch-size-1 step."""
    return run_adam_step_row(args.train) if row == "adam-step" else run_step_cost_row(args.train)


def run_adam_step_row(train_path, steps=ADAM_STEPS):
    """Milliseconds per optimizer step on the recipe's model: fused Adam (the training command's)
    and the default.

    Every weight gets a random gradient, as the word embedding's dense gradient does in
    training; each optimizer takes `steps` timed steps after 3 untimed ones.
    """
    import torch
    from tagger import train as trainer
    from tagger.data import read_tag_sets
    args = recipe_args([], train_path)
    torch.manual_seed(args.seed)
    model, _ = trainer.build_model(args, *read_tag_sets(train_path, ("upos", "xpos")))
    for parameter in model.parameters():
        parameter.grad = torch.randn_like(parameter)
    result = {"parameters": sum(p.numel() for p in model.parameters())}
    for name, fused in (("fused_ms", True), ("default_ms", False)):
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, fused=fused)
        for _ in range(3):
            optimizer.step()
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.step()
        result[name] = (time.perf_counter() - start) / steps * 1000
    return result


def run_step_cost_row(train_path, repeats=30):
    """The parts of one training step at batch size 1, in milliseconds, for each neural row's model.

    For a training sentence of each length in STEP_COST_LENGTHS: forward, loss and backward
    together; then the fused Adam step, which updates every weight whatever the sentence.
    Each is the median of `repeats` timed runs after 3 untimed ones.
    """
    import statistics
    import torch
    from tagger import train as trainer
    from tagger.data import read_tag_sets
    from tagger.vocabulary import make_batches
    sentences, gold = read_tag_sets(train_path, ("upos", "xpos"))
    sentence_ids = [next(i for i, words in enumerate(sentences) if len(words) == length)
                    for length in STEP_COST_LENGTHS]

    def median_ms(function):
        for _ in range(3):
            function()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000

    result = {}
    for row, (_, changes) in MODELS.items():
        args = recipe_args(changes, train_path)
        torch.manual_seed(args.seed)
        row_gold = {name: gold[name] for name in (("upos", "xpos") if args.xpos else ("upos",))}
        model, vocab = trainer.build_model(args, sentences, row_gold)
        optimizer = trainer.make_optimizer(args, model)
        figures = {}
        for length, i in zip(STEP_COST_LENGTHS, sentence_ids):
            batch = make_batches([sentences[i]], vocab,
                                 {name: [tags[i]] for name, tags in row_gold.items()})[0]
            step = functools.partial(forward_and_backward, model, batch)
            figures[f"forward_backward_{length}_ms"] = median_ms(step)
        figures["adam_ms"] = median_ms(optimizer.step)
        result[row] = figures
    return result


def forward_and_backward(model, batch):
    """One training step's forward pass, loss and backward pass, without the optimizer."""
    model.zero_grad()
    model.loss(batch).backward()


def print_step_cost(rows):
    """The parts of a batch-size-1 training step, and the fixed part a batch of 32 shares."""
    if "step-cost" not in rows:
        return
    short, long = STEP_COST_LENGTHS
    print()
    print("One training step at batch size 1, in milliseconds (median of 30): forward, loss and "
          f"backward on a training sentence of {short} and of {long} words, the part of it that "
          "does not grow with the length (the line through the two, at 0 words), and the Adam "
          "step:")
    print()
    print(f"| model | forward + backward, {short} words | {long} words | fixed part | Adam step |")
    print("| --- | --- | --- | --- | --- |")
    for row, (description, _) in MODELS.items():
        r = rows["step-cost"][row]
        short_ms, long_ms = r[f"forward_backward_{short}_ms"], r[f"forward_backward_{long}_ms"]
        fixed = short_ms - (long_ms - short_ms) / (long - short) * short  # the line at 0 words
        print(f"| {description} | {short_ms:.2f} | {long_ms:.2f} | {fixed:.2f} | "
              f"{r['adam_ms']:.2f} |")


def print_adam_step(rows):
    """Milliseconds per Adam step on the recipe's model, fused and the default."""
    if "adam-step" not in rows:
        return
    adam = rows["adam-step"]
    print()
    print(f"Adam step on the recipe's model ({adam['parameters']:,} weights, every one with a "
          f"random gradient; mean over {ADAM_STEPS} steps): fused {adam['fused_ms']:.2f} ms, "
          f"default {adam['default_ms']:.2f} ms ({adam['default_ms'] / adam['fused_ms']:.1f}x)")


def print_tables(rows):
    """The Adam step, then the parts of a batch-size-1 step."""
    print_adam_step(rows)
    print_step_cost(rows)


if __name__ == "__main__":
    study_command(__spec__.name)
