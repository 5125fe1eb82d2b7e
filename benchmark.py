"""Train and measure taggers on UD English EWT and print the README's results table.

    pip install -r requirements-bench.txt
    python benchmark.py              # EWT's train and dev files next to this script; saves benchmark_results.json
    python benchmark.py --data DIR   # the EWT files in another folder
    python benchmark.py --show       # print the table again from benchmark_results.json

A full run takes more than 40 minutes on 2 CPU cores: the training times of the rows stored in
benchmark_results.json add up to 39 minutes (`--show` prints that sum), and tagging, scoring and
starting each row's process come on top.

Each row runs in a child process of its own, one after another, so that its peak memory is
its own and no two torch processes compete for the CPU. Run it alone on the machine.
"""
import argparse
import contextlib
import functools
import io
import json
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

TRAIN_FILE, DEV_FILE = "en_ewt-ud-train.conllu", "en_ewt-ud-dev.conllu"
# The README's recipe, less --train, --dev and --save (None marks a switch that takes no value).
RECIPE = {"--loss": "nll", "--optimizer": "adam", "--lr": 0.002, "--lr-decay": 0.93, "--batch-size": 32,
          "--epochs": 28, "--embedding-dim": 100, "--hidden-dim": 128, "--bidirectional": None,
          "--lowercase": None, "--chars": None, "--char-embedding-dim": 32, "--char-hidden-dim": 100,
          "--dropout": 0.33, "--unk-alpha": 1, "--clip-grad": 5, "--xpos": None, "--seed": 1}
CHAR_OPTIONS = ("--chars", "--char-embedding-dim", "--char-hidden-dim")
ROWS = {
    "most-frequent-tag": "most frequent tag per word (unknown words: the most common tag)",
    "nltk-perceptron": "NLTK averaged perceptron (5 iterations)",
    "nltk-perceptron-xpos": "NLTK averaged perceptron on XPOS tags (5 iterations)",
    "day1-lstm": "Day-1 model: one-directional LSTM, words only",
    "bilstm": "BiLSTM, words only",
    "bilstm-chars": "BiLSTM + character LSTM (the recipe)",
}
NEURAL_ROWS = ("day1-lstm", "bilstm", "bilstm-chars")
BATCH_SIZES = (1, RECIPE["--batch-size"])  # one sentence at a time (the Day-1 loop) against the recipe's
# Training-speed rows: each neural model, one epoch at each batch size, e.g. "bilstm-chars-batch-32".
SPEED_ROWS = {f"{model}-batch-{size}": (model, size) for model in NEURAL_ROWS for size in BATCH_SIZES}
LABEL_SMOOTHING = 0.1
LABEL_SMOOTHING_ROW = "label-smoothing"  # the recipe trained with CrossEntropyLoss(label_smoothing=0.1)
LEARNING_CURVE_ROW = "learning-curve"  # the recipe and NLTK's perceptron on the first part of the training split
LEARNING_CURVE_PARTS = (8, 4, 2)  # 1/8, 1/4 and 1/2 of the sentences; all of them: the recipe and NLTK rows
ADAM_ROW = "adam-step"  # milliseconds per Adam step on the recipe's model, fused and not
STEP_COST_ROW = "step-cost"  # milliseconds of a batch-size-1 step's parts, for each neural model
STEP_COST_LENGTHS = (10, 40)  # sentence lengths, in words, whose steps are timed
RAW_TEXT_ROW = "raw-text"  # the recipe's model on dev's raw text, scored by the official UD scorer
ALL_ROWS = [*ROWS, *SPEED_ROWS, ADAM_ROW, STEP_COST_ROW, RAW_TEXT_ROW, LABEL_SMOOTHING_ROW, LEARNING_CURVE_ROW]
EPOCH_LINE = re.compile(r"^epoch +(\d+) \| loss ([\d.]+) \| dev accuracy ([\d.]+) .*\| dev nll ([\d.]+) \| dev ece ([\d.]+)",
                        flags=re.M)


def as_flags(options, leave_out=()):
    """Command-line flags from an options dict, without the options named in leave_out."""
    flags = []
    for name, value in options.items():
        if name not in leave_out:
            flags += [name] if value is None else [name, str(value)]
    return flags


