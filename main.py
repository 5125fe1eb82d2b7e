"""Train the LSTM part-of-speech tagger and tag sentences with it.

    python main.py                     # the tutorial: train on train.csv, tag "The dog ate the book"
    python main.py --train TRAIN --dev DEV [options] --save MODEL.pt
    python main.py --load MODEL.pt --eval FILE [--report]
    python main.py --load MODEL.pt --eval DEV --fit-temperature    (calibrate the probabilities)
    python main.py --load MODEL.pt --predict "Some text."        (or --predict - for stdin)
    python main.py --load MODEL.pt --predict - --conllu < text.txt > tagged.conllu
    python main.py --load MODEL.pt --tag-conllu FILE.conllu > tagged.conllu
"""
import argparse
import copy
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from checkpoint import load_checkpoint, save_checkpoint, save_temperature
from data import (InputError, conllu_sentence, decode_utf8, read_conllu, read_tagged_sentences, read_text,
                  read_xpos_tags, replace_upos)
from model_lstm_tagger import LSTMTagger
from tokenizer import split_on_whitespace, tokenize
from evaluation import (N_BINS, accuracy_by_frequency, evaluate, fit_temperature, per_tag_scores,
                        probability_scores, rescale, top_confusions)
from train import (Vocabulary, make_batches, predict_proba, predict_tag_sets, subnormals_flushed_to_zero, train,
                   word_count_tensor)

DEFAULT_TRAIN = Path(__file__).with_name("train.csv")
DEFAULT_SENTENCE = "The dog ate the book"
PROBABILITY_SCORES = f"""\
how --report scores the UPOS probabilities p, over the words of the --eval file (g: a word's gold tag;
words whose gold tag never occurred in training are left out, as p(g) is 0 for them):
  NLL    mean over words of -ln p(g): the loss that training minimises, here on other text
  Brier  mean over words of the sum over all tags t of (p(t) - 1 if t = g else 0)^2; 0 best, 2 worst
  ECE    expected calibration error: the words go into {N_BINS} bins of equal width by the confidence
         c = max over t of p(t): (0, 1/{N_BINS}], (1/{N_BINS}, 2/{N_BINS}], ..., ({N_BINS - 1}/{N_BINS}, 1]; ECE is the sum
         over bins of (words in the bin / all words) * |accuracy in the bin - mean c in the bin|
"""


