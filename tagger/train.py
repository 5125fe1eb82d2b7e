"""Train the real-data tagger (python -m tagger.train); python -m tagger.tag uses the model it
saves.

    python -m tagger.train                      # the Day-1 run, through the real-data machinery
    python -m tagger.train @recipes/ewt.txt --train en_ewt-ud-train.conllu \\
        --dev en_ewt-ud-dev.conllu --save ewt.pt
    python -m tagger.train --train TRAIN --dev DEV [options] --save MODEL.pt

@FILE reads options from FILE (a recipe: options separated by spaces or lines, '#' starts a
comment); options after it override it, and --no-chars, --no-xpos, ... switch its parts off.
"""
import copy
import time
from dataclasses import dataclass, field
from pathlib import Path

from tagger.batches import make_batches, word_count_tensor
from tagger.checkpoint import check_can_save, save_checkpoint
from tagger.cli import check_device, run_cleanly, seed_everything, show_path
from tagger.data import read_tag_sets
from tagger.errors import InputError
from tagger.evaluation import evaluate, probability_scores
from tagger.model import RealDataTagger
from tagger.predict import predict
from tagger.tokenizer import tokenize
from tagger.train_options import parse_args
from tagger.training import (build_model, make_optimizer, make_weight_average,
                             subnormals_flushed_to_zero, tag_set_names, train)
from tagger.vectors import coverage_line
from tagger.vocabulary import Vocabulary


def describe_settings(args):
    """The options that shape this run, as name=value (unused and switched-off ones left out)."""
    shown = []
    for name, value in vars(args).items():
        unused = name.startswith("char_") and not args.chars
        if value is None or value is False or name == "eval_batch_size" or unused:
            continue
        shown.append(f"{name}={show_path(value) if name == 'train' else value}")
    return " ".join(shown)


def print_probabilities(title, model, words, vocab, device):
    """Print the model's UPOS probabilities for one sentence, tag names as headers."""
    probabilities = predict(model, [words], vocab, device=device)["upos"].log_probs[0].exp()
    width = max(len(word) for word in words) + 2
    print(f"{title}:")
    print("word".ljust(width) + "".join(f"{tag:>8}" for tag in vocab.tag_to_ix))
    for word, row in zip(words, probabilities.tolist()):
        print(word.ljust(width) + "".join(f"{p:8.4f}" for p in row))


@dataclass
class TrainingRun:
    """What training produced and measured, for main() to save and benchmark.py to record."""
    model: RealDataTagger
    vocab: Vocabulary
    settings: dict
    training_seconds: float = 0.0  # in training epochs; dev evaluations left out
    n_train_tokens: int = 0
    history: list = field(default_factory=list)  # per epoch: loss and, with --dev, dev figures
    best_epoch: int | None = None  # the epoch kept, with --dev (UPOS accuracy decides)


