"""Reading tagged sentences from the toy CSV format or from CoNLL-U files, and writing CoNLL-U.

Both readers return the same thing, a list of (words, tags) pairs, so the rest of the
code does not care where the data came from. For tagging inputs of any size, LineReader
and conllu_sentences read a file or standard input once, as it arrives, a line or a
sentence at a time. Every problem with a file is raised as an InputError whose message
is one line naming the file, the line and what is wrong.
"""
import csv
import dataclasses
import io
import re
import select
import sys
from pathlib import Path

from tagger.errors import InputError


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
            raise InputError(f"{path}: cannot tell CSV from CoNLL-U in a pipe; give a file named .csv or .conllu")
        return path.suffix.lower() == ".conllu"
    if path.exists() and not path.is_file():
        raise InputError(f"{path}: is not a regular file (a device?)")
    try:
        with open(path, "rb") as file:
            first_line = without_bom(file.readline(100_000))
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
        raise InputError(f"{source} line {line}: not valid UTF-8 (byte 0x{raw[error.start]:02x})") from None


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
            hint = "; the file looks tab-separated: separate the columns with commas" if "\t" in found else ""
            raise InputError(f"{path}: {problem} column '{column}' (found: {found}){hint}")
    text_column, tag_column = header.index("text"), header.index("tag")
    sentences = []
    for line, row in rows:
        if len(row) > len(header):
            raise InputError(f"{path} line {line}: more fields than the header's {len(header)} columns"
                             " (quote a cell that contains commas)")
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
    """Yield (line where the row starts, its cells) for each row of CSV text; blank lines are skipped."""
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


UPOS, XPOS = 3, 4  # the CoNLL-U columns (counted from 0) of the universal and the treebank's own tag
READ_BYTES = 1 << 16  # how much LineReader asks for at a time: whatever has arrived, up to this
MAX_LINE_BYTES = 1 << 22  # 4 MiB: room for a 2-million-character token, not for a whole file


def count_words(text, start):
    """Whitespace-separated words of text[start:], less one that began before `start`."""
    words = len(text[start:].split())
    if 0 < start < len(text) and not text[start - 1:start].isspace() and not text[start:start + 1].isspace():
        words -= 1  # the first piece continues a word already counted
    return words


class LineReader:
    """The lines of a file, or of standard input for "-", read once, in order, as they arrive.

    Read once, so a pipe or `<(...)` works like a file; as they arrive, so a caller can write
    its output while the input is still coming. Only "\n" ends a line (a "\r" before it stays
    with the line): str.splitlines would also split at form feeds and Unicode line separators,
    and the output would no longer line up with the input lines.
    """

    def __init__(self, path, stream=None, max_line_bytes=MAX_LINE_BYTES, max_line_words=None):
        """stream, if given, is read instead of opening `path`, which then only names it.

        A line longer than max_line_bytes, or of more than max_line_words words separated by
        whitespace, is an InputError as soon as that much of it has been read.
        """
        self.max_line_bytes, self.max_line_words = max_line_bytes, max_line_words
        self.path = path
        self.name = "standard input" if path == "-" else str(path)
        self.pending = bytearray()  # read but not yet handed out
        self.start = 0              # where the next line starts in pending
        self.stream = stream
        self.opened_here = stream is None and path != "-"

    def __iter__(self):
        """Yield (line number, line as bytes with its ending)."""
        if self.path == "-" and self.stream is None:
            if sys.stdin is None:  # started with `<&-`
                raise InputError("standard input is closed")
            self.stream = sys.stdin.buffer
        elif self.opened_here:
            try:
                self.stream = open(self.path, "rb")  # closed below, also when the caller stops early
            except FileNotFoundError:
                raise InputError(f"{self.path}: no such file") from None
            except IsADirectoryError:
                raise InputError(f"{self.path}: is a directory, not a file") from None
        try:
            line_number, searched = 0, 0  # searched: pending[:searched] holds no "\n" after start
            counted, words = 0, 0  # the words of pending[:counted], all of them one unfinished line
            while True:
                end = self.pending.find(b"\n", max(self.start, searched))
                if end == -1:
                    if self.start:  # lines were handed out: what is left starts a new one
                        counted, words = 0, 0
                    del self.pending[:self.start]  # once per read, not per line: linear in the input
                    self.start, searched = 0, len(self.pending)  # what is left has no "\n"
                    words += count_words(self.pending, counted)
                    counted = len(self.pending)
                    self.check_unfinished_line(line_number + 1, words)
                    block = self.stream.read1(READ_BYTES)  # what has arrived (waits only if nothing has)
                    if not block:
                        break
                    self.pending += block
                    continue
                line_number, line = line_number + 1, bytes(self.pending[self.start:end + 1])
                self.start = end + 1  # before the yield, so that more_ready() looks past this line
                yield line_number, without_bom(line) if line_number == 1 else line
            if self.pending:  # a last line without "\n"
                yield line_number + 1, without_bom(bytes(self.pending)) if line_number == 0 else bytes(self.pending)
                self.pending.clear()
        finally:
            if self.opened_here:
                self.stream.close()

    def check_unfinished_line(self, line_number, words):
        """An InputError as soon as the line being read is longer than its bounds allow."""
        if len(self.pending) > self.max_line_bytes:
            raise InputError(f"{self.name} line {line_number}: over {self.max_line_bytes >> 20} MiB "
                             "without a line break")
        if self.max_line_words is not None and words > self.max_line_words:
            raise InputError(f"{self.name} line {line_number}: more than {self.max_line_words:,} words in one "
                             "line, which is tagged as one sentence: put each sentence on a line of its own")

    def more_ready(self):
        """Whether another line may be had now, without waiting for the input (a person, a slow pipe)."""
        if self.pending.find(b"\n", self.start) != -1:
            return True
        try:
            readable, _, _ = select.select([self.stream], [], [], 0)
        except (OSError, ValueError):  # no select() for this stream (in memory; pipes on Windows): read on
            return True
        return bool(readable)


