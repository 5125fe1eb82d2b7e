"""Train the real-data tagger; python -m tagger.tag uses the model it saves.

    python -m tagger.train @recipes/ewt.txt --train en_ewt-ud-train.conllu \\
        --dev en_ewt-ud-dev.conllu --save ewt.pt

@FILE reads options from a recipe ('#' starts a comment); options after it override it, and
--no-chars, --no-xpos, ... switch its parts off.
"""
import argparse
import copy
import dataclasses
import math
import os
import random
import re
import sys
import time

import torch
from tqdm import tqdm

from tagger.checkpoint import check_can_save, save_checkpoint
from tagger.cli import (AT_LEAST_ONE, BELOW_ONE, DIMENSION, LEARNING_RATE, SEED, UP_TO_A_MILLION,
                        UP_TO_ONE, RecipeParser, add_device_option, check_device, number_type, run,
                        seed_everything, subnormals_flushed_to_zero)
from tagger.data import read_tag_sets
from tagger.errors import InputError
from tagger.evaluation import evaluate, probability_scores
from tagger.model import RealDataTagger, TaggerConfig
from tagger.vectors import coverage_line, read_word_vectors, vector_table
from tagger.vocabulary import UNK_IX, Vocabulary, make_batches, word_count_tensor

DEFAULT_MAX_VECTORS = 100_000


def sha256_type(text):
    """An argparse type: a SHA-256 in hexadecimal (either case)."""
    if not re.fullmatch("[0-9a-fA-F]{64}", text):
        raise argparse.ArgumentTypeError(f"must be 64 hexadecimal digits, not {text!r}")
    return text.lower()


def parse_args(argv=None):
    """The command line: data, model and training options."""
    parser = RecipeParser(prog="python -m tagger.train", description=__doc__,
                          epilog="A number in brackets at the end of a help is the default.")
    switch = dict(action=argparse.BooleanOptionalAction, default=False)  # --chars, --no-chars
    add = parser.add_argument_group("data").add_argument
    add("--train", required=True, help="training data, CSV (columns text,tag) or CoNLL-U")
    add("--dev", help="development data, evaluated after every epoch; the best epoch is kept")
    add("--save", metavar="MODEL.pt", help="write the model here (with --dev: the best epoch's); "
        "an existing file is replaced only if it is a model of this tagger")
    add("--word-vectors", metavar="FILE", help="pretrained vectors, GloVe's or word2vec's text "
        "format (.gz too), frozen; the model keeps them")
    add("--max-vectors", metavar="N", type=number_type(int, lambda n: 1 <= n <= 10**7,
                                                       "from 1 to 10,000,000"),
        help=f"keep the first N words' vectors and the training words' ({DEFAULT_MAX_VECTORS:,})")
    add("--contextual", metavar="DIR", help="a transformer's folder (Hugging Face) whose frozen "
        "features each word also reads; the model keeps the transformer")
    add("--contextual-sha256", metavar="HASH", type=sha256_type,
        help="refuse a --contextual folder whose model.safetensors has another SHA-256")
    add = parser.add_argument_group("model").add_argument
    add("--loss", choices=["nll", "ce"], default="nll", help="NLLLoss, or CrossEntropyLoss (nll)")
    add("--embedding-dim", type=DIMENSION, default=6, help="word vector size, 1 to 4096 (6)")
    add("--hidden-dim", type=DIMENSION, default=6, help="LSTM state size, 1 to 4096 (6)")
    add("--bidirectional", **switch, help="read each sentence in both directions")
    add("--num-layers", type=DIMENSION, default=1, help="stacked LSTM layers, 1 to 4096 (1)")
    add("--dropout", type=BELOW_ONE, default=0.0, help="on the LSTM's inputs and outputs (0)")
    add("--xpos", **switch, help="also learn CoNLL-U column 5 (XPOS) with a second output layer")
    add("--lowercase", **switch, help="look words and vectors up in lower case")
    add("--crf", **switch, help="CRF output layers, decoded with Viterbi (with --loss nll)")
    add("--chars", **switch, help="add an LSTM over each word's characters")
    add("--char-embedding-dim", type=DIMENSION, default=32, help="character vector size (32)")
    add("--char-hidden-dim", type=DIMENSION, default=64, help="char LSTM size a direction (64)")
    add = parser.add_argument_group("training").add_argument
    add("--epochs", type=AT_LEAST_ONE, default=300, help="passes over the data, at least 1 (300)")
    add("--optimizer", choices=["sgd", "adam"], default="sgd", help="(default: sgd)")
    add("--lr", type=LEARNING_RATE, default=0.1, help="learning rate, in (0, 1000] (0.1)")
    add("--lr-decay", type=UP_TO_ONE, default=1.0, help="lr factor after each epoch, (0, 1] (1)")
    add("--batch-size", type=AT_LEAST_ONE, default=1, help="sentences a step, at least 1 (1)")
    add("--clip-grad", type=UP_TO_A_MILLION, default=0.0, help="clip the gradient norm; 0: off (0)")
    add("--label-smoothing", type=BELOW_ONE, default=0.0, help="of --loss ce, in [0, 1) (0)")
    add("--unk-alpha", type=UP_TO_A_MILLION, default=0.0,
        help="a training word becomes <unk> with probability a/(a+count), 0 to 1e6 (0)")
    add("--seed", type=SEED, default=1, help="seed of random, numpy and torch, in [0, 2**32) (1)")
    add_device_option(parser)
    args = parser.parse_args(argv)
    if args.label_smoothing and args.loss != "ce":
        parser.error("--label-smoothing needs --loss ce: NLLLoss takes log-probabilities")
    if args.max_vectors is not None and not args.word_vectors:
        parser.error("--max-vectors goes with --word-vectors")
    if args.contextual_sha256 and not args.contextual:
        parser.error("--contextual-sha256 goes with --contextual")
    if args.crf and args.loss != "nll":
        parser.error("--crf has a loss of its own: use --loss nll (the default)")
    return args


