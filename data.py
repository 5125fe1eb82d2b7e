"""Reading tagged sentences from the toy CSV format or from CoNLL-U files, and writing CoNLL-U.

Both readers return the same thing, a list of (words, tags) pairs, so the rest of the
code does not care where the data came from. Every problem with a file is raised as
an InputError whose message is one line naming the file, the line and what is wrong.
"""
import csv
import io
import warnings
from pathlib import Path

import pandas as pd


class InputError(Exception):
    """A problem with an input (a file, a checkpoint, an option), described in one line for the user."""


def read_tagged_sentences(path):
    """Read `path` as CoNLL-U if it ends in .conllu, otherwise as the toy CSV format."""
    path = Path(path)
    if path.suffix == ".conllu":
        return read_conllu(path)
    return read_csv(path)


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
    """Decode bytes read from `source` (a path, or "standard input"); bad UTF-8 is an InputError."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError(f"{source} line {line}: not valid UTF-8 (byte 0x{raw[error.start]:02x})") from None


def read_csv(path):
    """Read a CSV file with columns `text` and `tag`: one sentence per row, space-separated."""
    text = read_text(path)
    if not text.strip():
        raise InputError(f"{path}: file is empty")
    try:
        with warnings.catch_warnings():
            # pandas only warns (and drops data) when a row has more fields than the header.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            # dtype=str and keep_default_na=False keep words such as "NA" or "null" as text
            # instead of NaN, and leave empty cells as "" so that we can report them;
            # index_col=False stops pandas from silently using extra fields as an index.
            table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, index_col=False)
    except pd.errors.ParserWarning:
        rows = csv.reader(io.StringIO(text))
        n_columns = len(next(rows))
        line = next(i for i, row in enumerate(rows, start=2) if len(row) > n_columns)
        raise InputError(f"{path} line {line}: more fields than the header's {n_columns} columns"
                        " (quote a cell that contains commas)") from None
    except pd.errors.ParserError as error:
        reason = " ".join(str(error).split())  # pandas' message may span lines
        raise InputError(f"{path}: not a valid CSV file: {reason}") from None
    for column in ("text", "tag"):
        if column not in table.columns:
            found = ", ".join(map(str, table.columns))
            raise InputError(f"{path}: missing column '{column}' (found: {found})")
    if len(table) == 0:
        raise InputError(f"{path}: no sentences (only a header)")

    sentences = []
    for row_number, (text_cell, tag_cell) in enumerate(zip(table["text"], table["tag"])):
        line = row_number + 2  # line 1 is the header
        words, tags = text_cell.split(), tag_cell.split()
        if not words:
            raise InputError(f"{path} line {line}: empty 'text' cell")
        if not tags:
            raise InputError(f"{path} line {line}: empty 'tag' cell")
        if len(words) != len(tags):
            raise InputError(
                f"{path} line {line}: {len(words)} tokens in 'text' but {len(tags)} tags in 'tag'"
            )
        sentences.append((words, tags))
    return sentences


UPOS, XPOS = 3, 4  # the CoNLL-U columns (counted from 0) of the universal and the treebank's own tag


def read_conllu(path, tags_required=True, tag_column=UPOS):
    """Read the word forms (column 2) and UPOS tags (column 4) of a CoNLL-U file.

    tag_column=XPOS reads the treebank-specific tags (column 5; Penn Treebank tags in UD
    English) instead. Comment lines, multiword-token ranges (ids like 3-4) and empty nodes
    (ids like 5.1) are skipped; a blank line ends a sentence. With tags_required=False a
    file still to be tagged may have "_" as its tags.
    """
    sentences = []
    words, tags = [], []
    sentence_start = None  # line where the current sentence began, for error messages
    lines = read_text(path).split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline does not start another line
    for line_number, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line:
            if sentence_start is not None:
                if not words:
                    raise InputError(f"{path} line {sentence_start}: sentence has no words")
                sentences.append((words, tags))
            words, tags, sentence_start = [], [], None
            continue
        if sentence_start is None:
            sentence_start = line_number
        if line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) != 10:
            raise InputError(f"{path} line {line_number}: expected 10 tab-separated columns, found {len(columns)}")
        token_id = columns[0]
        if "-" in token_id or "." in token_id:
            continue
        if not token_id.isdigit():
            raise InputError(f"{path} line {line_number}: bad token id {token_id!r}")
        form, tag = columns[1], columns[tag_column]
        if not form:
            raise InputError(f"{path} line {line_number}: missing word form")
        if tags_required and tag in ("", "_"):
            raise InputError(f"{path} line {line_number}: missing {'UPOS' if tag_column == UPOS else 'XPOS'} tag")
        words.append(form)
        tags.append(tag)
    if sentence_start is not None:  # a file may end without the final blank line
        if not words:
            raise InputError(f"{path} line {sentence_start}: sentence has no words")
        sentences.append((words, tags))
    if not sentences:
        raise InputError(f"{path}: no sentences")
    return sentences


TAG_COLUMNS = {"upos": UPOS, "xpos": XPOS}  # the tag sets a CoNLL-U file holds, by name


def read_tag_sets(path, names=("upos",)):
    """Words and gold tags of a labelled file: (word lists, {tag set name: one tag list per sentence}).

    From a .conllu file each named tag set is read from its column (a missing tag is an
    InputError); a .csv file has one tag column, which is read as "upos" (other names are
    left out: the file has no such tags).
    """
    data = read_tagged_sentences(path)
    sentences, gold = [words for words, _ in data], {"upos": [tags for _, tags in data]}
    if Path(path).suffix == ".conllu":
        for name in names:
            if name != "upos":
                gold[name] = [tags for _, tags in read_conllu(path, tag_column=TAG_COLUMNS[name])]
    return sentences, gold


def write_conllu_slice(source, destination, n_sentences):
    """Copy the first n_sentences sentences of a CoNLL-U file (for quick tests and timings)."""
    kept, sentences = [], 0
    with open(source, encoding="utf-8") as lines:
        for line in lines:
            kept.append(line)
            if not line.strip():
                sentences += 1
                if sentences == n_sentences:
                    break
    Path(destination).write_text("".join(kept), encoding="utf-8")


def replace_tags(conllu_text, tags):
    """conllu_text with the tag columns of each word line replaced by predicted tags.

    tags: {tag set name ("upos", "xpos"): the tags of every word, in file order}; each goes
    into its column (TAG_COLUMNS). Every other byte stays as it was: comments, multiword-token
    and empty-node lines, the other columns, line endings. The word lines are the ones
    read_conllu reads.
    """
    tags = {TAG_COLUMNS[name]: iter(column_tags) for name, column_tags in tags.items()}
    lines = conllu_text.split("\n")
    for i, line in enumerate(lines):
        columns = line.split("\t")
        if len(columns) == 10 and columns[0].isdigit():
            for column, column_tags in tags.items():
                columns[column] = next(column_tags)
            lines[i] = "\t".join(columns)
    return "\n".join(lines)


def conllu_sentence(text, tokens, tags, head="_"):
    """One sentence in CoNLL-U, ending in a blank line: `# text`, then a line per word.

    tokens are tokenizer.Tokens; tags: {tag set name ("upos", "xpos"): one tag per word, of
    all the tokens, in order}, each written in its column. A token of several words gets a
    range line ("3-4") before its words; SpaceAfter=No marks a token with no space after it
    in the text. Columns the tagger does not predict hold "_"; `head` fills the HEAD column
    (evaluation scripts want a number there).
    """
    lines = [f"# text = {text}"]
    tags = {TAG_COLUMNS[name]: iter(column_tags) for name, column_tags in tags.items()}
    word_id = 1
    for token in tokens:
        misc = "_" if token.space_after else "SpaceAfter=No"
        if len(token.words) > 1:
            last_id = word_id + len(token.words) - 1
            lines.append(f"{word_id}-{last_id}\t{token.text}\t_\t_\t_\t_\t_\t_\t_\t{misc}")
            misc = "_"  # the range line carries it for the whole token
        for word in token.words:
            columns = [str(word_id), word, "_", "_", "_", "_", head, "_", "_", misc]
            for column, column_tags in tags.items():
                columns[column] = next(column_tags)
            lines.append("\t".join(columns))
            word_id += 1
    return "\n".join(lines) + "\n\n"
