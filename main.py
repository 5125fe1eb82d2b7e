"""Day 1: the LSTM tagger of PyTorch's tutorial "Sequence Models and Long Short-Term Memory
Networks", trained on its two sentences, in the tutorial's order. Real data: the tagger/ folder.

    python main.py              # NLLLoss on the model's log_softmax outputs, as in the tutorial
    python main.py --loss ce    # CrossEntropyLoss on raw logits: the same losses and probabilities
"""
import argparse
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

from model_lstm_tagger import LSTMTagger
from train import UNK_IX, TrainingDataError, prepare_sequence, read_training_data, train_one_epoch


def parse_args(argv=None):
    """What a reader of the tutorial may want to vary; the defaults are the tutorial's run."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loss", choices=["nll", "ce"], default="nll",
                        help="nll: log_softmax outputs and NLLLoss; ce: logits and "
                             "CrossEntropyLoss (default: nll)")
    parser.add_argument("--train", default=str(Path(__file__).with_name("train.csv")),
                        help="CSV with columns text,tag")
    parser.add_argument("--predict", default="The dog ate the book",
                        help="the sentence to tag before and after")
    parser.add_argument("--embedding-dim", type=int, default=6,
                        help="size of the word vectors (default: 6)")
    parser.add_argument("--hidden-dim", type=int, default=6,
                        help="size of the LSTM's hidden state (default: 6)")
    parser.add_argument("--epochs", type=int, default=300,
                        help="passes over the training data (default: 300)")
    parser.add_argument("--lr", type=float, default=0.1, help="SGD's learning rate (default: 0.1)")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed for random, numpy and torch (default: 1)")
    parser.add_argument("--device", choices=["cpu", "cuda", "mps"], default="cpu",
                        help="(default: cpu)")
    return parser.parse_args(argv)


def print_probabilities(title, model, words, word_to_ix, tag_to_ix, device):
    """The model's tag probabilities for each word of one sentence, tag names as headers."""
    with torch.no_grad():
        # softmax of log_softmax is softmax again, so this works for both kinds of output
        probabilities = F.softmax(model(prepare_sequence(words, word_to_ix).to(device)), dim=-1)
    width = max(len(word) for word in words) + 2
    print(f"{title}:")
    print("word".ljust(width) + "".join(f"{tag:>8}" for tag in tag_to_ix))
    for word, row in zip(words, probabilities.tolist()):
        print(word.ljust(width) + "".join(f"{p:8.4f}" for p in row))


def main(argv=None):
    """Day 1 in the tutorial's order: data, dictionaries, model, loss, optimizer, training."""
    args = parse_args(argv)
    shown = {name: value for name, value in vars(args).items() if name != "train"}
    print("settings: " + " ".join(f"{name}={value}" for name, value in shown.items()))
    device = torch.device(args.device)
    # one seed for every source of randomness, before anything random happens
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    # Prepare the data: one sentence per row, its words and their tags separated by spaces.
    try:
        training_data = read_training_data(args.train)
    except TrainingDataError as error:
        print(f"error: {error}", file=sys.stderr)  # one line, no traceback
        sys.exit(2)
    print(f"training data: {os.path.relpath(args.train)}: {len(training_data)} sentences,"
          f" {sum(len(words) for words, _ in training_data)} tokens")
    word_to_ix = {"<unk>": UNK_IX}  # every word not seen in training
    tag_to_ix = {}
    for sentence, tags in training_data:
        for word in sentence:
            if word not in word_to_ix:  # first time seen: the next free index
                word_to_ix[word] = len(word_to_ix)
        for tag in tags:
            if tag not in tag_to_ix:
                tag_to_ix[tag] = len(tag_to_ix)
    print(f"word_to_ix: {word_to_ix}")
    print(f"tag_to_ix: {tag_to_ix}")

    # Create the model; the loss function goes with what it outputs.
    model = LSTMTagger(args.embedding_dim, args.hidden_dim, len(word_to_ix), len(tag_to_ix),
                       is_nll_loss=args.loss == "nll").to(device)
    loss_function = nn.NLLLoss() if args.loss == "nll" else nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=args.lr)
    print(f"model: {sum(p.numel() for p in model.parameters())} parameters")

    # The untrained model's probabilities, to compare with the ones after training.
    words = args.predict.split()
    print_probabilities("probabilities before training", model, words, word_to_ix, tag_to_ix,
                        device)

    start = time.perf_counter()
    # 300 by default, as in the tutorial: two tiny sentences
    for epoch in range(1, args.epochs + 1):
        loss = train_one_epoch(model, training_data, word_to_ix, tag_to_ix, loss_function,
                               optimizer, device)
        if epoch % 50 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d} | loss {loss:.4f}")
    training_seconds = time.perf_counter() - start

    # The same sentence after training: each word's highest probability should be its tag.
    print_probabilities("probabilities after training", model, words, word_to_ix, tag_to_ix, device)
    print(f"training time: {training_seconds:.2f} s")
    ix_to_tag = list(tag_to_ix)  # the tag names, by index
    with torch.no_grad():
        tags = model(prepare_sequence(words, word_to_ix).to(device)).argmax(dim=-1).tolist()
    print(" ".join(f"{word}/{ix_to_tag[ix]}" for word, ix in zip(words, tags)))


if __name__ == "__main__":
    main()