def build_model(args, sentences, gold_tags, device="cpu"):
    """The dictionaries and the untrained model the options describe: (model, vocab)."""
    vocab = Vocabulary.from_training_data(sentences, gold_tags, args.chars, args.lowercase)
    config = TaggerConfig(
        vocab_size=len(vocab.word_to_ix), tagset_size=len(vocab.tag_to_ix),
        embedding_dim=args.embedding_dim, hidden_dim=args.hidden_dim, num_layers=args.num_layers,
        bidirectional=args.bidirectional, dropout=args.dropout,
        xpos_tagset_size=len(vocab.tag_sets.get("xpos", {})),
        char_vocab_size=len(vocab.char_to_ix or {}),
        char_embedding_dim=args.char_embedding_dim * args.chars,
        char_hidden_dim=args.char_hidden_dim * args.chars, is_nll_loss=args.loss == "nll",
        label_smoothing=args.label_smoothing, crf=args.crf)
    vectors = None
    if args.word_vectors:
        training_words = {vocab.key(word) for words in sentences for word in words}
        path = args.word_vectors  # a .gz file's bytes read are not the file's: no total
        size = os.path.getsize(path) if os.path.isfile(path) and not path.endswith(".gz") else None
        with tqdm(total=size, unit="B", unit_scale=True, desc="word vectors", leave=False,
                  file=sys.stderr, disable=None) as progress:
            found, dimension = read_word_vectors(args.word_vectors, training_words,
                                                 args.max_vectors or DEFAULT_MAX_VECTORS,
                                                 args.lowercase, progress)
        if not training_words & set(found):
            raise InputError(f"{args.word_vectors}: no training word has a vector there: the "
                             "wrong file, or the words' case differs (try --lowercase)")
        vocab.vector_to_ix, vectors = vector_table(found, dimension)
        config.n_vectors, config.vector_dim = vectors.shape
    encoder = None
    if args.contextual:
        from tagger.contextual import ContextualEncoder  # transformers: only for --contextual
        encoder = ContextualEncoder.from_folder(args.contextual, args.contextual_sha256, device)
        config.contextual_dim = encoder.dim
    model = RealDataTagger(config)
    model.encoder = encoder
    if vectors is not None:
        model.pretrained_embeddings.weight.data.copy_(vectors)
    return model, vocab