def neural_flags(row, epochs, batch_size=RECIPE["--batch-size"]):
    """main.py flags for a neural row: the recipe with parts switched off."""
    options = dict(RECIPE, **{"--epochs": epochs, "--batch-size": batch_size})
    if row == "bilstm-chars":
        return as_flags(options)
    if row == LABEL_SMOOTHING_ROW:
        return as_flags(dict(options, **{"--loss": "ce", "--label-smoothing": LABEL_SMOOTHING}))
    if row == "bilstm":
        return as_flags(options, CHAR_OPTIONS + ("--xpos",))
    return as_flags(options, CHAR_OPTIONS + ("--bidirectional", "--xpos"))


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
    from data import UPOS, XPOS, read_conllu
    from evaluation import score_tags
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


def run_main(argv):
    """Run main.py's main() in this process; return its output, training seconds and training tokens.

    `--predict x` keeps the probability tables it prints before and after training to one word.
    """
    import main
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        main.main([*argv, "--predict", "x"])
    text = output.getvalue()
    training_seconds = float(re.search(r"training time: ([\d.]+) s", text).group(1))
    n_train_tokens = int(re.search(r"sentences, (\d+) tokens", text).group(1))
    return text, training_seconds, n_train_tokens


def run_neural_row(row, train_path, dev_path, epochs, keep_model=None):
    """Train a tagger through main.py's own code with the row's flags, then measure and examine it.

    keep_model: where to copy the trained model (the recipe's, for the raw-text row).
    """
    from checkpoint import load_checkpoint
    from data import read_tagged_sentences, read_xpos_tags
    from evaluation import score_tags
    from train import predict_tag_sets
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / "model.pt"
        start = time.perf_counter()
        text, training_seconds, n_train_tokens = run_main(
            ["--train", str(train_path), "--dev", str(dev_path), "--save", str(model_path), *neural_flags(row, epochs)])
        wall_seconds = time.perf_counter() - start
        model, vocab = load_checkpoint(model_path)
        if keep_model:
            shutil.copyfile(model_path, keep_model)
    history = [dict(epoch=int(epoch), loss=float(loss), dev_accuracy=float(accuracy), dev_nll=float(nll),
                    dev_ece=float(ece)) for epoch, loss, accuracy, nll, ece in EPOCH_LINE.findall(text)]

    def read_and_tag():
        dev_data = read_tagged_sentences(dev_path)
        return dev_data, predict_tag_sets(model, [words for words, _ in dev_data], vocab)
    tag_seconds, (dev_data, (predicted, predicted_xpos)) = best_of(3, read_and_tag)
    score = score_tags(dev_data, predicted, vocab.knows)
    best_epoch = max(history, key=lambda epoch: epoch["dev_accuracy"])["epoch"]  # the first, on a tie
    result = dict(accuracy=score.accuracy, unseen=score.unseen_accuracy, train_seconds=wall_seconds,
                  train_tokens_per_s=n_train_tokens * len(history) / training_seconds,
                  tag_tokens_per_s=sum(len(w) for w, _ in dev_data) / tag_seconds,
                  best_epoch=best_epoch, epochs=len(history), history=history)
    if predicted_xpos is not None:
        dev_xpos = list(zip([words for words, _ in dev_data], read_xpos_tags(dev_path)))
        result["xpos_accuracy"] = score_tags(dev_xpos, predicted_xpos, vocab.knows).accuracy
    result.update(examine(model, vocab, dev_data))
    return result


def examine(model, vocab, dev_data):
    """What the probabilities of a trained model mean on dev, before and after temperature scaling,
    and where it errs: the figures behind the README's calibration and error tables and figures."""
    from evaluation import (accuracy_by_frequency, calibration_bins, confusion_matrix, evaluate, fit_temperature,
                            probability_scores, rescale, top_confusions)
    result = evaluate(model, dev_data, vocab)  # at temperature 1: the checkpoint holds no other
    temperature = fit_temperature(result.log_probs, result.gold_ix)
    scaled = rescale(result.log_probs, temperature)
    # The matrix's tags: gold tags from the most frequent down, then any tag only ever predicted.
    tags = [tag for tag, _ in Counter(result.gold).most_common()]
    tags += sorted(set(result.predicted) - set(tags))
    return dict(probabilities={"as_trained": probability_scores(result.log_probs, result.gold_ix),
                               "scaled": probability_scores(scaled, result.gold_ix)},
                bins={"as_trained": calibration_bins(result.log_probs, result.gold_ix),
                      "scaled": calibration_bins(scaled, result.gold_ix)},
                temperature=temperature, confusions=top_confusions(result.gold, result.predicted),
                confusion_tags=tags, confusion_matrix=confusion_matrix(result.gold, result.predicted, tags),
                by_frequency=accuracy_by_frequency(result.words, result.gold, result.predicted, vocab.training_count))


