"""Train the real-data tagger (python -m tagger.train); python -m tagger.tag uses the model it
saves.

    python -m tagger.train                      # the Day-1 run, through the real-data machinery
    python -m tagger.train @recipes/ewt.txt --train en_ewt-ud-train.conllu \\
        --dev en_ewt-ud-dev.conllu --save ewt.pt
    python -m tagger.train --train TRAIN --dev DEV [options] --save MODEL.pt

@FILE reads options from FILE (a recipe: options separated by spaces or lines, '#' starts a
comment); options after it override it, and --no-chars, --no-xpos, ... switch its parts off.
"""
import argparse
import copy
import time
from dataclasses import dataclass, field
from pathlib import Path

from tagger.batches import make_batches, word_count_tensor
from tagger.checkpoint import check_can_save, save_checkpoint
from tagger.cli import (AT_LEAST_ONE, BELOW_ONE, DIMENSION, LEARNING_RATE, SEED, UP_TO_A_MILLION,
                        UP_TO_ONE,
                        RecipeParser, add_device_option, check_device, check_path, run_cleanly,
                        same_file,
                        seed_everything, show_path)
from tagger.data import read_tag_sets
from tagger.errors import InputError
from tagger.evaluation import evaluate, probability_scores
from tagger.model import RealDataTagger
from tagger.predict import predict
from tagger.tokenizer import tokenize
from tagger.training import (build_model, make_optimizer, make_weight_average,
                             subnormals_flushed_to_zero, tag_set_names,
                             train)
from tagger.vocabulary import Vocabulary

DEFAULT_TRAIN = Path(__file__).resolve().parent.parent / "train.csv"
DEFAULT_SENTENCE = "The dog ate the book"


