"""Train and measure taggers on UD English EWT and print the README's results table.

    pip install -r requirements-bench.txt
    python benchmark.py              # EWT's train and dev files next to this script; saves benchmark_results.json
    python benchmark.py --data DIR   # the EWT files in another folder
    python benchmark.py --show       # print the table again from benchmark_results.json

A full run on 2 CPU cores takes longer than its rows' training, whose times `--show` adds up from
benchmark_results.json in its last line: tagging, scoring and starting each row's process come on top.

Each row runs in a child process of its own, one after another, so that its peak memory is
its own and no two torch processes compete for the CPU. Run it alone on the machine.
"""
import argparse
import functools
import itertools
import json
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from tagger.checkpoint import write_bytes_atomically
from tagger.cli import AT_LEAST_ONE, run_cleanly

TRAIN_FILE, DEV_FILE = "en_ewt-ud-train.conllu", "en_ewt-ud-dev.conllu"
RECIPE_FILE = Path(__file__).with_name("recipes") / "ewt.txt"  # the README's recipe
RECIPE_COMMAND = f"python -m tagger.train @recipes/ewt.txt --train {TRAIN_FILE} --dev {DEV_FILE} --save ewt.pt"
ACCURACY_KEYS = {"upos": "accuracy", "xpos": "xpos_accuracy"}  # each tag set's accuracy in the results
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
BATCH_SIZES = (1, RECIPE_BATCH_SIZE)  # one sentence at a time (as in the tutorial's loop) against the recipe's
# Training-speed rows: each neural model, one epoch at each batch size, e.g. "bilstm-chars-batch-32".
SPEED_ROWS = {f"{model}-batch-{size}": (model, size) for model in NEURAL_ROWS for size in BATCH_SIZES}
LABEL_SMOOTHING = 0.1
LABEL_SMOOTHING_ROW = "label-smoothing"  # the recipe trained with CrossEntropyLoss(label_smoothing=0.1)
ROW_CHANGES[LABEL_SMOOTHING_ROW] = ["--loss", "ce", "--label-smoothing", str(LABEL_SMOOTHING)]
LEARNING_CURVE_ROW = "learning-curve"  # the recipe and NLTK's perceptron on the first part of the training split
LEARNING_CURVE_PARTS = (8, 4, 2)  # 1/8, 1/4 and 1/2 of the sentences; all of them: the recipe and NLTK rows
ADAM_ROW = "adam-step"  # milliseconds per Adam step on the recipe's model, fused and not
STEP_COST_ROW = "step-cost"  # milliseconds of a batch-size-1 step's parts, for each neural model
STEP_COST_LENGTHS = (10, 40)  # sentence lengths, in words, whose steps are timed
RAW_TEXT_ROW = "raw-text"  # the recipe's model on dev's raw text, scored by the official UD scorer
# The recipe with a CRF output layer, and both recipes with a second seed: is the CRF's difference more than noise?
CRF_ROWS = {"bilstm-chars": ("the recipe", 1), "bilstm-chars-seed-2": ("the recipe", 2),
            "crf": ("the recipe with a CRF (`--crf`)", 1), "crf-seed-2": ("the recipe with a CRF (`--crf`)", 2)}
ROW_CHANGES.update({"bilstm-chars-seed-2": ["--seed", "2"], "crf": ["--crf"], "crf-seed-2": ["--crf", "--seed", "2"]})
# The recipe with a third seed: with the two above, the recipe's mean and seed-to-seed spread. And, with two
# seeds, the trade-off the tuning found beyond the 10-minute budget: a word LSTM twice as wide.
SEED_ROWS = {"bilstm-chars": 1, "bilstm-chars-seed-2": 2, "bilstm-chars-seed-3": 3}
WIDE_HIDDEN_DIM = 256
WIDE_ROWS = {"wide": 1, "wide-seed-2": 2}
ROW_CHANGES.update({"bilstm-chars-seed-3": ["--seed", "3"], "wide": ["--hidden-dim", str(WIDE_HIDDEN_DIM)],
                    "wide-seed-2": ["--hidden-dim", str(WIDE_HIDDEN_DIM), "--seed", "2"]})
CRF_FORWARD_ROW = "crf-forward"  # the batched forward algorithm against a loop over one sentence and its tags
CRF_COST_ROW = "crf-cost"  # the recipe's model with its own output layers and with CRFs: an epoch, and tagging
STREAMING_ROW = "streaming"  # python -m tagger.tag on generated input of growing size: memory, speed, how soon output comes
STREAMING_MB = (5, 100)  # sizes of the generated inputs, raw text and CoNLL-U
CHUNK_SIZES = (20_000, 50_000, 100_000, 200_000, 500_000)  # words per chunk, timed on the smallest input
LONG_TOKEN_CHARS = 2_000_000  # one "word" with no space in it
PAUSE_SENTENCES = 20_000  # a producer writes this many sentences and then waits
ALL_ROWS = [*ROWS, *SPEED_ROWS, ADAM_ROW, STEP_COST_ROW, RAW_TEXT_ROW, LABEL_SMOOTHING_ROW, LEARNING_CURVE_ROW,
            *[row for row in {**CRF_ROWS, **SEED_ROWS, **WIDE_ROWS} if row not in ROWS],
            CRF_FORWARD_ROW, CRF_COST_ROW, STREAMING_ROW]


def recipe_args(row, train_path, dev_path=None, save_path=None, epochs=None, batch_size=None):
    """python -m tagger.train's options for a neural row: the recipe file, the row's changes, the data and any overrides."""
    from tagger import train as trainer
    argv = [f"@{RECIPE_FILE}", *ROW_CHANGES[row], "--train", str(train_path)]
    for flag, value in (("--dev", dev_path), ("--save", save_path), ("--epochs", epochs), ("--batch-size", batch_size)):
        if value is not None:
            argv += [flag, str(value)]
    return trainer.parse_args(argv)


