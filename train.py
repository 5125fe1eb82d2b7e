"""Day 1's training data and training step: the CSV read with pandas, words turned into index
tensors, and the tutorial's training step, one sentence at a time."""
import csv
import io
import random
import warnings

import pandas as pd
import torch

UNK_IX = 0  # index of "<unk>" in word_to_ix: every word not seen in training maps to it


class TrainingDataError(Exception):
    """A problem with the training CSV, said in one line that names the file (and the line)."""


def read_training_data(path):
    """The CSV's rows as [(words, tags), ...]: columns text and tag, split on spaces."""
    try:  # opened here, as a local file: given a path, pandas would also fetch URLs and unpack .gz
        with open(path, "rb") as file:
            raw = file.read()
        text = raw.decode("utf-8-sig")
    except OSError as error:
        raise TrainingDataError(f"{path}: cannot be read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise TrainingDataError(f"{path} line {line}: not valid UTF-8 (byte "
                                f"0x{raw[error.start]:02x})") from None
    if "\0" in text:
        raise TrainingDataError(f"{path} line {text[:text.index(chr(0))].count(chr(10)) + 1}: a "
                                "NUL byte")
    row_lines = csv_row_lines(path, text)
    if not row_lines:
        raise TrainingDataError(f"{path}: file is empty")
    # dtype=str and keep_default_na=False: a word such as "NA" stays a word. index_col=False: a row
    # with more fields than the header warns, and that warning is an error here.
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, index_col=False)
        except (pd.errors.ParserError, pd.errors.ParserWarning) as error:
            first_line = str(error).strip().splitlines()[0]
            raise TrainingDataError(f"{path}: not valid CSV: {first_line}") from None
    header = next(csv.reader(io.StringIO(text)))
    for column in ("text", "tag"):
        if header.count(column) != 1:
            problem = "missing" if column not in header else "more than one"
            raise TrainingDataError(f"{path}: {problem} column '{column}' (found: "
                                    f"{', '.join(header)})")
    training_data = []
    for line, words, tags in zip(row_lines[1:], df["text"], df["tag"]):
        words, tags = words.split(), tags.split()
        for column, cell in (("text", words), ("tag", tags)):
            if not cell:
                raise TrainingDataError(f"{path} line {line}: empty '{column}' cell")
        if len(words) != len(tags):
            raise TrainingDataError(f"{path} line {line}: {len(words)} tokens in 'text' but "
                                    f"{len(tags)} tags in 'tag'")
        training_data.append((words, tags))
    if not training_data:
        raise TrainingDataError(f"{path}: no sentences (only a header)")
    return training_data


def csv_row_lines(path, text):
    """The line where each row of the CSV text starts, blank lines left out (as pandas does).

    Python's csv module in strict mode also refuses what pandas would accept silently, such as
    text after a closing quote ("The dog"x becomes The dogx).
    """
    reader, starts, line, header = csv.reader(io.StringIO(text, newline=""),
                                              strict=True), [], 1, None
    try:
        for row in reader:
            header = header or row
            if len(row) > len(header):
                raise TrainingDataError(f"{path} line {line}: more fields than the header's "
                                        f"{len(header)} columns (quote a cell that contains "
                                        "commas)")
            if len(row) > 1 or row and row[0].strip():  # pandas skips a line of spaces too
                starts.append(line)
            line = reader.line_num + 1
    except csv.Error as error:
        raise TrainingDataError(f"{path} line {line}: not valid CSV: {error}") from None
    return starts


def prepare_sequence(seq, to_ix):
    """A list of words (or tags) as a 1-D tensor of their indices; unknown words get UNK_IX."""
    idxs = [to_ix.get(w, UNK_IX) for w in seq]
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
