"""The rows the benchmark measures: their names, their changes to the recipe, how one is trained."""
from pathlib import Path


TRAIN_FILE, DEV_FILE = "en_ewt-ud-train.conllu", "en_ewt-ud-dev.conllu"


# the repository: main.py, the recipes, benchmarks/results
ROOT = Path(__file__).resolve().parent.parent
RECIPE_FILE = ROOT / "recipes" / "ewt.txt"  # the README's recipe


RECIPE_COMMAND = (f"python -m tagger.train @recipes/ewt.txt --train {TRAIN_FILE} --dev {DEV_FILE}"
                  " --save ewt.pt")


# each tag set's accuracy in the results
ACCURACY_KEYS = {"upos": "accuracy", "xpos": "xpos_accuracy"}


RECIPE_BATCH_SIZE = 32  # the recipe file's --batch-size (a test checks that they agree)


# What each neural row changes in the recipe (options after the recipe file override it).
ROW_CHANGES = {"bilstm-chars": [], "bilstm": ["--no-chars", "--no-xpos"],
               "day1-lstm": ["--no-chars", "--no-xpos", "--no-bidirectional"]}


ROWS = {
    "most-frequent-tag": "most frequent tag per word (unknown words: the most common tag)",
    "nltk-perceptron": "NLTK averaged perceptron (5 iterations)",
    "nltk-perceptron-xpos": "NLTK averaged perceptron on XPOS tags (5 iterations)",
    "day1-lstm": "one-directional LSTM, words only (the recipe's sizes and training)",
    "bilstm": "BiLSTM, words only",
    "bilstm-chars": "BiLSTM + character LSTM (the recipe)",
}


NEURAL_ROWS = ("day1-lstm", "bilstm", "bilstm-chars")


# one sentence at a time (as in the tutorial's loop) against the recipe's
BATCH_SIZES = (1, RECIPE_BATCH_SIZE)


# Training-speed rows: each neural model, one epoch at each batch size, e.g.
# "bilstm-chars-batch-32".
SPEED_ROWS = {f"{model}-batch-{size}": (model,
                                        size) for model in NEURAL_ROWS for size in BATCH_SIZES}


LABEL_SMOOTHING = 0.1


# the recipe trained with CrossEntropyLoss(label_smoothing=0.1)
LABEL_SMOOTHING_ROW = "label-smoothing"
ROW_CHANGES[LABEL_SMOOTHING_ROW] = ["--loss", "ce", "--label-smoothing", str(LABEL_SMOOTHING)]


# the recipe and NLTK's perceptron on the first part of the training split
LEARNING_CURVE_ROW = "learning-curve"


# 1/8, 1/4 and 1/2 of the sentences; all of them: the recipe and NLTK rows
LEARNING_CURVE_PARTS = (8, 4, 2)


ADAM_ROW = "adam-step"  # milliseconds per Adam step on the recipe's model, fused and not


STEP_COST_ROW = "step-cost"  # milliseconds of a batch-size-1 step's parts, for each neural model


STEP_COST_LENGTHS = (10, 40)  # sentence lengths, in words, whose steps are timed


RAW_TEXT_ROW = "raw-text"  # the recipe's model on dev's raw text, scored by the official UD scorer


# The recipe with a CRF output layer, and both recipes with a second seed: is the CRF's difference
# more than noise?
CRF_ROWS = {"bilstm-chars": ("the recipe", 1), "bilstm-chars-seed-2": ("the recipe", 2),
            "crf": ("the recipe with a CRF (`--crf`)", 1),
            "crf-seed-2": ("the recipe with a CRF (`--crf`)", 2)}
ROW_CHANGES.update({"bilstm-chars-seed-2": ["--seed", "2"], "crf": ["--crf"],
                    "crf-seed-2": ["--crf", "--seed", "2"]})


# The recipe with a third seed: with the two above, the recipe's mean and seed-to-seed spread. And,
# with two seeds, a word LSTM twice as wide: what more capacity buys, and what it costs in training
# time.
SEED_ROWS = {"bilstm-chars": 1, "bilstm-chars-seed-2": 2, "bilstm-chars-seed-3": 3}


WIDE_HIDDEN_DIM = 256


WIDE_ROWS = {"wide": 1, "wide-seed-2": 2}
ROW_CHANGES.update({"bilstm-chars-seed-3": ["--seed", "3"],
                    "wide": ["--hidden-dim", str(WIDE_HIDDEN_DIM)],
                    "wide-seed-2": ["--hidden-dim", str(WIDE_HIDDEN_DIM), "--seed", "2"]})


# the batched forward algorithm against a loop over one sentence and its tags
CRF_FORWARD_ROW = "crf-forward"


# the recipe's model with its own output layers and with CRFs: an epoch, and tagging
CRF_COST_ROW = "crf-cost"


# python -m tagger.tag on generated input of growing size: memory, speed, how soon output comes
STREAMING_ROW = "streaming"


def recipe_args(row, train_path, dev_path=None, save_path=None, epochs=None, batch_size=None):
    """tagger.train's options for a neural row: recipe, the row's changes, data, overrides."""
    from tagger import train as trainer
    argv = [f"@{RECIPE_FILE}", *ROW_CHANGES[row], "--train", str(train_path)]
    for flag, value in (("--dev", dev_path), ("--save", save_path), ("--epochs", epochs),
                        ("--batch-size", batch_size)):
        if value is not None:
            argv += [flag, str(value)]
    return trainer.parse_args(argv)


def train_quietly(args):
    """Train as python -m tagger.train does, seeded alike, printing nothing: a TrainingRun."""
    from tagger import train as trainer
    from tagger.cli import seed_everything
    seed_everything(args.seed)
    return trainer.train_tagger(args, trainer.check_device(args.device),
                                log=lambda *args, **kwargs: None)