def train_quietly(args):
    """Train as python -m tagger.train does, seeded the same way, printing nothing: tagger.train.TrainingRun."""
    from tagger import train as trainer
    from tagger.cli import seed_everything
    seed_everything(args.seed)
    return trainer.train_tagger(args, trainer.check_device(args.device), log=lambda *args, **kwargs: None)


def peak_memory_mb():
    """This process's peak resident memory in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def best_of(repeats, function):
    """Run `function` `repeats` times; return (fastest seconds, its last result)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_classic_row(row, train_path, dev_path):
    """Train and measure the most-frequent-tag baseline or NLTK's perceptron, in this process.

    The -xpos row trains and scores the perceptron on the XPOS column instead of UPOS.
    """
    from tagger.data import UPOS, XPOS, read_conllu
    from tagger.evaluation import score_tags
    column = XPOS if row.endswith("-xpos") else UPOS
    read_tagged_sentences = functools.partial(read_conllu, tag_column=column)
    train_start = time.perf_counter()
    training_data = read_tagged_sentences(train_path)
    n_train_tokens = sum(len(words) for words, _ in training_data)
    known_words = {word for words, _ in training_data for word in words}
    if row == "most-frequent-tag":
        tag_counts = defaultdict(Counter)
        for words, tags in training_data:
            for word, tag in zip(words, tags):
                tag_counts[word][tag] += 1
        best_tag = {word: counts.most_common(1)[0][0] for word, counts in tag_counts.items()}
        fallback = Counter(tag for _, tags in training_data for tag in tags).most_common(1)[0][0]
        tag_sentence = lambda words: [best_tag.get(word, fallback) for word in words]
    else:
        from nltk.tag.perceptron import PerceptronTagger
        random.seed(1)  # the perceptron shuffles its training sentences with `random`
        tagger = PerceptronTagger(load=False)
        tagger.train([list(zip(words, tags)) for words, tags in training_data], nr_iter=5)
        tag_sentence = lambda words: [tag for _, tag in tagger.tag(words)]
    train_seconds = time.perf_counter() - train_start

    def read_and_tag():
        dev_data = read_tagged_sentences(dev_path)
        return dev_data, [tag_sentence(words) for words, _ in dev_data]
    tag_seconds, (dev_data, predicted) = best_of(3, read_and_tag)
    score = score_tags(dev_data, predicted, known_words.__contains__)
    n_dev_tokens = sum(len(words) for words, _ in dev_data)
    return {"xpos_accuracy" if column == XPOS else "accuracy": score.accuracy, "unseen": score.unseen_accuracy,
            "train_seconds": train_seconds,
            "train_tokens_per_s": n_train_tokens * (5 if row.startswith("nltk") else 1) / train_seconds,
            "tag_tokens_per_s": n_dev_tokens / tag_seconds}


def run_neural_row(row, train_path, dev_path, epochs, keep_model=None):
    """Train a tagger through tagger.train's own code with the row's options, then measure and examine it.

    keep_model: where to copy the trained model (the recipe's, for the raw-text row).
    """
    from tagger.checkpoint import load_checkpoint
    from tagger.data import read_tag_sets
    from tagger.predict import predict
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / "model.pt"
        start = time.perf_counter()
        run = train_quietly(recipe_args(row, train_path, dev_path, model_path, epochs))
        wall_seconds = time.perf_counter() - start
        model, vocab = load_checkpoint(model_path)  # the best epoch's, as a user gets it
        if keep_model:
            shutil.copyfile(model_path, keep_model)

    def read_and_tag():
        sentences, gold = read_tag_sets(dev_path, vocab.tag_sets)
        return sentences, gold, predict(model, sentences, vocab)
    tag_seconds, (sentences, gold, _) = best_of(3, read_and_tag)
    history = [{key: epoch[key] for key in ("epoch", "loss", "dev_accuracy", "dev_nll", "dev_ece")}
               for epoch in run.history]
    result = dict(train_seconds=wall_seconds, train_tokens_per_s=run.n_train_tokens * len(history) / run.training_seconds,
                  tag_tokens_per_s=sum(map(len, sentences)) / tag_seconds,
                  best_epoch=run.best_epoch, epochs=len(history), history=history)
    result.update(examine(model, vocab, sentences, gold))
    training_tags = read_tag_sets(train_path, vocab.tag_sets)[1]
    predicted = result.pop("predicted")
    # Tag bigrams (two neighbouring words' tags) never seen in training: predicted, and dev's gold for scale.
    result["unseen_bigrams"] = {name: unseen_bigrams(predicted[name], training_tags[name]) for name in predicted}
    result["unseen_gold_bigrams"] = {name: unseen_bigrams(gold[name], training_tags[name]) for name in predicted}
    return result


def unseen_bigrams(predicted, training_tags):
    """How many predicted tag bigrams (two neighbouring words' tags) never occur in the training data."""
    seen = {pair for tags in training_tags for pair in zip(tags, tags[1:])}
    return sum(pair not in seen for tags in predicted for pair in zip(tags, tags[1:]))


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