BOM = b"\xef\xbb\xbf"  # a byte order mark, which some editors put at the start of a UTF-8 file


def without_bom(raw):
    """The bytes without a leading byte order mark: it marks the encoding and is no part of the text."""
    return raw[len(BOM):] if raw.startswith(BOM) else raw


def decode_line(raw, source, line_number):
    """A line read as bytes, as text; bad UTF-8 is an InputError naming the line."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{source} line {line_number}: not valid UTF-8 (byte 0x{raw[error.start]:02x})") from None


@dataclasses.dataclass
class ConlluSentence:
    """One sentence of a CoNLL-U file as it was read, so that it can be written back with new tags."""
    lines: list       # its lines as read, endings kept: comments, word lines, ranges, the blank line after it
    words: list       # the word forms
    tags: dict        # {column (UPOS, XPOS): one tag per word}
    word_lines: list  # for each word, the index of its line in `lines`

    def with_tags(self, tags):
        """The sentence's text with each tag column in tags ({column: one tag per word}) replaced."""
        lines = list(self.lines)
        for i, line_index in enumerate(self.word_lines):
            line = lines[line_index]
            content = line.rstrip("\r\n")
            columns = content.split("\t")
            for column, column_tags in tags.items():
                columns[column] = column_tags[i]
            lines[line_index] = "\t".join(columns) + line[len(content):]
        return "".join(lines)


WORD_ID = re.compile(r"[1-9][0-9]*")
RANGE_ID = re.compile(r"([1-9][0-9]*)-([1-9][0-9]*)")  # a multiword token: "3-4"
EMPTY_NODE_ID = re.compile(r"(0|[1-9][0-9]*)\.[1-9][0-9]*")  # an empty node: "5.1"


def conllu_sentences(source, tags_required=True, tag_columns=(UPOS,), max_words=None):
    """Yield the sentences of a CoNLL-U file as ConlluSentences, as they are read.

    source: a path, "-" for standard input, or a LineReader.
    The word forms (column 2) and the tags of tag_columns (UPOS: column 4; XPOS: column 5,
    Penn Treebank tags in UD English) are read; comment lines, multiword-token ranges (3-4)
    and empty nodes (5.1) are kept in `lines` only. A blank line ends a sentence. With
    tags_required=False a file still to be tagged may have "_" as its tags. Every problem is
    an InputError naming the line. Blank lines that end no sentence go with the next one, or
    into a last ConlluSentence without words, so that writing every sentence's lines back
    gives the file again. With max_words, a sentence of more words is an InputError (memory
    follows the sentence).
    """
    reader = source if isinstance(source, LineReader) else LineReader(source)
    lines, words, tags, word_lines = [], [], {column: [] for column in tag_columns}, []
    sentence_start = None  # line where the current sentence began, for error messages
    range_end = 0  # the last word id that the sentence's multiword tokens cover
    for line_number, raw in reader:
        line = decode_line(raw, reader.name, line_number)
        lines.append(line)
        content = line.rstrip("\r\n")
        if not content:
            if sentence_start is not None:
                check_sentence_end(reader.name, sentence_start, words, range_end)
                yield ConlluSentence(lines, words, tags, word_lines)
                lines, words, tags, word_lines = [], [], {column: [] for column in tag_columns}, []
                sentence_start, range_end = None, 0
            continue
        if sentence_start is None:
            sentence_start = line_number
        if content.startswith("#"):
            continue
        columns = content.split("\t")
        where = f"{reader.name} line {line_number}"
        if len(columns) != 10:
            raise InputError(f"{where}: expected 10 tab-separated columns, found {len(columns)}")
        token_id = columns[0]
        if match := RANGE_ID.fullmatch(token_id):
            first, last = int(match[1]), int(match[2])
            if first != len(words) + 1 or last <= first:
                raise InputError(f"{where}: bad range {token_id!r} (the next word is {len(words) + 1})")
            if first <= range_end:
                raise InputError(f"{where}: range {token_id!r} inside another multiword token (to word {range_end})")
            range_end = max(range_end, last)
            continue
        if EMPTY_NODE_ID.fullmatch(token_id):
            continue
        if not WORD_ID.fullmatch(token_id):
            raise InputError(f"{where}: bad token id {token_id!r}")
        if int(token_id) != len(words) + 1:
            raise InputError(f"{where}: token id {token_id} where {len(words) + 1} comes next")
        if not columns[1]:
            raise InputError(f"{where}: missing word form")
        for column in tag_columns:
            if tags_required and columns[column] in ("", "_"):
                raise InputError(f"{where}: missing {'UPOS' if column == UPOS else 'XPOS'} tag")
            tags[column].append(columns[column])
        words.append(columns[1])
        word_lines.append(len(lines) - 1)
        if max_words is not None and len(words) > max_words:
            raise InputError(f"{where}: the sentence that starts at line {sentence_start} has more than "
                             f"{max_words:,} words")
    if sentence_start is not None:  # a file may end without the final blank line
        check_sentence_end(reader.name, sentence_start, words, range_end)
    if lines:
        yield ConlluSentence(lines, words, tags, word_lines)