def parse_args(argv=None):
    """The command line; the defaults reproduce the README's first run."""
    parser = argparse.ArgumentParser(description=__doc__, epilog=PROBABILITY_SCORES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    data = parser.add_argument_group("data")
    data.add_argument("--train", default=str(DEFAULT_TRAIN),
                      help="training data, .csv (columns text,tag) or .conllu (default: train.csv next to main.py)")
    data.add_argument("--dev", help="development data (.csv or .conllu): evaluated after every epoch; "
                                    "the best epoch's model is the one kept and saved")
    data.add_argument("--save", metavar="MODEL.pt", help="write the trained model (the best on --dev, if given) here")
    data.add_argument("--load", metavar="MODEL.pt", help="load a saved model instead of training one")
    data.add_argument("--eval", metavar="FILE", help="print the tagging accuracy on FILE (.csv or .conllu)")
    data.add_argument("--report", action="store_true",
                      help="with --eval: also per-tag precision, recall and F1; how good the UPOS probabilities "
                           "are (see below); the 10 most frequent errors (gold tag -> predicted tag, count, "
                           "share of all errors); and accuracy by how often the word occurs in training")
    data.add_argument("--temperature", type=float, metavar="T",
                      help="with --load: report UPOS probabilities softmax(scores / T) instead of the "
                           "checkpoint's temperature (1 unless --fit-temperature stored one); tags do not change")
    data.add_argument("--fit-temperature", action="store_true",
                      help="with --load and --eval: find the temperature T that minimises the mean NLL of the "
                           "UPOS probabilities on the --eval file (your dev data) and store it in the checkpoint")
    data.add_argument("--predict",
                      help="text of one sentence to tag; '-' tags each line of standard input as one sentence. "
                           "The text is split into tokens and words as UD English EWT does (can't -> ca n't); "
                           "prints word/UPOS for each word (word/UPOS/XPOS for a model trained with --xpos), "
                           "one line per input line "
                           f"(default when training: {DEFAULT_SENTENCE!r})")
    data.add_argument("--pretokenized", action="store_true",
                      help="with --predict: the words are already separated by spaces; split on spaces only")
    data.add_argument("--conllu", action="store_true",
                      help="with --predict: write CoNLL-U (ID, FORM, UPOS, XPOS for a model trained with --xpos, "
                           "SpaceAfter=No; '_' elsewhere), "
                           "one sentence per input line; empty input lines produce no sentence")
    data.add_argument("--tag-conllu", metavar="FILE",
                      help="tag the words of a CoNLL-U file, keeping its tokenization, and write it to standard "
                           "output with only the UPOS column replaced (and the XPOS column, for a model trained "
                           "with --xpos)")

    model = parser.add_argument_group("model")
    model.add_argument("--loss", choices=["nll", "ce"], default="nll",
                       help="nll: the model outputs log_softmax, trained with NLLLoss; "
                            "ce: it outputs logits, trained with CrossEntropyLoss (default: nll)")
    model.add_argument("--embedding-dim", type=int, default=6, help="size of the word vectors (default: 6)")
    model.add_argument("--hidden-dim", type=int, default=6, help="size of the LSTM's hidden state (default: 6)")
    model.add_argument("--bidirectional", action="store_true", help="read each sentence in both directions")
    model.add_argument("--num-layers", type=int, default=1, help="number of stacked LSTM layers (default: 1)")
    model.add_argument("--dropout", type=float, default=0.0,
                       help="dropout on the LSTM's inputs and outputs, and between its layers (default: 0)")
    model.add_argument("--xpos", action="store_true",
                       help="also learn and predict the treebank's own tags (CoNLL-U column 5, XPOS: Penn "
                            "Treebank tags in UD English) with a second output layer; the training loss is "
                            "the sum of the UPOS and XPOS losses. Needs .conllu training data")
    model.add_argument("--lowercase", action="store_true",
                       help="look words up in lower case (one vector for 'The' and 'the'); "
                            "the character LSTM still sees capitals")
    model.add_argument("--chars", action="store_true",
                       help="add character-level features: an LSTM over each word's characters")
    model.add_argument("--char-embedding-dim", type=int, default=32, help="with --chars: size of the character vectors (default: 32)")
    model.add_argument("--char-hidden-dim", type=int, default=64,
                       help="with --chars: hidden size of the character LSTM, per direction (default: 64)")

    training = parser.add_argument_group("training")
    training.add_argument("--epochs", type=int, default=300, help="passes over the training data (default: 300)")
    training.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd", help="(default: sgd)")
    training.add_argument("--lr", type=float, default=0.1, help="learning rate (default: 0.1)")
    training.add_argument("--lr-decay", type=float, default=1.0,
                          help="multiply the learning rate by this after every epoch (default: 1, constant)")
    training.add_argument("--batch-size", type=int, default=1, help="sentences per training step (default: 1)")
    training.add_argument("--clip-grad", type=float, default=0.0,
                          help="clip the gradient norm to this value; 0 turns clipping off (default: 0)")
    training.add_argument("--label-smoothing", type=float, metavar="EPS",
                          help="with --loss ce: train towards 1 - EPS on the gold tag and EPS spread evenly over "
                               "all tags, CrossEntropyLoss(label_smoothing=EPS) (default: 0)")
    training.add_argument("--unk-alpha", type=float, default=0.0,
                          help="replace each training word with <unk> with probability a/(a+count), "
                               "so the <unk> vector is learned; 0 turns it off (default: 0)")
    training.add_argument("--log-every", type=int, default=50,
                          help="print the loss every N epochs; with --dev every epoch is printed (default: 50)")
    training.add_argument("--seed", type=int, default=1, help="seed for random, numpy and torch (default: 1)")
    training.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps"], help="(default: cpu)")
    training.add_argument("--eval-batch-size", type=int, default=512,
                          help="sentences per batch when tagging and evaluating (default: 512)")
    args = parser.parse_args(argv)
    if (args.conllu or args.pretokenized) and args.predict is None:
        parser.error("--conllu and --pretokenized go with --predict")
    if args.tag_conllu and args.predict is not None:
        parser.error("--tag-conllu tags a file; it does not go with --predict")
    if args.predict is None and not args.load and not args.tag_conllu:
        args.predict = DEFAULT_SENTENCE
    for name in ("epochs", "embedding_dim", "hidden_dim", "num_layers", "batch_size", "log_every",
                 "eval_batch_size", "char_embedding_dim", "char_hidden_dim"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not 0.0 <= args.dropout < 1.0:
        parser.error("--dropout must be in [0, 1)")
    if args.predict is not None and args.predict != "-" and not args.predict.split():
        parser.error("--predict needs at least one word (or '-' to read standard input)")
    if args.load and (args.dev or args.save):
        parser.error("--load uses a trained model; --dev and --save are for training")
    if args.report and not args.eval:
        parser.error("--report goes with --eval")
    if args.fit_temperature and not (args.load and args.eval):
        parser.error("--fit-temperature fits on the --eval file and stores the result in the --load checkpoint")
    if args.temperature is not None and (not args.load or args.temperature <= 0):
        parser.error("--temperature goes with --load and must be above 0")
    if args.label_smoothing is not None and args.loss != "ce":
        parser.error("--label-smoothing needs --loss ce: NLLLoss takes log-probabilities and has no "
                     "label_smoothing option (main_example.py section 6)")
    if args.label_smoothing is not None and not 0.0 <= args.label_smoothing < 1.0:
        parser.error("--label-smoothing must be in [0, 1)")
    if args.xpos and (args.load or Path(args.train).suffix != ".conllu"):
        parser.error("--xpos trains on the XPOS column of a .conllu file; it does not go with .csv data or --load")
    return args


def check_device(name):
    """Fail early, in one line, when the asked-for accelerator is not there."""
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available on this machine")
    if name == "mps" and not torch.backends.mps.is_available():
        raise InputError("--device mps: MPS is not available on this machine")
    return torch.device(name)


def probability_table(words, tag_names, probabilities):
    """Format a (len(words), len(tag_names)) probability tensor with tag names as headers."""
    width = max(len(word) for word in words) + 2
    lines = ["word".ljust(width) + "".join(f"{tag:>8}" for tag in tag_names)]
    for word, row in zip(words, probabilities.tolist()):
        lines.append(word.ljust(width) + "".join(f"{p:8.4f}" for p in row))
    return "\n".join(lines)


def print_probabilities(title, model, words, vocab, device):
    """Print the model's tag probabilities for one sentence."""
    batch = make_batches([words], vocab, device=device)[0]
    print(f"{title}:")
    print(probability_table(words, list(vocab.tag_to_ix), predict_proba(model, batch)[0]))


def input_lines(predict):
    """The --predict text as a list of lines: the argument itself, or standard input for '-'."""
    if predict != "-":
        return [predict]
    return decode_utf8(sys.stdin.buffer.read(), "standard input").splitlines()


def words_of(tokens):
    """The words of a list of tokens, in order (a contraction's token gives two)."""
    return [word for token in tokens for word in token.words]


def line_tokenizer(args):
    """How --predict text is split: as the treebank does, or with --pretokenized on spaces only."""
    return split_on_whitespace if args.pretokenized else tokenize


def tag_lines(model, lines, vocab, tokenize_line, batch_size=512, device="cpu"):
    """Split each line of text into tokens and tag their words: one (tokens, tags, xpos_tags) per line.

    tokenize_line(text) -> Tokens. A line with no words gives ([], [], []); xpos_tags is
    None for a model without the XPOS layer.
    """
    tokens_per_line = [tokenize_line(line) for line in lines]
    sentences = [words_of(tokens) for tokens in tokens_per_line]
    upos, xpos = predict_tag_sets(model, [words for words in sentences if words], vocab, batch_size, device)
    upos, xpos = iter(upos), iter(xpos) if xpos is not None else None
    tagged = []
    for tokens, words in zip(tokens_per_line, sentences):
        xpos_tags = None if xpos is None else next(xpos) if words else []
        tagged.append((tokens, next(upos) if words else [], xpos_tags))
    return tagged


def tag_and_print(model, predict, vocab, args, device):
    """Tag the --predict text, or every line of stdin with '-'; print word/TAG or CoNLL-U."""
    lines = input_lines(predict)
    tagged = tag_lines(model, lines, vocab, line_tokenizer(args), args.eval_batch_size, device)
    for line, (tokens, tags, xpos_tags) in zip(lines, tagged):
        if args.conllu:
            if tags:  # an empty line is no sentence
                sys.stdout.write(conllu_sentence(line, tokens, tags, xpos_tags=xpos_tags))
        else:
            # word/UPOS, or word/UPOS/XPOS. An empty input line gives an empty output line, so
            # outputs line up with inputs.
            tag_columns = zip(tags, xpos_tags) if xpos_tags is not None else zip(tags)
            print(" ".join("/".join((word, *word_tags)) for word, word_tags in zip(words_of(tokens), tag_columns)))


def tag_conllu_file(model, path, vocab, args, device):
    """Write the CoNLL-U file at `path` to stdout with its UPOS (and, with the XPOS layer, XPOS) column replaced."""
    sentences = read_conllu(path, tags_required=False)  # checks the file: one-line errors
    upos, xpos = predict_tag_sets(model, [words for words, _ in sentences], vocab, args.eval_batch_size, device)
    xpos_tags = (tag for tags in xpos for tag in tags) if xpos is not None else None
    sys.stdout.write(replace_upos(read_text(path), (tag for tags in upos for tag in tags), xpos_tags))


def print_evaluation(model, path, vocab, args, device):
    """Print accuracy on a labelled file, accuracy on unseen words and, with --report, the rest.

    For a model with the XPOS layer and a .conllu file, XPOS accuracy follows on the next line.
    """
    data = read_tagged_sentences(path)
    if args.fit_temperature:
        model.temperature = 1.0  # fit from the model's own scores, whatever was stored before
    result = evaluate(model, data, vocab, args.eval_batch_size, device, xpos_gold_tags(model, path))
    print(f"accuracy: {result.accuracy:.4f} ({result.total} tokens)")
    if result.xpos is not None:
        print(f"xpos accuracy: {result.xpos.accuracy:.4f} ({result.xpos.total} tokens)")
    print(f"unseen-word accuracy: {result.unseen_accuracy:.4f} ({result.unseen_total} tokens)")
    if args.fit_temperature:
        print_probability_scores(result, model.temperature)
        model.temperature = fit_temperature(result.log_probs, result.gold_ix)
        save_temperature(args.load, model.temperature)
        print(f"fitted temperature: {model.temperature:.4f} (minimum NLL on {path}; saved in {args.load})")
        result.log_probs = rescale(result.log_probs, model.temperature)  # the tags stay the same
    if args.report:
        print_report(result, vocab, model.temperature)
    elif args.fit_temperature:
        print_probability_scores(result, model.temperature)


def print_probability_scores(result, temperature):
    """One line: NLL, Brier score and ECE of an Evaluation's UPOS probabilities."""
    scores = probability_scores(result.log_probs, result.gold_ix)
    print(f"probabilities at temperature {temperature:.4f}: NLL {scores['nll']:.4f} | Brier {scores['brier']:.4f}"
          f" | ECE {scores['ece']:.4f}")


def print_report(result, vocab, temperature):
    """--report: per-tag scores, probability scores, frequent errors, accuracy by training frequency."""
    for title, scored in (("tag", result), ("xpos tag", result.xpos)):
        if scored is None:
            continue
        print(f"{title:<8}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for tag, (precision, recall, f1, support) in per_tag_scores(scored.gold, scored.predicted).items():
            print(f"{tag:<8}{precision:10.4f}{recall:10.4f}{f1:10.4f}{support:10d}")
    print_probability_scores(result, temperature)
    print("most frequent errors (gold -> predicted, count, share of all errors):")
    for gold, predicted, count, share in top_confusions(result.gold, result.predicted):
        print(f"  {gold:>6} -> {predicted:<6}{count:7d}{share:8.1%}")
    if vocab.word_counts is None:
        print("accuracy by training frequency: not known (the checkpoint has no word counts)")
        return
    print("accuracy by how often the word occurs in training:")
    for band, accuracy, tokens in accuracy_by_frequency(result.words, result.gold, result.predicted,
                                                        vocab.training_count):
        print(f"  {band:<14}{accuracy:8.4f} ({tokens} tokens)")


def xpos_gold_tags(model, path):
    """The XPOS tags of a .conllu file, one list per sentence, if the model predicts them; else None."""
    if not model.has_xpos or Path(path).suffix != ".conllu":
        return None
    return read_xpos_tags(path)


def show_path(path):
    """A path as the user typed it; the default (absolute) one relative to here if below it."""
    path = Path(path)
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def describe_settings(args):
    """The options that shape this run, as name=value (unused and switched-off ones left out)."""
    shown = []
    for name, value in vars(args).items():
        if value is None or value is False or name in ("report", "eval_batch_size"):
            continue
        if name.startswith("char_") and not args.chars:
            continue
        shown.append(f"{name}={show_path(value) if name == 'train' else value}")
    return " ".join(shown)


def build_model(args, training_data, device, train_xpos=None):
    """The dictionaries and the untrained model the options describe: (model, vocab, settings).

    train_xpos: the training data's XPOS tags, one list per sentence, with --xpos.
    """
    vocab = Vocabulary.from_training_data(training_data, chars=args.chars, lowercase=args.lowercase,
                                          xpos_tags=train_xpos)
    settings = dict(embedding_dim=args.embedding_dim, hidden_dim=args.hidden_dim,
                    vocab_size=len(vocab.word_to_ix), tagset_size=len(vocab.tag_to_ix), is_nll_loss=args.loss == "nll",
                    bidirectional=args.bidirectional, num_layers=args.num_layers, dropout=args.dropout)
    if args.chars:
        settings.update(char_vocab_size=len(vocab.char_to_ix), char_embedding_dim=args.char_embedding_dim,
                        char_hidden_dim=args.char_hidden_dim)
    if train_xpos is not None:
        settings.update(xpos_tagset_size=len(vocab.xpos_to_ix))
    return LSTMTagger(**settings).to(device), vocab, settings


def run_training(args, device):
    """Train a tagger as the options say; returns (model, vocab)."""
    training_data = read_tagged_sentences(args.train)
    dev_data = read_tagged_sentences(args.dev) if args.dev else None
    train_xpos = read_xpos_tags(args.train) if args.xpos else None
    model, vocab, settings = build_model(args, training_data, device, train_xpos)
    dev_xpos = xpos_gold_tags(model, args.dev) if args.dev else None
    # The two losses are the same function of the logits: log_softmax is part of the model
    # on the NLL path and part of the loss on the cross-entropy path.
    loss_function = nn.NLLLoss() if args.loss == "nll" else nn.CrossEntropyLoss(label_smoothing=args.label_smoothing or 0.0)
    if args.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    else:
        # fused: one kernel per parameter tensor makes a single pass over its weights and Adam
        # state, where the default runs several whole-tensor operations one after another; the
        # word embedding alone has over a million weights. `python benchmark.py --rows adam-step`
        # measures both on the recipe's model (see the README).
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, fused=True)

    n_train_tokens = sum(len(words) for words, _ in training_data)
    print(f"training data: {show_path(args.train)}: {len(training_data)} sentences, {n_train_tokens} tokens")
    if dev_data:
        print(f"dev data: {show_path(args.dev)}: {len(dev_data)} sentences, "
              f"{sum(len(words) for words, _ in dev_data)} tokens")
    if len(vocab.word_to_ix) <= 50:
        print(f"word_to_ix: {vocab.word_to_ix}")
        print(f"tag_to_ix: {vocab.tag_to_ix}")
    else:
        print(f"vocabulary: {len(vocab.word_to_ix)} words, {len(vocab.tag_to_ix)} tags"
              + (f", {len(vocab.char_to_ix)} characters" if vocab.char_to_ix else ""))
    print(f"model: {sum(p.numel() for p in model.parameters())} parameters")

    predict_words = None
    if args.predict not in (None, "-"):
        predict_words = words_of(line_tokenizer(args)(args.predict))
    if predict_words:
        print_probabilities("probabilities before training", model, predict_words, vocab, device)

    batches = make_batches([words for words, _ in training_data], vocab, [tags for _, tags in training_data],
                           args.batch_size, device, xpos_tags=train_xpos)
    word_counts = word_count_tensor(vocab).to(device)
    best_accuracy, best_state = -1.0, None
    start = epoch_start = time.perf_counter()
    training_seconds = 0.0  # time spent in training epochs, dev evaluation left out

    def after_epoch(epoch, mean_loss):
        nonlocal best_accuracy, best_state, epoch_start, training_seconds
        epoch_seconds = time.perf_counter() - epoch_start
        training_seconds += epoch_seconds
        if dev_data is None:
            if epoch % args.log_every == 0 or epoch == args.epochs:
                print(f"epoch {epoch:3d} | loss {mean_loss:.4f}")
        else:
            result = evaluate(model, dev_data, vocab, args.eval_batch_size, device, dev_xpos)
            improved = result.accuracy > best_accuracy  # UPOS decides, with or without --xpos
            if improved:
                best_accuracy, best_state = result.accuracy, copy.deepcopy(model.state_dict())
                if args.save:
                    save_checkpoint(args.save, model, settings, vocab)
            xpos = f" | dev xpos {result.xpos.accuracy:.4f}" if result.xpos is not None else ""
            # Held-out NLL and ECE: confidence can keep growing after accuracy stops improving.
            scores = probability_scores(result.log_probs, result.gold_ix)
            print(f"epoch {epoch:3d} | loss {mean_loss:.4f} | dev accuracy {result.accuracy:.4f}{xpos}"
                  f" | dev nll {scores['nll']:.4f} | dev ece {scores['ece']:.4f}"
                  f" | {n_train_tokens / epoch_seconds:,.0f} tokens/s"
                  f" | {time.perf_counter() - start:.1f} s" + (" | best" if improved else ""), flush=True)
        epoch_start = time.perf_counter()

    train(model, batches, loss_function, optimizer, args.epochs, clip_grad=args.clip_grad, lr_decay=args.lr_decay,
          word_counts=word_counts, unk_alpha=args.unk_alpha, after_epoch=after_epoch,
          progress=dev_data is not None)
    if best_state is not None:
        model.load_state_dict(best_state)  # keep the best epoch's model, the one that was saved
        print(f"best dev accuracy: {best_accuracy:.4f}")
    elif args.save:
        save_checkpoint(args.save, model, settings, vocab)

    if predict_words:
        print_probabilities("probabilities after training", model, predict_words, vocab, device)
    print(f"training time: {training_seconds:.2f} s")
    return model, vocab


def main(argv=None):
    """Run what the command line asks.

    A bad file ends with one line on stderr and exit code 2; a bad option, as argparse does it,
    with the usage summary and then one line, also exit code 2.
    """
    args = parse_args(argv)
    # First, before any torch work starts PyTorch's CPU threads (see subnormals_flushed_to_zero).
    with subnormals_flushed_to_zero():
        try:
            device = check_device(args.device)
            # One seed for every source of randomness, set before anything random happens.
            random.seed(args.seed)
            np.random.seed(args.seed)
            torch.manual_seed(args.seed)
            if args.load:
                model, vocab = load_checkpoint(args.load, device)
                if args.temperature is not None:
                    model.temperature = args.temperature
            else:
                print("settings: " + describe_settings(args))
                model, vocab = run_training(args, device)
            if args.eval:
                print_evaluation(model, args.eval, vocab, args, device)
            if args.predict is not None:
                tag_and_print(model, args.predict, vocab, args, device)
            if args.tag_conllu:
                tag_conllu_file(model, args.tag_conllu, vocab, args, device)
            sys.stdout.flush()  # here, so that a closed pipe is caught below rather than at exit
        except InputError as error:
            print(f"error: {error}", file=sys.stderr)
            sys.exit(2)
        except BrokenPipeError:
            # Whoever read our output (`head`, say) has stopped reading: stop quietly, as other
            # command-line tools do, instead of printing a traceback.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)


if __name__ == "__main__":
    main()
