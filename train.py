"""Day 1's training data and training step: the CSV read with pandas, words turned into index
tensors, and the tutorial's training step, one sentence at a time."""
import random
import warnings

import pandas as pd
import torch

UNK_IX = 0  # index of "<unk>" in word_to_ix: every word not seen in training maps to it


class TrainingDataError(Exception):
    """A problem with the training CSV, said in one line that names the file (and the row)."""


def read_training_data(path):
    """The CSV's rows as [(words, tags), ...]: columns text and tag, words and tags separated by spaces."""
    try:  # dtype=str and keep_default_na=False: a word such as "NA" stays a word
        with warnings.catch_warnings():  # index_col=False: a row with more fields than the header warns...
            warnings.simplefilter("error", pd.errors.ParserWarning)  # ...and that is an error here
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", index_col=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.ParserWarning,
            pd.errors.EmptyDataError) as error:
        raise TrainingDataError(f"{path}: cannot be read as CSV: {str(error).strip().splitlines()[0]}") from None
    for column in ("text", "tag"):
        if column not in df.columns:
            raise TrainingDataError(f"{path}: missing column '{column}' (found: {', '.join(df.columns)})")
    training_data = [(text.split(), tags.split()) for text, tags in zip(df["text"], df["tag"])]
    for row, (words, tags) in enumerate(training_data, start=2):  # row 1 is the header
        if not words or len(words) != len(tags):
            raise TrainingDataError(f"{path} row {row}: {len(words)} words but {len(tags)} tags")
    if not training_data:
        raise TrainingDataError(f"{path}: no sentences")
    return training_data


def prepare_sequence(seq, to_ix):
    """Turn a list of words (or tags) into a 1-D tensor of their indices; unknown words get UNK_IX."""
    idxs = [to_ix.get(w, UNK_IX) for w in seq]
    return torch.tensor(idxs, dtype=torch.long)


def train_one_epoch(model, training_data, word_to_ix, tag_to_ix, loss_function, optimizer, device="cpu"):
    """One pass over training_data, one sentence per step, as in the tutorial; returns the mean loss per word.

    The sentences are shuffled in place first (with Python's `random`, which main.py seeds).
    """
    random.shuffle(training_data)
    total_loss, n_words = 0.0, 0
    for sentence, tags in training_data:
        # Step 1: backward() adds to each .grad; clear them, or this sentence's step would
        # also carry the gradients of every sentence before it.
        model.zero_grad()

        # Step 2: the words and tags as tensors of indices, the form nn.Embedding and the loss take.
        sentence_in = prepare_sequence(sentence, word_to_ix).to(device)
        targets = prepare_sequence(tags, tag_to_ix).to(device)

        # Step 3: the forward pass, one row of tag scores per word.
        tag_scores = model(sentence_in)

        # Step 4: the loss, its gradients with respect to every weight, and one SGD update.
        loss = loss_function(tag_scores, targets)
        loss.backward()
        optimizer.step()

        total_loss += loss.item() * len(sentence)  # the loss is a mean over the sentence's words
        n_words += len(sentence)
    return total_loss / n_words