def check_sentence_end(source, sentence_start, words, range_end):
    """At a sentence's end: it has words, and its multiword tokens cover none past the last."""
    if not words:
        raise InputError(f"{source} line {sentence_start}: sentence has no words")
    if range_end > len(words):
        raise InputError(f"{source} line {sentence_start}: a multiword token reaches word {range_end}, "
                         f"but the sentence has {len(words)} words")


def read_conllu(path, tags_required=True, tag_column=UPOS):
    """Read the word forms (column 2) and UPOS tags (column 4) of a CoNLL-U file: [(words, tags), ...].

    tag_column=XPOS reads the treebank-specific tags (column 5; Penn Treebank tags in UD
    English) instead. conllu_sentences says what is read and checked.
    """
    sentences = [(sentence.words, sentence.tags[tag_column])
                 for sentence in conllu_sentences(path, tags_required, (tag_column,)) if sentence.words]
    if not sentences:
        raise InputError(f"{path}: no sentences")
    return sentences


TAG_COLUMNS = {"upos": UPOS, "xpos": XPOS}  # the tag sets a CoNLL-U file holds, by name


def read_tag_sets(path, names=("upos",)):
    """Words and gold tags of a labelled file: (word lists, {tag set name: one tag list per sentence}).

    From a .conllu file each named tag set is read from its column (a missing tag is an
    InputError), in one pass; a .csv file has one tag column, which is read as "upos" (other
    names are left out: the file has no such tags).
    """
    if not is_conllu(path):
        data = read_csv(path)
        return [words for words, _ in data], {"upos": [tags for _, tags in data]}
    columns = {name: TAG_COLUMNS[name] for name in ("upos", *names)}
    sentences = [sentence for sentence in conllu_sentences(path, tag_columns=tuple(columns.values())) if sentence.words]
    if not sentences:
        raise InputError(f"{path}: no sentences")
    return ([sentence.words for sentence in sentences],
            {name: [sentence.tags[column] for sentence in sentences] for name, column in columns.items()})


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
    into its column (TAG_COLUMNS). Every other byte stays as it was (ConlluSentence.with_tags).
    """
    reader = LineReader("CoNLL-U text", io.BytesIO(conllu_text.encode("utf-8")))
    tags = {TAG_COLUMNS[name]: iter(column_tags) for name, column_tags in tags.items()}
    return "".join(sentence.with_tags({column: [next(column_tags) for _ in sentence.words]
                                       for column, column_tags in tags.items()})
                   for sentence in conllu_sentences(reader, tags_required=False))


LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # what str.splitlines splits on


def conllu_sentence(text, tokens, tags, head="_"):
    """One sentence in CoNLL-U, ending in a blank line: `# text`, then a line per word.

    tokens are tokenizer.Tokens; tags: {tag set name ("upos", "xpos"): one tag per word, of
    all the tokens, in order}, each written in its column. A token of several words gets a
    range line ("3-4") before its words; SpaceAfter=No marks a token with no space after it
    in the text. Columns the tagger does not predict hold "_"; `head` fills the HEAD column
    (evaluation scripts want a number there).
    """
    # A line break inside the comment (a carriage return, a form feed, U+2028, ...) would end it and
    # break the file for a CoNLL-U reader: in the comment it becomes a space.
    lines = [f"# text = {LINE_BREAKS.sub(' ', text)}"]
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