def run_learning_curve_row(train_path, dev_path, epochs):
    """The recipe and NLTK's perceptron trained on the first 1/8, 1/4 and 1/2 of the training sentences."""
    from data import read_conllu, write_conllu_slice
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
    _, seconds, tokens = run_main(["--train", str(train_path), *neural_flags(model, 1, batch_size)])
    return dict(train_tokens_per_s=tokens / seconds, train_seconds=seconds, tokens=tokens)


def run_adam_step_row(train_path, steps=30):
    """Milliseconds per optimizer step on the recipe's model: fused Adam (main.py's) and the default.

    Every weight gets a random gradient, as the word embedding's dense gradient does in
    training; each optimizer takes `steps` timed steps after 3 untimed ones.
    """
    import torch
    import main
    from data import read_conllu, read_xpos_tags
    args = main.parse_args(["--train", str(train_path), *as_flags(RECIPE)])
    torch.manual_seed(args.seed)
    train_xpos = read_xpos_tags(train_path) if args.xpos else None
    model, _, _ = main.build_model(args, read_conllu(train_path), "cpu", train_xpos)
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
    import main
    from data import read_conllu, read_xpos_tags
    from train import make_batches
    training_data, train_xpos = read_conllu(train_path), read_xpos_tags(train_path)
    sentence_ids = [next(i for i, (words, _) in enumerate(training_data) if len(words) == length)
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
        args = main.parse_args(["--train", str(train_path), *neural_flags(row, 1, 1)])
        torch.manual_seed(args.seed)
        xpos = train_xpos if args.xpos else None
        model, vocab, _ = main.build_model(args, training_data, "cpu", xpos)
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, fused=True)
        loss_function = torch.nn.NLLLoss()
        figures = {}
        for length, i in zip(STEP_COST_LENGTHS, sentence_ids):
            words, tags = training_data[i]
            batch = make_batches([words], vocab, [tags], xpos_tags=[xpos[i]] if xpos else None)[0]

            def forward_and_backward():
                model.zero_grad()
                scores = model(batch.words, batch.lengths, batch.chars)
                if model.has_xpos:
                    scores, xpos_scores = scores
                    loss = loss_function(scores.flatten(0, 1), batch.tags.flatten()) + loss_function(
                        xpos_scores.flatten(0, 1), batch.xpos.flatten())
                else:
                    loss = loss_function(scores.flatten(0, 1), batch.tags.flatten())
                loss.backward()
            figures[f"forward_backward_{length}_ms"] = median_ms(forward_and_backward)
        figures["adam_ms"] = median_ms(optimizer.step)
        result[row] = figures
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
    from tokenizer import Token
    spans = list(TreebankWordTokenizer().span_tokenize(text))
    return [Token(text[start:end], [text[start:end]], space_after=end == len(text) or text[end].isspace())
            for start, end in spans]


def run_raw_text_row(dev_path, model_path):
    """Score the recipe's model with udeval: on the treebank's tokens, and from raw text.

    From raw text, each dev sentence's `# text` line is tokenized (by tokenizer.py or by NLTK),
    tagged and written as CoNLL-U; the speed counts reading that text from a file, tokenizing,
    tagging and writing CoNLL-U, best of 3.
    """
    from checkpoint import load_checkpoint
    from data import read_conllu, read_text, replace_upos
    from tokenizer import tokenize
    from evaluation import evaluate
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
        evaluation = evaluate(model, read_conllu(dev_path), vocab)
        result["accuracy"] = evaluation.accuracy * 100
        # evaluation.predicted holds every predicted tag in file order, as replace_upos takes them.
        (folder / "gold-tokens.conllu").write_text(replace_upos(dev_text, evaluation.predicted), encoding="utf-8")
        result["gold_tokens_upos"] = udeval_f1(dev_path, folder / "gold-tokens.conllu")["UPOS"]
    return result


def tag_raw_text_file(model, vocab, tokenize_line, text_path, conllu_path):
    """Tokenize and tag each line of a text file, write CoNLL-U (HEAD 0); return the number of words."""
    import main
    from data import conllu_sentence, read_text
    lines = read_text(text_path).splitlines()
    tagged = main.tag_lines(model, lines, vocab, tokenize_line)
    conllu_path.write_text("".join(conllu_sentence(line, tokens, tags, head="0", xpos_tags=xpos_tags)
                                   for line, (tokens, tags, xpos_tags) in zip(lines, tagged) if tags),
                           encoding="utf-8")
    return sum(len(tags) for _, tags, _ in tagged)