def train_epoch(model, batches, optimizer, args, word_counts, description="epoch"):
    """One pass over the batches, in a new random order: the mean loss per word."""
    model.train()
    random.shuffle(batches)  # Python's random, seeded by --seed
    loss_sum = 0.0
    for batch in tqdm(batches, desc=description, leave=False, disable=None):
        if args.unk_alpha:  # rare words become <unk> now and then, so <unk> is learned
            counts = word_counts[batch.words]
            replace = torch.rand(counts.shape, device=counts.device) < args.unk_alpha / (
                args.unk_alpha + counts)
            batch = dataclasses.replace(batch, words=batch.words.masked_fill(replace, UNK_IX))
        model.zero_grad()  # backward() adds to the old gradients
        loss = model.loss(batch)  # mean over the batch's real words
        loss.backward()
        if args.clip_grad:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_grad)
        optimizer.step()
        loss_sum += loss.item() * int(batch.lengths.sum())
    return loss_sum / sum(int(batch.lengths.sum()) for batch in batches)


def make_optimizer(args, model):
    """SGD, as in the tutorial, or Adam (fused: one pass over each tensor's weights and state)."""
    if args.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=args.lr)
    return torch.optim.Adam(model.parameters(), lr=args.lr, fused=True)


@dataclasses.dataclass
class TrainingRun:
    """What training produced and measured (seconds: of the epochs, dev evaluations left out)."""
    model: RealDataTagger
    vocab: Vocabulary
    n_train_tokens: int
    training_seconds: float = 0.0
    encoding_seconds: float = 0.0  # the transformer's, before the first epoch
    history: list = dataclasses.field(default_factory=list)  # per epoch: loss, dev figures
    best_epoch: int | None = None  # with --dev: the epoch with the best UPOS accuracy