def run_learning_curve_row(train_path, dev_path, epochs):
    """The recipe and NLTK's perceptron trained on the first 1/8, 1/4 and 1/2 of the training sentences."""
    from tagger.data import read_conllu, write_conllu_slice
    sentence_lengths = [len(words) for words, _ in read_conllu(train_path)]
    n_sentences = len(sentence_lengths)
    points = []
    with tempfile.TemporaryDirectory() as folder:
        part_path = Path(folder) / TRAIN_FILE
        for part in LEARNING_CURVE_PARTS:
            write_conllu_slice(train_path, part_path, n_sentences // part)
            point = {"sentences": n_sentences // part, "tokens": sum(sentence_lengths[:n_sentences // part])}
            recipe = run_neural_row("bilstm-chars", part_path, dev_path, epochs)
            nltk = run_classic_row("nltk-perceptron", part_path, dev_path)
            for name, figures in (("recipe", recipe), ("nltk", nltk)):
                point[name] = {"accuracy": figures["accuracy"], "train_seconds": figures["train_seconds"]}
            points.append(point)
    return {"points": points, "sentences": n_sentences, "tokens": sum(sentence_lengths)}


def run_speed_row(model, batch_size, train_path):
    """Training tokens/s of one neural row's model: one epoch over the training file, no dev set.

    The model is the row's own (its vocabulary is the whole training file's); only the batch
    size changes, so batch size 1 is the Day-1 one-sentence-at-a-time loop on the same model.
    """
    run = train_quietly(recipe_args(model, train_path, epochs=1, batch_size=batch_size))
    return dict(train_tokens_per_s=run.n_train_tokens / run.training_seconds, train_seconds=run.training_seconds,
                tokens=run.n_train_tokens)


ADAM_STEPS = 30  # timed steps of each optimizer in the adam-step row (their mean is printed)


def run_adam_step_row(train_path, steps=ADAM_STEPS):
    """Milliseconds per optimizer step on the recipe's model: fused Adam (the training command's) and the default.

    Every weight gets a random gradient, as the word embedding's dense gradient does in
    training; each optimizer takes `steps` timed steps after 3 untimed ones.
    """
    import torch
    from tagger import train as trainer
    from tagger.data import read_tag_sets
    args = recipe_args("bilstm-chars", train_path)
    torch.manual_seed(args.seed)
    model, _, _ = trainer.build_model(args, *read_tag_sets(train_path, ("upos", "xpos")), "cpu")
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
    from tagger.batches import make_batches
    from tagger.training import tag_set_names
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
    for row in NEURAL_ROWS:
        args = recipe_args(row, train_path)
        torch.manual_seed(args.seed)
        row_gold = {name: gold[name] for name in tag_set_names(args)}
        model, vocab, _ = trainer.build_model(args, sentences, row_gold, "cpu")
        optimizer = trainer.make_optimizer(args, model)
        figures = {}
        for length, i in zip(STEP_COST_LENGTHS, sentence_ids):
            batch = make_batches([sentences[i]], vocab, {name: [tags[i]] for name, tags in row_gold.items()})[0]
            figures[f"forward_backward_{length}_ms"] = median_ms(functools.partial(forward_and_backward, model, batch))
        figures["adam_ms"] = median_ms(optimizer.step)
        result[row] = figures
    return result


def forward_and_backward(model, batch):
    """One training step's forward pass, loss and backward pass, without the optimizer."""
    model.zero_grad()
    model.loss(batch).backward()


def run_crf_forward_row(dev_path, n_sentences=512, n_tags=17):
    """log Z of the first 512 dev sentences' lengths (random scores, 17 tags): the CRF's batched forward
    algorithm against a loop over one sentence and, inside, over the next tag (tagger/crf_example.py)."""
    from tagger.data import read_tag_sets
    from tagger.crf_example import forward_algorithm_cost
    lengths = [len(words) for words in read_tag_sets(dev_path)[0][:n_sentences]]
    return dict(forward_algorithm_cost(lengths, n_tags), sentences=len(lengths), tags=n_tags)


def run_crf_cost_row(train_path, dev_path, model_path, repeats=3):
    """What a CRF output layer costs, on the recipe's trained model: the same model with its per-word
    softmax layers and with a CRF in their place (random transition scores: the cost does not depend on
    them). Seconds of one training epoch (the recipe's batches and optimizer, best of two) and of the
    dev evaluation after it; and words/s tagging dev as tagger.tag does (tags only) and as --eval does
    (with probabilities), best of `repeats`."""
    import torch
    from tagger import train as trainer
    from tagger.checkpoint import load_checkpoint, read_checkpoint
    from tagger.data import read_tag_sets
    from tagger.model import RealDataTagger
    from tagger.evaluation import evaluate
    from tagger.batches import make_batches, word_count_tensor
    from tagger.predict import predict
    from tagger.training import train
    trained, vocab = load_checkpoint(model_path)
    args = recipe_args("bilstm-chars", train_path)
    sentences, gold = read_tag_sets(train_path, vocab.tag_sets)
    dev_sentences, dev_gold = read_tag_sets(dev_path, vocab.tag_sets)
    n_dev_words = sum(map(len, dev_sentences))
    # The same model built with CRF output layers (--crf), the trained weights loaded into it, and random
    # transition scores in its CRFs.
    with_crf = RealDataTagger(**dict(read_checkpoint(model_path)["settings"], crf=True))
    missing = with_crf.load_state_dict(trained.state_dict(), strict=False).missing_keys
    assert missing and all(key.split(".")[0] in ("tag_output", "xpos_output") for key in missing)
    torch.manual_seed(0)
    with torch.no_grad():
        for _, crf in with_crf.tag_sets:
            crf.transitions.normal_()
    models = {"softmax": trained, "crf": with_crf}
    batches = make_batches(sentences, vocab, gold, args.batch_size)
    optimizers = {kind: trainer.make_optimizer(args, model) for kind, model in models.items()}
    result = {kind: {"epoch_seconds": float("inf")} for kind in models}
    # Each twice, taking turns, best of the two: the first epoch of a process also pays for warming up.
    for kind in ("softmax", "crf", "softmax", "crf"):
        random.seed(0)
        start = time.perf_counter()
        train(models[kind], batches, optimizers[kind], 1, clip_grad=args.clip_grad,
              word_counts=word_count_tensor(vocab), unk_alpha=args.unk_alpha)
        result[kind]["epoch_seconds"] = min(result[kind]["epoch_seconds"], time.perf_counter() - start)
    for kind, model in models.items():
        evaluation_seconds, _ = best_of(repeats, functools.partial(evaluate, model, dev_sentences, dev_gold, vocab))
        tags_seconds, _ = best_of(repeats, functools.partial(predict, model, dev_sentences, vocab, probabilities=False))
        probabilities_seconds, _ = best_of(repeats, functools.partial(predict, model, dev_sentences, vocab))
        result[kind].update(evaluation_seconds=evaluation_seconds, tags_words_per_s=n_dev_words / tags_seconds,
                            probabilities_words_per_s=n_dev_words / probabilities_seconds)
    return result


def udeval_f1(gold_path, system_path):
    """F1 (in %) of tokens, words and UPOS tags from udeval, the official UD scorer (udtools)."""
    from udtools.argparser import parse_args_scorer
    from udtools.udeval import evaluate_wrapper
    # The tagger predicts no tree: the files we score have HEAD 0 on every word, so many roots.
    scores = evaluate_wrapper(parse_args_scorer(["--multiple-roots-okay", str(gold_path), str(system_path)]))
    return {name: 100 * scores[name].f1 for name in ("Tokens", "Words", "UPOS")}


def nltk_tokens(text):
    """NLTK's TreebankWordTokenizer as Tokens of one word each, located in the original text."""
    from nltk.tokenize import TreebankWordTokenizer
    from tagger.tokenizer import Token
    spans = list(TreebankWordTokenizer().span_tokenize(text))
    return [Token(text[start:end], [text[start:end]], space_after=end == len(text) or text[end].isspace())
            for start, end in spans]


def run_raw_text_row(dev_path, model_path):
    """Score the recipe's model with udeval: on the treebank's tokens, and from raw text.

    From raw text, each dev sentence's `# text` line is tokenized (by tagger/tokenizer.py or by NLTK),
    tagged and written as CoNLL-U; the speed counts reading that text from a file, tokenizing,
    tagging and writing CoNLL-U, best of 3.
    """
    from tagger.checkpoint import load_checkpoint
    from tagger.data import read_tag_sets, read_text, replace_tags
    from tagger.tokenizer import tokenize
    from tagger.evaluation import evaluate
    model, vocab = load_checkpoint(model_path)
    dev_text = read_text(dev_path)
    result = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        texts = re.findall(r"^# text = (.*)$", dev_text, flags=re.M)
        (folder / "dev.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
        # Timed first, before the scoring below fills this process's memory.
        for name, tokenize_line in (("ours", tokenize), ("nltk", nltk_tokens)):
            seconds, n_words = best_of(3, functools.partial(tag_raw_text_file, model, vocab, tokenize_line,
                                                            folder / "dev.txt", folder / f"{name}.conllu"))
            result[name] = {"words_per_s": n_words / seconds}
        for name in ("ours", "nltk"):
            result[name].update(udeval_f1(dev_path, folder / f"{name}.conllu"))
        evaluation = evaluate(model, *read_tag_sets(dev_path), vocab)["upos"]
        result["accuracy"] = evaluation.accuracy * 100
        # evaluation.predicted holds every predicted tag in file order, as replace_tags takes them.
        gold_tokens = replace_tags(dev_text, {"upos": evaluation.predicted})
        (folder / "gold-tokens.conllu").write_text(gold_tokens, encoding="utf-8")
        result["gold_tokens_upos"] = udeval_f1(dev_path, folder / "gold-tokens.conllu")["UPOS"]
    return result


def tag_raw_text_file(model, vocab, tokenize_line, text_path, conllu_path):
    """Tokenize and tag each line of a text file, write CoNLL-U (HEAD 0); return the number of words."""
    from tagger import tag
    from tagger.data import LineReader, conllu_sentence
    reader = LineReader(text_path)  # read as tagger.tag reads: only "\n" ends a line
    tokenized = list(tag.tokenized_lines(tag.text_lines(reader), tokenize_line, reader.name))
    tagged = tag.tag_lines(model, tokenized, vocab)
    conllu_path.write_text("".join(conllu_sentence(line, tokens, tags, head="0")
                                   for (line, _), (tokens, tags) in zip(tokenized, tagged) if tokens),
                           encoding="utf-8")
    return sum(len(tag.words_of(tokens)) for tokens, _ in tagged)


def repeated_to_size(text, megabytes, path):
    """Write `text` over and over to `path` until it holds `megabytes` MB; return how many copies."""
    copies = max(1, round(megabytes * 2**20 / len(text.encode("utf-8"))))
    with open(path, "w", encoding="utf-8") as file:
        for _ in range(copies):
            file.write(text)
    return copies


def measured_run(argv, stdin_path):
    """Run a command with standard input from a file and its output thrown away: (seconds, peak MB of it).

    The peak is the child's own high-water mark (VmHWM in /proc, read as it runs): the rusage of a
    child also counts the memory this process had when it started the child.
    """
    with open(stdin_path, "rb") as stdin, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr, cwd=Path(__file__).parent)
        peak_kb = 0
        while process.poll() is None:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
                peak_kb = max(peak_kb, int(re.search(r"^VmHWM:\s+(\d+) kB", status, flags=re.M).group(1)))
            except (OSError, AttributeError):  # just ended, or not Linux
                pass
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            stderr.seek(0)
            raise RuntimeError(f"{' '.join(argv)} failed: {stderr.read().decode()}")
    return seconds, peak_kb / 2**10


def seconds_until_tags_during_a_pause(model_path, lines):
    """A producer writes `lines` to python -m tagger.tag and then waits: seconds until all their tags have come back."""
    process = subprocess.Popen([sys.executable, "-m", "tagger.tag", str(model_path), "-"], cwd=Path(__file__).parent,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def produce():
        process.stdin.write("".join(lines).encode())
        process.stdin.flush()  # and then wait: the input stays open
    start = time.perf_counter()
    writer = threading.Thread(target=produce)  # writes while this thread reads the tags
    writer.start()
    for _ in lines:
        process.stdout.readline()  # the input is still open: only streaming gets us past this
    seconds = time.perf_counter() - start
    writer.join()
    process.stdin.close()
    process.stdout.read()
    process.wait()
    return seconds


def accuracy_with_and_without_the_word_bound(model, vocab, dev_path):
    """Dev UPOS and XPOS accuracy with the character LSTM reading at most MAX_WORD_CHARS characters of
    a word, and reading all of them; and how many dev tokens are longer than that."""
    from tagger.batches import MAX_WORD_CHARS
    from tagger.data import read_tag_sets
    from tagger.evaluation import evaluate
    sentences, gold = read_tag_sets(dev_path, vocab.tag_sets)
    figures = {"chars": MAX_WORD_CHARS,
               "longer_tokens": sum(len(word) > MAX_WORD_CHARS for words in sentences for word in words)}
    for name, max_chars in (("with", MAX_WORD_CHARS), ("without", 10**9)):
        results = evaluate(model, sentences, gold, vocab, max_word_chars=max_chars)
        figures[name] = {tag_set: result.accuracy for tag_set, result in results.items()}
    return figures


def run_streaming_row(dev_path, model_path):
    """python -m tagger.tag on dev's raw text and on dev's CoNLL-U, each repeated to every size of STREAMING_MB (in
    child processes: wall time, words/s, peak memory); chunk sizes against speed; a 2-million-character
    token; and how soon a producer that writes 20,000 sentences and then waits gets their tags."""
    import contextlib
    import io
    from tagger import tag
    from tagger.data import read_tag_sets, read_text
    from tagger.checkpoint import load_checkpoint
    from tagger.tokenizer import tokenize
    tag_command = ["-m", "tagger.tag"]  # run from this folder (measured_run's cwd)
    dev_conllu = read_text(dev_path)
    texts = re.findall(r"^# text = (.*)$", dev_conllu, flags=re.M)
    raw_text = "\n".join(texts) + "\n"
    words = {"raw": sum(len(tag.words_of(tokenize(line))) for line in texts),
             "conllu": sum(map(len, read_tag_sets(dev_path)[0]))}
    result = {"runs": [], "chunks": []}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for megabytes in STREAMING_MB:
            for kind, text, options in (("raw", raw_text, ["-", "--conllu"]), ("conllu", dev_conllu, ["--tag-conllu", "-"])):
                path = folder / f"{kind}-{megabytes}.txt"
                copies = repeated_to_size(text, megabytes, path)
                seconds, peak = measured_run([sys.executable, *tag_command, str(model_path), *options], path)
                result["runs"].append({"input": kind, "mb": path.stat().st_size / 2**20, "words": copies * words[kind],
                                       "seconds": seconds, "words_per_s": copies * words[kind] / seconds,
                                       "peak_mb": peak})
        path = folder / f"raw-{STREAMING_MB[0]}.txt"
        n_words = result["runs"][0]["words"]
        model, vocab = load_checkpoint(model_path)
        args = tag.parse_args([str(model_path), "-", "--conllu"])
        for chunk_words in CHUNK_SIZES:
            with open(path, "rb") as stdin, contextlib.redirect_stdout(io.StringIO()):
                seconds, _ = best_of(1, functools.partial(tag.tag_text, model, vocab, args, "cpu", chunk_words, stdin))
            result["chunks"].append({"chunk_words": chunk_words, "words_per_s": n_words / seconds})
        result["word_bound"] = accuracy_with_and_without_the_word_bound(model, vocab, dev_path)
        (folder / "long.txt").write_text("a" * LONG_TOKEN_CHARS + "\n", encoding="utf-8")
        seconds, peak = measured_run([sys.executable, *tag_command, str(model_path), "-"], folder / "long.txt")
        result["long_token"] = {"chars": LONG_TOKEN_CHARS, "seconds": seconds, "peak_mb": peak}
        lines = [texts[i % len(texts)] + "\n" for i in range(PAUSE_SENTENCES)]
        result["pause"] = {"sentences": PAUSE_SENTENCES,
                           "seconds": seconds_until_tags_during_a_pause(model_path, lines)}
    return result


def run_one(name, train_path, dev_path, epochs, model_path):
    """Child process: run one row and print its figures as one JSON line."""
    from tagger.training import subnormals_flushed_to_zero
    with subnormals_flushed_to_zero():  # as tagger.train trains (before any torch work: see there)
        result = measure_row(name, train_path, dev_path, epochs, model_path)
    result["peak_mb"] = peak_memory_mb()
    print(json.dumps(result))


def measure_row(name, train_path, dev_path, epochs, model_path):
    """The figures of one row, measured in this process."""
    if name == RAW_TEXT_ROW:
        result = run_raw_text_row(dev_path, model_path)
    elif name == LEARNING_CURVE_ROW:
        result = run_learning_curve_row(train_path, dev_path, epochs)
    elif name == ADAM_ROW:
        result = run_adam_step_row(train_path)
    elif name == STEP_COST_ROW:
        result = run_step_cost_row(train_path)
    elif name == CRF_FORWARD_ROW:
        result = run_crf_forward_row(dev_path)
    elif name == CRF_COST_ROW:
        result = run_crf_cost_row(train_path, dev_path, model_path)
    elif name == STREAMING_ROW:
        result = run_streaming_row(dev_path, model_path)
    elif name in SPEED_ROWS:
        result = run_speed_row(*SPEED_ROWS[name], train_path)
    elif name in ("most-frequent-tag", "nltk-perceptron", "nltk-perceptron-xpos"):
        result = run_classic_row(name, train_path, dev_path)
    else:
        result = run_neural_row(name, train_path, dev_path, epochs, model_path if name == "bilstm-chars" else None)
    return result


def machine_description():
    """One line about the machine the figures were measured on."""
    import torch
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), flags=re.M)
        cpu = names[0] if names else cpu
    return (f"{cpu}, {torch.get_num_threads()} torch threads, Python {platform.python_version()}, "
            f"torch {torch.__version__}")


def print_table(results):
    """Print the machine, the recipe, the results table and the training-speed table."""
    rows = results["rows"]
    print(f"machine: {results['machine']}")
    print(f"recipe: {results['recipe']}")
    print()
    print("| tagger | dev UPOS accuracy | dev XPOS accuracy | unseen words | training time | training tokens/s"
          " | tagging tokens/s | peak memory |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, description in ROWS.items():
        if name in rows:
            r = rows[name]
            upos = f"{r['accuracy']:.2%}" if "accuracy" in r else "-"
            xpos = f"{r['xpos_accuracy']:.2%}" if "xpos_accuracy" in r else "-"
            print(f"| {description} | {upos} | {xpos} | {r['unseen']:.2%} | {r['train_seconds']:.0f} s"
                  f" | {r['train_tokens_per_s']:,.0f} | {r['tag_tokens_per_s']:,.0f} | {r['peak_mb']:,.0f} MB |")
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
            slow, fast = (rows[f"{model}-batch-{size}"]["train_tokens_per_s"] for size in BATCH_SIZES)
            print(f"| {ROWS[model]} | {slow:,.0f} | {fast:,.0f} | {fast / slow:.1f}x |")
    if RAW_TEXT_ROW in rows:
        raw = rows[RAW_TEXT_ROW]
        print()
        print("The recipe's model on dev, scored by udeval (the official UD scorer); on the treebank's own"
              f" tokens its UPOS F1 is {raw['gold_tokens_upos']:.2f}, our accuracy {raw['accuracy']:.2f}.")
        print("From raw text (each sentence's `# text` line), read, tokenized, tagged and written as CoNLL-U:")
        print()
        print("| tokenizer | Tokens F1 | Words F1 | UPOS F1 | words/s |")
        print("| --- | --- | --- | --- | --- |")
        for name, description in (("ours", "tagger/tokenizer.py"), ("nltk", "NLTK TreebankWordTokenizer")):
            r = raw[name]
            print(f"| {description} | {r['Tokens']:.2f} | {r['Words']:.2f} | {r['UPOS']:.2f} | {r['words_per_s']:,.0f} |")
    print_probability_tables(rows)
    print_learning_curve(rows)
    if ADAM_ROW in rows:
        adam = rows[ADAM_ROW]
        print()
        print(f"Adam step on the recipe's model ({adam['parameters']:,} weights, every one with a random gradient;"
              f" mean over {ADAM_STEPS} steps): fused {adam['fused_ms']:.2f} ms, default {adam['default_ms']:.2f} ms"
              f" ({adam['default_ms'] / adam['fused_ms']:.1f}x)")
    print_step_cost(rows)
    print_crf_comparison(rows)
    print_seeds(rows)
    print_streaming(rows)
    print()
    print(f"The training times of all the rows above, added up: {total_training_minutes(rows):.0f} minutes.")


def print_streaming(rows):
    """The streaming row: tagger.tag's memory and speed by input size, chunk sizes, a long token, a pause."""
    if STREAMING_ROW not in rows:
        return
    row = rows[STREAMING_ROW]
    print()
    print("python -m tagger.tag with the recipe's model on dev's raw text (`- --conllu`) and on dev's CoNLL-U (`--tag-conllu -`),"
          " repeated to size, read from standard input:")
    print()
    print("| input | size | words | wall time | words/s | peak memory |")
    print("| --- | --- | --- | --- | --- | --- |")
    for run in row["runs"]:
        kind = "raw text" if run["input"] == "raw" else "CoNLL-U"
        print(f"| {kind} | {run['mb']:,.0f} MB | {run['words']:,} | {run['seconds']:,.0f} s | {run['words_per_s']:,.0f}"
              f" | {run['peak_mb']:,.0f} MB |")
    print()
    print("Words per chunk against speed (raw text, the smallest size): "
          + ", ".join(f"{c['chunk_words']:,}: {c['words_per_s']:,.0f} words/s" for c in row["chunks"]))
    bound = row["word_bound"]
    print(f"The character LSTM reads at most {bound['chars']} characters of a word ({bound['longer_tokens']} dev"
          f" tokens are longer): dev UPOS {bound['with']['upos']:.2%}, XPOS {bound['with']['xpos']:.2%};"
          f" reading every character: UPOS {bound['without']['upos']:.2%}, XPOS {bound['without']['xpos']:.2%}.")
    long_token, pause = row["long_token"], row["pause"]
    print(f"One token of {long_token['chars']:,} characters: {long_token['seconds']:.1f} s,"
          f" peak memory {long_token['peak_mb']:,.0f} MB.")
    print(f"A producer writes {pause['sentences']:,} sentences and waits: all their tags are back after"
          f" {pause['seconds']:.1f} s, while it still waits.")


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


def print_learning_curve(rows):
    """Dev accuracy and training time of the recipe and NLTK's perceptron by the amount of training data."""
    if LEARNING_CURVE_ROW not in rows or "bilstm-chars" not in rows or "nltk-perceptron" not in rows:
        return
    print()
    print("Learning curve: trained on the first part of the training sentences, scored on all of dev:")
    print()
    print("| training sentences | training tokens | the recipe: dev UPOS | its training time"
          " | NLTK perceptron: dev UPOS | its training time |")
    print("| --- | --- | --- | --- | --- | --- |")
    points = learning_curve_points(rows)
    for point in points:
        recipe, nltk = point["recipe"], point["nltk"]
        print(f"| {point['sentences']:,} | {point['tokens']:,} | {recipe['accuracy']:.2%} | {recipe['train_seconds']:.0f} s"
              f" | {nltk['accuracy']:.2%} | {nltk['train_seconds']:.0f} s |")
    print()
    gains = {name: ", ".join(f"{100 * (after[name]['accuracy'] - before[name]['accuracy']):+.2f}"
                             for before, after in zip(points, points[1:])) for name in ("recipe", "nltk")}
    print(f"Dev UPOS gained per doubling of the training sentences, in points: the recipe {gains['recipe']};"
          f" NLTK's perceptron {gains['nltk']}.")
    fixed, per_token = straight_line([point["tokens"] for point in points],
                                     [point["recipe"]["train_seconds"] for point in points])
    print(f"A straight line through the recipe's (training tokens, training time) points: {fixed:.0f} s fixed"
          f" plus {1000 * per_token:.1f} s per 1,000 training tokens.")


def print_crf_comparison(rows):
    """The recipe with and without the CRF output layer, two seeds each, and the forward algorithm's speed."""
    present = [name for name in CRF_ROWS if "unseen_bigrams" in rows.get(name, {})]
    if any(name.startswith("crf") for name in present):
        print()
        print("The recipe with and without a CRF output layer, on dev (NLL and ECE of the UPOS probabilities: for the"
              " CRF, its marginals, so ECE scores each word's most probable tag, which need not be Viterbi's; unseen bigrams: predicted tag bigrams never seen in the training data, UPOS / XPOS):")
        print()
        print("| model | seed | dev UPOS | dev XPOS | NLL | ECE | training time | training tokens/s | tagging tokens/s"
              " | unseen bigrams |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name in present:
            r, (description, seed) = rows[name], CRF_ROWS[name]
            p = r["probabilities"]["as_trained"]
            print(f"| {description} | {seed} | {r['accuracy']:.2%} | {r['xpos_accuracy']:.2%} | {p['nll']:.4f}"
                  f" | {p['ece']:.4f} | {r['train_seconds']:.0f} s | {r['train_tokens_per_s']:,.0f}"
                  f" | {r['tag_tokens_per_s']:,.0f} | {r['unseen_bigrams']['upos']} / {r['unseen_bigrams']['xpos']} |")
        gold = rows[present[0]]["unseen_gold_bigrams"]
        print()
        print(f"Dev's own gold tags hold {gold['upos']} / {gold['xpos']} bigrams never seen in training.")
        if len(present) == len(CRF_ROWS):
            print(crf_summary(rows))
    if CRF_COST_ROW in rows:
        softmax, crf = rows[CRF_COST_ROW]["softmax"], rows[CRF_COST_ROW]["crf"]
        per_epoch = {kind: r["epoch_seconds"] + r["evaluation_seconds"] for kind, r in (("softmax", softmax), ("crf", crf))}
        print()
        print(f"The recipe's trained model, its output layers as trained and replaced by CRFs: a training epoch and the"
              f" dev evaluation after it {per_epoch['softmax']:.1f} s and {per_epoch['crf']:.1f} s (the CRF adds"
              f" {per_epoch['crf'] / per_epoch['softmax'] - 1:.0%}); tagging dev, tags only (tagger.tag)"
              f" {softmax['tags_words_per_s']:,.0f} and {crf['tags_words_per_s']:,.0f} words/s"
              f" ({crf['tags_words_per_s'] / softmax['tags_words_per_s']:.0%}), with probabilities (--eval)"
              f" {softmax['probabilities_words_per_s']:,.0f} and {crf['probabilities_words_per_s']:,.0f} words/s"
              f" ({crf['probabilities_words_per_s'] / softmax['probabilities_words_per_s']:.0%}).")
    if CRF_FORWARD_ROW in rows:
        f = rows[CRF_FORWARD_ROW]
        print()
        print(f"log Z of the first {f['sentences']} dev sentences ({f['tags']} tags, random scores): batched forward"
              f" algorithm {f['batched']:.4f} s, one sentence and one tag at a time {f['loop']:.2f} s"
              f" ({f['loop'] / f['batched']:.0f}x), largest difference {f['difference']:.1e}")


def mean_of(rows, names, key):
    """The mean of one figure over some rows (the seeds of one setting)."""
    return sum(rows[name][key] for name in names) / len(names)


def crf_summary(rows):
    """Mean accuracies over the two seeds, the recipe's seed-to-seed spread, and the CRF's cost in speed."""
    softmax, crf = ("bilstm-chars", "bilstm-chars-seed-2"), ("crf", "crf-seed-2")
    spread = {key: abs(rows[softmax[0]][key] - rows[softmax[1]][key]) for key in ("accuracy", "xpos_accuracy")}
    speeds = {key: mean_of(rows, crf, key) / mean_of(rows, softmax, key)
              for key in ("train_tokens_per_s", "tag_tokens_per_s")}
    return (f"Mean of the two seeds, UPOS / XPOS: the recipe {mean_of(rows, softmax, 'accuracy'):.2%} /"
            f" {mean_of(rows, softmax, 'xpos_accuracy'):.2%}, with a CRF {mean_of(rows, crf, 'accuracy'):.2%} /"
            f" {mean_of(rows, crf, 'xpos_accuracy'):.2%}; the recipe's two seeds differ by {100 * spread['accuracy']:.2f} /"
            f" {100 * spread['xpos_accuracy']:.2f} points. With a CRF, training runs at"
            f" {speeds['train_tokens_per_s']:.0%} of the recipe's tokens/s and tagging at {speeds['tag_tokens_per_s']:.0%}.")


def print_seeds(rows):
    """The recipe with three seeds and the wide variant with two: each seed's dev accuracies, mean and range.

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
        each = ", ".join(f"seed {seed}: {points(name, 'accuracy'):.2f}% / {points(name, 'xpos_accuracy'):.2f}% in"
                         f" {rows[name]['train_seconds'] / 60:.1f} min" for name, seed in seed_rows.items())
        summary = []
        for key in ("accuracy", "xpos_accuracy"):
            values = [points(name, key) for name in seed_rows]
            summary.append(f"{sum(values) / len(values):.2f}% (range {max(values) - min(values):.2f} points)")
        print()
        print(f"{title}, dev UPOS / XPOS and training time: {each}. Mean: UPOS {summary[0]}, XPOS {summary[1]}.")
    matched = [name for name, seed in SEED_ROWS.items() if seed in WIDE_ROWS.values()]
    if all(name in rows for name in [*matched, *WIDE_ROWS]):
        gains = [sum(points(name, key) for name in WIDE_ROWS) / len(WIDE_ROWS)
                 - sum(points(name, key) for name in matched) / len(matched) for key in ("accuracy", "xpos_accuracy")]
        time_ratio = mean_of(rows, WIDE_ROWS, "train_seconds") / mean_of(rows, matched, "train_seconds")
        print(f"The wide model's mean minus the recipe's, on the same seeds ({', '.join(map(str, WIDE_ROWS.values()))}):"
              f" UPOS {gains[0]:+.2f}, XPOS {gains[1]:+.2f} points, for {time_ratio - 1:.0%} more training time.")


def print_step_cost(rows):
    """The parts of a batch-size-1 training step, and the fixed part a batch of 32 shares."""
    if STEP_COST_ROW not in rows:
        return
    short, long = STEP_COST_LENGTHS
    print()
    print(f"One training step at batch size 1, in milliseconds (median of 30): forward, loss and backward on a"
          f" training sentence of {short} and of {long} words, the part of it that does not grow with the length"
          f" (the line through the two, at 0 words), and the Adam step:")
    print()
    print(f"| model | forward + backward, {short} words | {long} words | fixed part | Adam step |")
    print("| --- | --- | --- | --- | --- |")
    for row in NEURAL_ROWS:
        r = rows[STEP_COST_ROW][row]
        fixed, _ = straight_line(STEP_COST_LENGTHS, [r[f"forward_backward_{n}_ms"] for n in STEP_COST_LENGTHS])
        print(f"| {ROWS[row]} | {r[f'forward_backward_{short}_ms']:.2f} | {r[f'forward_backward_{long}_ms']:.2f}"
              f" | {fixed:.2f} | {r['adam_ms']:.2f} |")


def straight_line(xs, ys):
    """The least-squares line through the points (xs, ys): (intercept, slope)."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
             / sum((x - mean_x) ** 2 for x in xs))
    return mean_y - slope * mean_x, slope


def total_training_minutes(rows):
    """The training times of all the stored rows, learning-curve points included, added up, in minutes."""
    seconds = sum(row.get("train_seconds", 0.0) for row in rows.values())
    for point in rows.get(LEARNING_CURVE_ROW, {}).get("points", []):
        seconds += point["recipe"]["train_seconds"] + point["nltk"]["train_seconds"]
    return seconds / 60


def learning_curve_points(rows):
    """The learning-curve row's points, and the whole training split's from the recipe and NLTK rows."""
    whole = {"sentences": rows[LEARNING_CURVE_ROW]["sentences"], "tokens": rows[LEARNING_CURVE_ROW]["tokens"],
             "recipe": rows["bilstm-chars"], "nltk": rows["nltk-perceptron"]}
    return [*rows[LEARNING_CURVE_ROW]["points"], whole]


DEFAULT_RESULTS = Path(__file__).with_name("benchmark_results.json")


def read_results(path):
    """The figures saved in the results file; a missing, unreadable or malformed one is an InputError."""
    from tagger.errors import InputError
    try:
        results = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the results: {getattr(error, 'strerror', None) or error}") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path} line {error.lineno}: not a results file: {error.msg}") from None
    if not isinstance(results, dict) or not isinstance(results.get("rows"), dict):
        raise InputError(f"{path}: not a results file: it has no rows")
    return results


def main(argv=None):
    """Run the rows, each in its own child process, save the figures and print the table."""
    parser = argparse.ArgumentParser(description="Measure taggers on UD English EWT.")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parent),
                        help=f"folder holding {TRAIN_FILE} and {DEV_FILE} (default: the folder of benchmark.py,"
                             " where the README's 'Get the data' puts them)")
    parser.add_argument("--rows", nargs="+", default=ALL_ROWS, choices=ALL_ROWS,
                        help="rows to run (default: all)")
    parser.add_argument("--epochs", type=AT_LEAST_ONE, help="epochs for the neural rows (default: the recipe's)")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS,
                        help="JSON file the figures are saved to (rows not run are kept) (default: benchmark_results.json)")
    parser.add_argument("--model", default=str(Path(__file__).with_name("benchmark_recipe.pt")),
                        help="the recipe row saves its model here, and the raw-text row tags with it"
                             " (default: benchmark_recipe.pt)")
    parser.add_argument("--show", action="store_true", help="print the table from --results without measuring")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # used by the child processes
    args = parser.parse_args(argv)
    train_path, dev_path = Path(args.data) / TRAIN_FILE, Path(args.data) / DEV_FILE
    results_path = Path(args.results)
    if args.one:
        run_one(args.one, train_path, dev_path, args.epochs, args.model)
        return
    if args.show:
        print_table(read_results(results_path))
        return
    if args.epochs is not None and results_path == DEFAULT_RESULTS:
        parser.error("--epochs gives other figures than the recipe's: save them elsewhere with --results FILE")
    for path in (train_path, dev_path):
        if not path.exists():
            sys.exit(f"error: {path}: no such file; copy the EWT files there (README: Get the data) or give"
                     " their folder with --data")

    results = read_results(results_path) if results_path.exists() else {"rows": {}}
    results["rows"] = {name: row for name, row in results["rows"].items() if name in ALL_ROWS}
    results["machine"] = machine_description()
    results["recipe"] = RECIPE_COMMAND
    results["recipe_file"] = RECIPE_FILE.read_text(encoding="utf-8")
    for name in args.rows:
        epochs = ["--epochs", str(args.epochs)] if args.epochs is not None else []
        child = subprocess.run([sys.executable, __file__, "--data", args.data, *epochs,
                                "--model", args.model, "--one", name], capture_output=True, text=True)
        if child.returncode != 0:
            sys.exit(f"error: row {name} failed:\n{child.stderr}")
        results["rows"][name] = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{name}: {results['rows'][name]}", file=sys.stderr, flush=True)
        # Under a new name of its own, then renamed: an interrupted run never leaves half a file of figures.
        write_bytes_atomically((json.dumps(results, indent=1) + "\n").encode("utf-8"), results_path, results_path)
    print_table(results)


if __name__ == "__main__":
    run_cleanly(main)  # `python benchmark.py --show | head` ends quietly
