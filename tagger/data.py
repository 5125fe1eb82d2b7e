"""Labelled data from the toy CSV format or from CoNLL-U, as word lists and tag lists.

Every problem with a file is an InputError of one line naming the file, the line and what is wrong.
"""
import csv
import io
from pathlib import Path

from tagger.conllu import TAG_COLUMNS, conllu_sentences
from tagger.errors import InputError
from tagger.lines import MAX_LINE_BYTES, without_bom


def is_conllu(path):
    """Whether `path` holds CoNLL-U rather than CSV, by its first line: a comment or ten columns.

    A pipe cannot be looked at without using it up: there its name decides (.conllu or .csv).
    """
    if not str(path):
        raise InputError("an empty path (an unset variable?)")
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    if path.is_fifo():
        if path.suffix.lower() not in (".conllu", ".csv"):
            raise InputError(f"{path}: cannot tell CSV from CoNLL-U in a pipe; give a file named "
                             ".csv or .conllu")
        return path.suffix.lower() == ".conllu"
    if path.exists() and not path.is_file():
        raise InputError(f"{path}: is not a regular file (a device?)")
    try:
        with open(path, "rb") as file:
            first_line = without_bom(file.readline(MAX_LINE_BYTES))
    except OSError:
        return False  # the CSV reader says what is wrong with the path
    return first_line.startswith(b"#") or first_line.count(b"\t") == 9


def read_text(path):
    """Return the whole file as a str; a missing file or bad UTF-8 is an InputError."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    return decode_utf8(raw, path)


def decode_utf8(raw, source):
    """Decode bytes read from `source` (a path, or "standard input"); bad UTF-8 is an InputError.

    A byte order mark at the start is left out (it is no part of the text).
    """
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start]
        raise InputError(f"{source} line {line}: not valid UTF-8 (byte 0x{byte:02x})") from None


def read_csv(path):
    """Read a CSV file with columns `text` and `tag`: one sentence per row, space-separated.

    Python's csv module reads it row by row, so that every error names the line where its row
    starts, even after blank lines or a quoted cell that spans lines. Cells stay text: a word
    such as "NA" or "null" is a word, not a missing value.
    """
    text = read_text(path)
    if not text.strip():
        raise InputError(f"{path}: file is empty")
    if "\0" in text:
        raise InputError(f"{path} line {text[:text.index(chr(0))].count(chr(10)) + 1}: a NUL byte")
    rows = numbered_csv_rows(path, text)
    line, header = next(rows)
    for column in ("text", "tag"):
        if header.count(column) != 1:
            found = ", ".join(header)
            problem = "missing" if column not in header else "more than one"
            hint = ("; the file looks tab-separated: separate the columns with commas"
                    if "\t" in found else "")
            raise InputError(f"{path}: {problem} column '{column}' (found: {found}){hint}")
    text_column, tag_column = header.index("text"), header.index("tag")
    sentences = []
    for line, row in rows:
        if len(row) > len(header):
            raise InputError(f"{path} line {line}: more fields than the header's {len(header)} "
                             "columns (quote a cell that contains commas)")
        row += [""] * (len(header) - len(row))
        words, tags = row[text_column].split(), row[tag_column].split()
        if not words:
            raise InputError(f"{path} line {line}: empty 'text' cell")
        if not tags:
            raise InputError(f"{path} line {line}: empty 'tag' cell")
        if len(words) != len(tags):
            raise InputError(
                f"{path} line {line}: {len(words)} tokens in 'text' but {len(tags)} tags in 'tag'"
            )
        sentences.append((words, tags))
    if not sentences:
        raise InputError(f"{path}: no sentences (only a header)")
    return sentences


def numbered_csv_rows(path, text):
    """(line where the row starts, its cells) for each row of CSV text; blank lines skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if len(row) > 1 or row and row[0].strip():  # a line of spaces is blank, as for pandas
                yield start, row
    except csv.Error as error:
        hint = " (a quote is not closed)" if "unexpected end of data" in str(error) else ""
        raise InputError(f"{path} line {line}: not valid CSV: {error}{hint}") from None


def read_tag_sets(path, names=("upos",)):
    """Words and gold tags of a labelled file: (word lists, {tag set name: one tag list per
    sentence}).

    A CSV file has one tag column, read as "upos"; other names are left out.
    """
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
