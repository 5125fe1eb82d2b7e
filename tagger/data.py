"""Labelled CSV or CoNLL-U files as word and tag lists; a problem names the file and line."""
import csv
import io
from pathlib import Path

from tagger.conllu import TAG_COLUMNS, conllu_sentences
from tagger.errors import InputError
from tagger.lines import MAX_LINE_BYTES, without_bom


def is_conllu(path):
    """Whether `path` is CoNLL-U: by its name, else by its first line (a comment, ten columns)."""
    suffix = Path(path).suffix.lower()
    if suffix in (".conllu", ".csv"):
        return suffix == ".conllu"
    try:
        with open(path, "rb") as file:
            first_line = without_bom(file.readline(MAX_LINE_BYTES))
    except OSError:
        return False  # the CSV reader says what is wrong with the path
    return first_line.startswith(b"#") or first_line.count(b"\t") == 9


def read_text(path):
    """The whole file as a str, without a byte order mark; a problem is an InputError."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise InputError(f"{path}: {error.strerror.lower()}") from None
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise InputError(f"{path} line {line}: not valid UTF-8 (byte "
                         f"0x{raw[error.start]:02x})") from None


def read_csv(path):
    """[(words, tags), ...] of a CSV file with columns `text` and `tag`, a sentence a row (the csv
    module: an error names the line where its row starts, and "NA" stays a word)."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    rows, line = [], 1
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if len(row) > 1 or row and row[0].strip():  # a line of spaces is blank
                rows.append((start, row))
    except csv.Error as error:
        raise InputError(f"{path} line {line}: not valid CSV: {error}") from None
    if not rows:
        raise InputError(f"{path}: file is empty")
    _, header = rows[0]
    for column in ("text", "tag"):
        if header.count(column) != 1:
            raise InputError(f"{path}: {'missing' if column not in header else 'more than one'}"
                             f" column '{column}' (found: {', '.join(header)})")
    text_column, tag_column = header.index("text"), header.index("tag")
    sentences = []
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise InputError(f"{path} line {line}: {len(row)} fields where the header has "
                             f"{len(header)} (quote a cell that holds commas)")
        words, tags = row[text_column].split(), row[tag_column].split()
        if not words or len(words) != len(tags):
            raise InputError(f"{path} line {line}: {len(words)} words in 'text' but {len(tags)} "
                             "tags in 'tag'")
        sentences.append((words, tags))
    if not sentences:
        raise InputError(f"{path}: no sentences (only a header)")
    return sentences


def read_tag_sets(path, names=("upos",)):
    """(word lists, {tag set: tag lists}) of a labelled file; a CSV file's tags are "upos"."""
    if not is_conllu(path):
        data = read_csv(path)
        return [words for words, _ in data], {"upos": [tags for _, tags in data]}
    columns = {name: TAG_COLUMNS[name] for name in ("upos", *names)}
    read = conllu_sentences(path, tag_columns=tuple(columns.values()))
    sentences = [sentence for sentence in read if sentence.words]
    if not sentences:
        raise InputError(f"{path}: no sentences")
    return ([sentence.words for sentence in sentences],
            {name: [sentence.tags[column] for sentence in sentences]
             for name, column in columns.items()})
