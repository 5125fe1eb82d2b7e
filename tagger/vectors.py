"""Pretrained word vectors from a text file (GloVe's format or word2vec's text format, .gz too)."""
import gzip

import numpy as np
import torch

from tagger.errors import InputError
from tagger.lines import LineReader

MAX_VECTOR_LINE_BYTES = 1 << 20  # a 300-d line is about 3 KB
MAX_DIMENSION = 4096


def is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def parse_numbers(fields, where):
    """The numbers of a line as float32; a word, nan or inf (in float32) is an InputError."""
    try:
        with np.errstate(over="ignore"):  # too large for float32 becomes inf: refused below
            values = np.array(fields, dtype=np.float32)
    except ValueError:
        raise InputError(f"{where}: a field is not a number") from None
    if not np.isfinite(values).all():
        raise InputError(f"{where}: a number that is not finite in float32 (nan or inf)")
    return values


def read_word_vectors(path, wanted, max_vectors=None, lowercase=False, progress=None):
    """({word: float32 vector}, dimension) of the file's first max_vectors words and the wanted
    ones, read a line at a time (lowercase: a word's first form wins)."""
    vectors, dimension, header, n_words, stream = {}, None, False, 0, None
    try:
        stream = gzip.open(path, "rb") if str(path).endswith(".gz") else None
        reader = LineReader(path, stream=stream, max_line_bytes=MAX_VECTOR_LINE_BYTES)
        for number, raw in reader:
            where = f"{reader.name} line {number}"
            if progress is not None:
                progress.update(len(raw))
            try:
                fields = raw.decode("utf-8").rstrip("\r\n").rstrip(" ").split(" ")
            except UnicodeDecodeError:
                raise InputError(f"{where}: not UTF-8 text (a binary file? convert it to "
                                 "text first)") from None
            header = header or number == 1 and len(fields) == 2 and all(map(str.isdigit, fields))
            if dimension is None:  # from word2vec's first line (COUNT DIM), or GloVe's
                dimension = int(fields[1]) if header else len(fields) - 1
                if not 1 <= dimension <= MAX_DIMENSION:
                    raise InputError(f"{where}: {dimension} numbers a word; 1 to {MAX_DIMENSION} "
                                     "are expected")
                if header:
                    continue
            # The last `dimension` fields are numbers; a word may hold spaces, not end in a number.
            if len(fields) <= dimension or len(fields) > dimension + 1 and is_number(
                    fields[-dimension - 1]):
                raise InputError(f"{where}: {len(fields) - 1} numbers where "
                                 f"{'line 1 gives' if header else 'line 1 has'} {dimension}")
            word = " ".join(fields[:-dimension])
            word = word.lower() if lowercase else word
            n_words += 1
            if word not in vectors and (max_vectors is None or n_words <= max_vectors
                                        or word in wanted):
                vectors[word] = parse_numbers(fields[-dimension:], where)
    except (OSError, EOFError) as error:  # gzip's errors: missing, not gzip, or cut short
        raise InputError(f"{path}: cannot read it: {error.strerror or error}") from None
    finally:
        if stream is not None:
            stream.close()
    if not vectors:
        raise InputError(f"{path}: no vectors: the file is empty")
    return vectors, dimension


def vector_table(vectors, dimension):
    """(vector_to_ix, weights): rows 0 (padding) and 1 (no vector) zeros, the words from 2 on."""
    vector_to_ix = {word: row for row, word in enumerate(vectors, start=2)}
    weights = torch.zeros(len(vectors) + 2, dimension)
    weights[2:] = torch.from_numpy(np.stack(list(vectors.values())))
    return vector_to_ix, weights


LOW_COVERAGE = 0.5  # below this share of the training tokens, the coverage line says why


def coverage_line(vocab, path, sentences, dev_sentences=None):
    """How many training tokens, dev tokens and dev tokens unseen in training have a vector."""
    def share(words):
        words = list(words)
        return sum(vocab.key(word) in vocab.vector_to_ix for word in words) / max(1, len(words))
    training = share(word for words in sentences for word in words)
    line = (f"word vectors: {path}: {len(vocab.vector_to_ix):,} kept; a vector for "
            f"{training:.1%} of the training tokens")
    if dev_sentences is not None:
        dev_words = [word for words in dev_sentences for word in words]
        line += (f", {share(dev_words):.1%} of the dev tokens and "
                 f"{share(word for word in dev_words if not vocab.knows(word)):.1%} of those "
                 "unseen in training")
    if training < LOW_COVERAGE:
        line += (" (few: " + ("is it a file of this language and tokenization?" if vocab.lowercase
                              else "are its words in another case? try --lowercase") + ")")
    return line
