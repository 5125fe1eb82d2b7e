"""Pretrained word vectors from a text file: GloVe's format, or word2vec's text format."""
import numpy as np
import torch

from tagger.errors import InputError
from tagger.lines import LineReader

MAX_VECTOR_LINE_BYTES = 1 << 20  # a 300-d line is about 3 KB
MAX_DIMENSION = 4096


def vector_fields(raw, name, number):
    """One line's fields, split at single spaces (a GloVe word may hold other whitespace)."""
    if b"\0" in raw:
        raise InputError(f"{name} line {number}: binary data; --word-vectors reads text (save a "
                         "binary word2vec file as text first)")
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{name} line {number}: not UTF-8 (byte {error.start + 1})") from None
    return line.rstrip("\r\n").rstrip(" ").split(" ")


def parse_numbers(fields, name, number):
    """The numbers of a line as float32; a word, or nan or inf (in float32), is an InputError."""
    try:
        with np.errstate(over="ignore"):  # a value too large for float32 becomes inf: refused
            values = np.array([float(field) for field in fields], dtype=np.float32)
    except ValueError:
        bad = next(field for field in fields if not is_float(field))
        raise InputError(f"{name} line {number}: {bad[:40]!r} is not a number") from None
    finite = np.isfinite(values)
    if not finite.all():
        bad = fields[int(np.argmin(finite))]
        raise InputError(f"{name} line {number}: {bad[:40]} is not a finite number (float32)")
    return values


def is_float(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_word_vectors(path, wanted, max_vectors=None):
    """({word: float32 vector}, dimension) from a vectors file, read a line at a time.

    Every line is checked; the vectors kept are those of the first `max_vectors` words (all
    without it) and of every word in `wanted`. A word that comes again keeps its first vector.
    """
    reader = LineReader(path, max_line_bytes=MAX_VECTOR_LINE_BYTES)
    name = reader.name
    vectors, dimension, header, n_words = {}, None, False, 0
    for number, raw in reader:
        fields = vector_fields(raw, name, number)
        if number == 1 and len(fields) == 2 and all(field.isdigit() for field in fields):
            dimension, header = int(fields[1]), True  # word2vec's first line: COUNT DIM
            if not 1 <= dimension <= MAX_DIMENSION:
                raise InputError(f"{name} line 1: a dimension of {dimension}; from 1 to "
                                 f"{MAX_DIMENSION} is expected")
            continue
        if len(fields) < 2:
            raise InputError(f"{name} line {number}: " + ("a word with no numbers" if fields[0]
                                                          else "an empty line"))
        if dimension is None:
            dimension = len(fields) - 1
            if dimension > MAX_DIMENSION:
                raise InputError(f"{name} line {number}: {dimension} numbers; at most "
                                 f"{MAX_DIMENSION} are expected")
        # The last `dimension` fields are the numbers; a word may hold spaces ("a b"), but a word
        # that ends in a number means a number too many.
        word_fields = fields[:-dimension] if len(fields) > dimension else []
        if not word_fields or len(word_fields) > 1 and is_float(word_fields[-1]):
            said = "line 1 gives the dimension" if header else "line 1 has"
            count = len(fields) - 1
            raise InputError(f"{name} line {number}: {count} number{'s' * (count != 1)} where "
                             f"{said} {dimension}")
        word = " ".join(word_fields)
        values = parse_numbers(fields[-dimension:], name, number)
        n_words += 1
        if word not in vectors and (max_vectors is None or n_words <= max_vectors
                                    or word in wanted):
            vectors[word] = values
    if dimension is None:
        raise InputError(f"{name}: no vectors: the file is empty")
    return vectors, dimension


def vector_table(vectors, dimension):
    """(vector_to_ix, weights): row 0 (padding) and row 1 (unknown words) are zeros, then the
    vectors in the file's order. weights (len(vectors) + 2, dimension)."""
    from tagger.vocabulary import PAD_IX, UNK_IX
    vector_to_ix = {"<pad>": PAD_IX, "<unk>": UNK_IX}
    for word in vectors:
        vector_to_ix[word] = len(vector_to_ix)
    weights = torch.zeros(len(vector_to_ix), dimension)
    if vectors:
        weights[2:] = torch.from_numpy(np.stack(list(vectors.values())))
    return vector_to_ix, weights


def coverage_line(vocab, path, sentences, dev_sentences=None):
    """How many of the training tokens, dev tokens and dev tokens unseen in training have a
    vector, as one line."""
    def share(words):
        words = list(words)
        covered = sum(vocab.key(word) in vocab.vector_to_ix for word in words)
        return f"{covered / len(words):.1%}" if words else "-"
    line = (f"word vectors: {path}: {len(vocab.vector_to_ix) - 2:,} kept; a vector for "
            f"{share(word for words in sentences for word in words)} of the training tokens")
    if dev_sentences is not None:
        dev_words = [word for words in dev_sentences for word in words]
        line += (f", {share(dev_words)} of the dev tokens and "
                 f"{share(word for word in dev_words if not vocab.knows(word))} of those unseen "
                 "in training")
    return line
