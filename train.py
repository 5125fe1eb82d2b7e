"""Day 1's training data and training step: the CSV read with pandas, words turned into index
tensors, and the tutorial's training step, one sentence at a time."""
import random

import pandas as pd
import torch

UNK_IX = 0  # index of "<unk>" in word_to_ix: every word not seen in training maps to it


class TrainingDataError(Exception):
    """A problem with the training CSV, said in one line that names the file (and the line)."""


def read_training_data(path):
    """The CSV's rows as [(words, tags), ...]: columns text and tag, split on spaces."""
    # dtype=str and keep_default_na=False: a word such as "NA" stays a word. header=None: a row
    # with more fields than the header is an error naming its line, not a silent extra column.
    try:
        df = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise TrainingDataError(f"{path}: {str(error).strip().splitlines()[0]}") from None
    df.columns = df.iloc[0]
    df = df[1:]
    if list(df.columns).count("text") != 1 or list(df.columns).count("tag") != 1:
        raise TrainingDataError(f"{path}: needs the columns text and tag, once each (found: "
                                f"{', '.join(df.columns)})")
    training_data = []
    # row 1 is the header; pandas skips blank lines, so a row is not always a line of the file
    for row, (words, tags) in enumerate(zip(df["text"], df["tag"]), start=2):
        words, tags = words.split(), tags.split()
        if not words or len(words) != len(tags):
            raise TrainingDataError(f"{path}: row {row}: {len(words)} words in 'text' but "
                                    f"{len(tags)} tags in 'tag'")
        training_data.append((words, tags))
    if not training_data:
        raise TrainingDataError(f"{path}: no sentences (only a header)")
    return training_data


def prepare_sequence(seq, to_ix):
    """A list of words (or tags) as a 1-D tensor of their indices. An unknown word gets <unk>'s;
    tag_to_ix has no <unk>, so an unknown tag is a KeyError, as in the tutorial."""
    idxs = [to_ix.get(w, UNK_IX) if "<unk>" in to_ix else to_ix[w] for w in seq]
    return torch.tensor(idxs, dtype=torch.long)


def train_one_epoch(model, training_data, word_to_ix, tag_to_ix, loss_function, optimizer,
                    device="cpu"):
    """One pass over training_data, one sentence per step, as in the tutorial; returns the mean loss
    per word.

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