def run_one(name, train_path, dev_path, epochs, model_path):
    """Child process: run one row and print its figures as one JSON line."""
    if name == RAW_TEXT_ROW:
        result = run_raw_text_row(dev_path, model_path)
    elif name == LEARNING_CURVE_ROW:
        result = run_learning_curve_row(train_path, dev_path, epochs)
    elif name == ADAM_ROW:
        result = run_adam_step_row(train_path)
    elif name == STEP_COST_ROW:
        result = run_step_cost_row(train_path)
    elif name in SPEED_ROWS:
        result = run_speed_row(*SPEED_ROWS[name], train_path)
    elif name in ("most-frequent-tag", "nltk-perceptron", "nltk-perceptron-xpos"):
        result = run_classic_row(name, train_path, dev_path)
    else:
        result = run_neural_row(name, train_path, dev_path, epochs, model_path if name == "bilstm-chars" else None)
    result["peak_mb"] = peak_memory_mb()
    print(json.dumps(result))


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
        for name, description in (("ours", "tokenizer.py"), ("nltk", "NLTK TreebankWordTokenizer")):
            r = raw[name]
            print(f"| {description} | {r['Tokens']:.2f} | {r['Words']:.2f} | {r['UPOS']:.2f} | {r['words_per_s']:,.0f} |")
    print_probability_tables(rows)
    print_learning_curve(rows)
    if ADAM_ROW in rows:
        adam = rows[ADAM_ROW]
        print()
        print(f"Adam step on the recipe's model ({adam['parameters']:,} weights): fused {adam['fused_ms']:.2f} ms,"
              f" default {adam['default_ms']:.2f} ms ({adam['default_ms'] / adam['fused_ms']:.1f}x)")
    print_step_cost(rows)
    print()
    print(f"The training times of all the rows above, added up: {total_training_minutes(rows):.0f} minutes.")


def print_probability_tables(rows):
    """The recipe's probabilities on dev (as trained, temperature-scaled, with label smoothing) and its errors."""
    recipe = rows.get("bilstm-chars", {})
    if "probabilities" not in recipe:
        return
    print()
    print("The recipe's UPOS probabilities on dev (NLL, Brier and ECE as `python main.py --help` defines them):")
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


def main(argv=None):
    """Run the rows, each in its own child process, save the figures and print the table."""
    parser = argparse.ArgumentParser(description="Measure taggers on UD English EWT.")
    parser.add_argument("--data", default=str(Path(__file__).resolve().parent),
                        help=f"folder holding {TRAIN_FILE} and {DEV_FILE} (default: the folder of benchmark.py,"
                             " where the README's 'Get the data' puts them)")
    parser.add_argument("--rows", nargs="+", default=ALL_ROWS, choices=ALL_ROWS,
                        help="rows to run (default: all)")
    parser.add_argument("--epochs", type=int, default=RECIPE["--epochs"],
                        help=f"epochs for the neural rows (default: the recipe's {RECIPE['--epochs']})")
    parser.add_argument("--results", default=str(Path(__file__).with_name("benchmark_results.json")),
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
        print_table(json.loads(results_path.read_text()))
        return
    for path in (train_path, dev_path):
        if not path.exists():
            sys.exit(f"error: {path}: no such file; copy the EWT files there (README: Get the data) or give"
                     " their folder with --data")

    results = json.loads(results_path.read_text()) if results_path.exists() else {"rows": {}}
    results["rows"] = {name: row for name, row in results["rows"].items() if name in ALL_ROWS}
    results["machine"] = machine_description()
    results["recipe"] = f"python main.py --train {TRAIN_FILE} --dev {DEV_FILE} {' '.join(as_flags(RECIPE))} --save ewt.pt"
    for name in args.rows:
        child = subprocess.run([sys.executable, __file__, "--data", args.data, "--epochs", str(args.epochs),
                                "--model", args.model, "--one", name], capture_output=True, text=True)
        if child.returncode != 0:
            sys.exit(f"error: row {name} failed:\n{child.stderr}")
        results["rows"][name] = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{name}: {results['rows'][name]}", file=sys.stderr, flush=True)
        results_path.write_text(json.dumps(results, indent=1) + "\n")
    print_table(results)


if __name__ == "__main__":
    main()