def train_tagger(args, device, log=print, before_training=None):
    """Train a tagger as the options say and return the TrainingRun.

    log(...) prints progress (benchmark.py passes a quiet one); before_training(model, vocab),
    if given, is called once the untrained model exists.
    """
    sentences, gold_tags = read_tag_sets(args.train, tag_set_names(args))
    dev = read_tag_sets(args.dev, tag_set_names(args)) if args.dev else None
    for path, tag_sets in ((args.train, gold_tags), (args.dev, dev and dev[1])):
        if args.xpos and tag_sets is not None and "xpos" not in tag_sets:
            raise InputError(f"{path}: is CSV, which has no XPOS column: --xpos needs CoNLL-U")
    model, vocab, settings = build_model(args, sentences, gold_tags, device)
    run = TrainingRun(model, vocab, settings, n_train_tokens=sum(len(words) for words in sentences))
    log(f"training data: {show_path(args.train)}: {len(sentences)} sentences, "
        f"{run.n_train_tokens} tokens")
    if dev:
        log(f"dev data: {show_path(args.dev)}: {len(dev[0])} sentences, {sum(map(len, dev[0]))} "
            "tokens")
        if not any(tag in vocab.tag_to_ix for tags in dev[1]["upos"] for tag in tags):
            raise InputError(f"{args.dev}: none of its UPOS tags occurs in {args.train}: "
                             "the best epoch could not be chosen on it")
    if len(vocab.word_to_ix) <= 50:
        log(f"word_to_ix: {vocab.word_to_ix}")
        log(f"tag_to_ix: {vocab.tag_to_ix}")
    else:
        log(f"vocabulary: {len(vocab.word_to_ix)} words, "
            + ", ".join(f"{len(tags)} {name} tags" for name, tags in vocab.tag_sets.items())
            + (f", {len(vocab.char_to_ix)} characters" if vocab.char_to_ix else ""))
    if vocab.vector_to_ix:
        log(coverage_line(vocab, show_path(args.word_vectors), sentences, dev and dev[0]))
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters()) - trained
    log(f"model: {trained} parameters" + (f", and {frozen} frozen (the word vectors)"
                                          if frozen else ""))
    if before_training is not None:
        before_training(model, vocab)
    batches = make_batches(sentences, vocab, gold_tags, args.batch_size, device)
    # its first use imports more of torch: before the clock starts
    optimizer = make_optimizer(args, model)
    # With --ema the averaged weights are the model that is evaluated, kept and saved.
    averaged = make_weight_average(model, args.ema) if args.ema else None
    kept_model = averaged.module if averaged else model
    best_accuracy, best_state = -1.0, None
    start = epoch_start = time.perf_counter()

    def after_epoch(epoch, mean_loss):
        nonlocal best_accuracy, best_state, epoch_start
        epoch_seconds = time.perf_counter() - epoch_start
        run.training_seconds += epoch_seconds
        figures = {"epoch": epoch, "loss": mean_loss, "seconds": epoch_seconds}
        if dev is None:
            if epoch % args.log_every == 0 or epoch == args.epochs:
                log(f"epoch {epoch:3d} | loss {mean_loss:.4f}")
        else:
            results = evaluate(kept_model, *dev, vocab, args.eval_batch_size, device)
            upos = results["upos"]
            improved = upos.accuracy > best_accuracy  # UPOS decides, with or without --xpos
            if improved:
                best_accuracy, run.best_epoch = upos.accuracy, epoch
                best_state = copy.deepcopy(kept_model.state_dict())
                if args.save:
                    save_checkpoint(args.save, kept_model, settings, vocab)
            # Held-out NLL and ECE: confidence can keep growing after accuracy stops improving.
            scores = probability_scores(upos.log_probs, upos.gold_ix)
            figures.update(dev_accuracy=upos.accuracy, dev_nll=scores["nll"], dev_ece=scores["ece"])
            log(f"epoch {epoch:3d} | loss {mean_loss:.4f} | "
                + " | ".join(f"dev {name} {result.accuracy:.4f}"
                             for name, result in results.items())
                + f" | dev nll {scores['nll']:.4f} | dev ece {scores['ece']:.4f}"
                f" | {run.n_train_tokens / epoch_seconds:,.0f} tokens/s"
                f" | {time.perf_counter() - start:.1f} s" + (" | best" if improved else ""),
                flush=True)
        run.history.append(figures)
        epoch_start = time.perf_counter()

    train(model, batches, optimizer, args.epochs, clip_grad=args.clip_grad,
          lr_decay=args.lr_decay, word_counts=word_count_tensor(vocab).to(device),
          unk_alpha=args.unk_alpha,
          after_epoch=after_epoch, progress=dev is not None, averaged_model=averaged)
    if best_state is not None:
        model.load_state_dict(best_state)  # keep the best epoch's model, the one that was saved
        log(f"best dev accuracy: {best_accuracy:.4f}")
    else:
        if averaged:
            model.load_state_dict(averaged.module.state_dict())  # keep the average, as with --dev
        if args.save:
            save_checkpoint(args.save, model, settings, vocab)
    return run


def main(argv=None):
    """Train as the command line says, printing as it goes.

    A bad file ends with one line on stderr, exit code 2; a bad option, as argparse does it, with
    the usage summary and then one line, also exit code 2.
    """
    args = parse_args(argv, description=__doc__)
    saved_before = modification_time(args.save)

    def work():
        if args.save:
            check_can_save(args.save)  # now, not after the training
        device = check_device(args.device)
        seed_everything(args.seed)  # before anything random happens
        print("settings: " + describe_settings(args))
        words = [word for token in tokenize(args.predict) for word in token.words]
        run = train_tagger(args, device, before_training=lambda model, vocab: print_probabilities(
            "probabilities before training", model, words, vocab, device))
        print_probabilities("probabilities after training", run.model, words, run.vocab, device)
        print(f"training time: {run.training_seconds:.2f} s")
        tags = [prediction.tags[0] for prediction in predict(run.model, [words], run.vocab,
                                                             device=device).values()]
        print(" ".join("/".join(word_tags) for word_tags in zip(words, *tags)))

    def what_was_saved():
        if args.save and modification_time(args.save) not in (None, saved_before):
            return (f"{args.save} holds the best model so far "
                    "(--dev saves the best epoch's as it goes)")
        return "nothing was saved"

    # First, before any torch work starts PyTorch's CPU threads (see subnormals_flushed_to_zero).
    with subnormals_flushed_to_zero():
        run_cleanly(work, what_was_saved)


def modification_time(path):
    """When the file at `path` was last written (None: no path, or no file there)."""
    try:
        return Path(path).stat().st_mtime_ns if path else None
    except OSError:
        return None


if __name__ == "__main__":
    main()