def train_tagger(args, log=print, saved=None):
    """Read the data, build the model, train it, keep the best epoch on dev: a TrainingRun.
    saved: a list that gets each epoch saved to --save, as it is."""
    saved = [] if saved is None else saved
    device = check_device(args.device)
    names = ("upos", "xpos") if args.xpos else ("upos",)
    sentences, gold_tags = read_tag_sets(args.train, names)
    dev = read_tag_sets(args.dev, names) if args.dev else None
    for path, tag_sets in ((args.train, gold_tags), (args.dev, dev and dev[1])):
        if tag_sets is not None and not set(names) <= set(tag_sets):
            raise InputError(f"{path}: is CSV, which has no XPOS column: --xpos needs CoNLL-U")
    model, vocab = build_model(args, sentences, gold_tags, device)
    model.to(device)
    run = TrainingRun(model, vocab, sum(map(len, sentences)))
    log(f"training data: {args.train}: {len(sentences)} sentences, {run.n_train_tokens} tokens")
    if dev:
        log(f"dev data: {args.dev}: {len(dev[0])} sentences, {sum(map(len, dev[0]))} tokens")
    log(f"vocabulary: {len(vocab.word_to_ix)} words, "
        + ", ".join(f"{len(tags)} {name} tags" for name, tags in vocab.tag_sets.items())
        + (f", {len(vocab.char_to_ix)} characters" if vocab.char_to_ix else ""))
    if vocab.vector_to_ix:
        log(coverage_line(vocab, args.word_vectors, sentences, dev and dev[0]))
    trained = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters()) - trained
    log(f"model: {trained} parameters" + (f", and {frozen} frozen (the word vectors)"
                                          if frozen else ""))
    features, dev_features = None, None  # the transformer is frozen: its features, once
    if model.encoder is not None:
        start = time.perf_counter()
        features = model.encoder.encode(sentences, "encoding train")
        dev_features = model.encoder.encode(dev[0], "encoding dev") if dev else None
        run.encoding_seconds = time.perf_counter() - start
        log(f"contextual features: {model.encoder.source} (model.safetensors SHA-256 "
            f"{model.encoder.sha256}), {model.encoder.dim} a word, encoded in "
            f"{run.encoding_seconds:.1f} s")
    batches = make_batches(sentences, vocab, gold_tags, args.batch_size, device,
                           features=features)
    word_counts = word_count_tensor(vocab).to(device)
    optimizer = make_optimizer(args, model)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=args.lr_decay)
    best_accuracy, best_state, start = -1.0, None, time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        epoch_start = time.perf_counter()
        loss = train_epoch(model, batches, optimizer, args, word_counts, f"epoch {epoch}")
        if not math.isfinite(loss):  # the weights are lost: say so now, not with nan tags
            raise InputError(f"training diverged in epoch {epoch}: the loss is {loss} (a "
                             "smaller --lr or a --clip-grad may help)")
        schedule.step()
        seconds = time.perf_counter() - epoch_start
        run.training_seconds += seconds
        figures = {"epoch": epoch, "loss": loss, "seconds": seconds}
        line = f"epoch {epoch:3d} | loss {figures['loss']:.4f}"
        if dev:
            model.eval()
            results = evaluate(model, *dev, vocab, device=device, features=dev_features)
            upos = results["upos"]
            figures.update(dev_accuracy=upos.accuracy)
            line += "".join(f" | dev {name} {result.accuracy:.4f}"
                            for name, result in results.items())
            scores = probability_scores(upos.log_probs, upos.gold_ix)  # None: no tag known
            if scores is not None:
                figures.update(dev_nll=scores["nll"], dev_ece=scores["ece"])
                line += f" | dev nll {scores['nll']:.4f} | dev ece {scores['ece']:.4f}"
        line += (f" | {run.n_train_tokens / seconds:,.0f} tokens/s"
                 f" | {time.perf_counter() - start:.1f} s")
        if dev and upos.accuracy > best_accuracy:
            best_accuracy, run.best_epoch = upos.accuracy, epoch
            best_state = copy.deepcopy(model.state_dict())
            if args.save:
                save_checkpoint(args.save, model, vocab)
                saved.append(epoch)
            line += " | best"
        run.history.append(figures)
        log(line, flush=True)
    if best_state is not None:
        model.load_state_dict(best_state)  # the best epoch's model, the one saved
        log(f"best dev accuracy: {best_accuracy:.4f} (epoch {run.best_epoch})")
    elif args.save:
        save_checkpoint(args.save, model, vocab)
        saved.append(args.epochs)
    model.eval()
    return run


def main(argv=None):
    """Train as the command line says, printing as it goes."""
    args = parse_args(argv)
    saved = []  # the epochs saved, for what Ctrl-C says

    def work():
        if args.save:
            check_can_save(args.save)  # now, not after the training
        seed_everything(args.seed)  # before anything random happens
        print("settings: " + " ".join(f"{name}={value}" for name, value in vars(args).items()
                                      if value is not None and value is not False))
        trained = train_tagger(args, saved=saved)
        print(f"training time: {trained.training_seconds:.1f} s")

    # First, before torch starts its CPU threads (see subnormals_flushed_to_zero).
    with subnormals_flushed_to_zero():
        run(work, lambda: f"{args.save} holds epoch {saved[-1]}'s model" if saved
            else "nothing was saved")


if __name__ == "__main__":
    main()