def parse_args(argv=None):
    """The command line; the defaults are main.py's Day-1 settings."""
    parser = RecipeParser(prog="python -m tagger.train", description=__doc__,
                          epilog="Every number must be finite and in the range its help gives.")
    switch = dict(action=argparse.BooleanOptionalAction, default=False)  # --chars, and --no-chars
    data = parser.add_argument_group("data")
    data.add_argument("--train", default=str(DEFAULT_TRAIN),
                      help="training data, CSV (columns text,tag) or CoNLL-U (default: train.csv "
                           "next to main.py)")
    data.add_argument("--dev", help="development data (CSV or CoNLL-U), evaluated after every "
                                    "epoch; the best epoch's model is the one kept and saved")
    data.add_argument("--save", metavar="MODEL.pt", help="write the trained model (the best on "
                                                         "--dev, if given) here; an existing file "
                                                         "is replaced only if it is a model of "
                                                         "this tagger")
    data.add_argument("--predict", default=DEFAULT_SENTENCE, help="a sentence whose tag "
                                                                  "probabilities are printed "
                                                                  "before and after training, "
                                                                  "and its tags at the end "
                                                                  "(default: "
                                                                  f"{DEFAULT_SENTENCE!r})")

    model = parser.add_argument_group("model")
    model.add_argument("--loss", choices=["nll", "ce"], default="nll",
                       help="nll: the model outputs log_softmax, trained with NLLLoss; "
                            "ce: it outputs logits, trained with CrossEntropyLoss (default: nll)")
    model.add_argument("--embedding-dim", type=DIMENSION, default=6,
                       help="size of the word vectors, from 1 to 4096 (default: 6)")
    model.add_argument("--hidden-dim", type=DIMENSION, default=6,
                       help="size of the LSTM's hidden state, from 1 to 4096 (default: 6)")
    model.add_argument("--bidirectional", **switch, help="read each sentence in both directions")
    model.add_argument("--num-layers", type=DIMENSION, default=1,
                       help="number of stacked LSTM layers, from 1 to 4096 (default: 1)")
    model.add_argument("--dropout", type=BELOW_ONE, default=0.0, help="dropout on the LSTM's "
                                                                      "inputs and outputs, and "
                                                                      "between its layers, in [0, "
                                                                      "1) (default: 0)")
    model.add_argument("--xpos", **switch, help="also learn the treebank's own tags (CoNLL-U "
                                                "column 5, XPOS: Penn Treebank tags in UD "
                                                "English) with a second output layer; the loss is "
                                                "the sum of both")
    model.add_argument("--lowercase", **switch, help="look words up in lower case (one vector for "
                                                     "'The' and 'the'); the character LSTM still "
                                                     "sees capitals")
    model.add_argument("--crf", **switch, help="a CRF output layer (tagger/crf.py): scores whole "
                                               "tag sequences, trained with their negative "
                                               "log-likelihood, decoded with Viterbi; goes with "
                                               "--loss nll")
    model.add_argument("--chars", **switch, help="add character-level features: an LSTM over each "
                                                 "word's characters")
    model.add_argument("--char-embedding-dim", type=DIMENSION, default=32,
                       help="with --chars: size of the character vectors, from 1 to 4096 "
                            "(default: 32)")
    model.add_argument("--char-hidden-dim", type=DIMENSION, default=64, help="with --chars: "
                                                                             "hidden size of the "
                                                                             "character LSTM, per "
                                                                             "direction, from 1 "
                                                                             "to 4096 (default: "
                                                                             "64)")

    training = parser.add_argument_group("training")
    training.add_argument("--epochs", type=AT_LEAST_ONE, default=300,
                          help="passes over the training data, at least 1 (default: 300)")
    training.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd",
                          help="(default: sgd)")
    training.add_argument("--lr", type=LEARNING_RATE, default=0.1,
                          help="learning rate, above 0, at most 1000 (default: 0.1)")
    training.add_argument("--adam-beta2", type=BELOW_ONE, help="with --optimizer adam: how slowly "
                                                               "its average of squared gradients "
                                                               "forgets, in [0, 1); 0.99 adapts "
                                                               "the step sizes faster (default: "
                                                               "0.999)")
    training.add_argument("--ema", type=BELOW_ONE, metavar="DECAY", help="evaluate and save an "
                                                                         "exponential moving "
                                                                         "average of the weights, "
                                                                         "updated after every "
                                                                         "step with this decay, "
                                                                         "in [0, 1) (0.999 "
                                                                         "averages about the last "
                                                                         "1,000 steps) (default: "
                                                                         "off)")
    training.add_argument("--lr-decay", type=UP_TO_ONE, default=1.0, help="multiply the learning "
                                                                          "rate by this after "
                                                                          "every epoch, in (0, 1] "
                                                                          "(default: 1, constant)")
    training.add_argument("--batch-size", type=AT_LEAST_ONE, default=1,
                          help="sentences per training step, at least 1 (default: 1)")
    training.add_argument("--clip-grad", type=UP_TO_A_MILLION, default=0.0, help="clip the "
                                                                                 "gradient norm "
                                                                                 "to this value, "
                                                                                 "from 0 to 1e6; "
                                                                                 "0 turns "
                                                                                 "clipping off "
                                                                                 "(default: 0)")
    training.add_argument("--label-smoothing", type=BELOW_ONE, metavar="EPS", help="with --loss "
                                                                                   "ce: train "
                                                                                   "towards 1 - "
                                                                                   "EPS + EPS/C "
                                                                                   "on the gold "
                                                                                   "tag and EPS/C "
                                                                                   "on each of "
                                                                                   "the other "
                                                                                   "tags, C tags "
                                                                                   "in all; EPS "
                                                                                   "in [0, 1) "
                                                                                   "(default: 0)")
    training.add_argument("--unk-alpha", type=UP_TO_A_MILLION, default=0.0, help="replace each "
                                                                                 "training word "
                                                                                 "with <unk> with "
                                                                                 "probability "
                                                                                 "a/(a+count), so "
                                                                                 "<unk>'s vector "
                                                                                 "is learned; a "
                                                                                 "from 0 to 1e6, "
                                                                                 "0 turns it off "
                                                                                 "(default: 0)")
    training.add_argument("--log-every", type=AT_LEAST_ONE, default=50, help="print the loss "
                                                                             "every N epochs, at "
                                                                             "least 1; with --dev "
                                                                             "every epoch is "
                                                                             "printed (default: "
                                                                             "50)")
    training.add_argument("--seed", type=SEED, default=1,
                          help="seed for random, numpy and torch, in [0, 2**32) (default: 1)")
    add_device_option(training)
    training.add_argument("--eval-batch-size", type=AT_LEAST_ONE, default=512,
                          help="sentences per batch when evaluating --dev, at least 1 (default: "
                               "512)")
    args = parser.parse_args(argv)
    if not args.predict.split():
        parser.error("--predict needs at least one word")
    for option in ("train", "dev", "save"):
        check_path(parser, f"--{option}", getattr(args, option))
    inputs = [("--train", args.train),
              ("--dev", args.dev)] + [(f"@{path}", path) for path in parser.recipes]
    for option, path in inputs:
        if args.save and path and same_file(args.save, path):
            parser.error(f"--save {args.save}: is the {option} file; saving there would replace it")
    if args.label_smoothing is not None and args.loss != "ce":
        parser.error("--label-smoothing needs --loss ce: NLLLoss takes log-probabilities and has "
                     "no label_smoothing option (main_example.py section 6)")
    if args.adam_beta2 is not None and args.optimizer != "adam":
        parser.error("--adam-beta2 goes with --optimizer adam")
    if args.crf and args.loss != "nll":
        parser.error("--crf has a loss of its own, the negative log-likelihood of the whole tag "
                     "sequence: use --loss nll (the default)")
    return args


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
    log(f"model: {sum(p.numel() for p in model.parameters())} parameters")
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
    args = parse_args(argv)
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
