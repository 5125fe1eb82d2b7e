"""CoNLL-U in and out: reading and checking sentences as they arrive, and writing them."""
import dataclasses
import re

from tagger.errors import InputError
from tagger.lines import LineReader


# the CoNLL-U columns (counted from 0) of the universal and the treebank's own tag
UPOS, XPOS = 3, 4


@dataclasses.dataclass
class ConlluSentence:
    """One sentence of a CoNLL-U file as read, to be written back with new tags."""
    # its lines as read, endings kept: comments, word lines, ranges, the blank line after it
    lines: list
    words: list       # the word forms
    tags: dict        # {column (UPOS, XPOS): one tag per word}
    word_lines: list  # for each word, the index of its line in `lines`

    def with_tags(self, tags):
        """The sentence's text with the columns of tags ({column: a tag per word}) replaced."""
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
RANGE_ID = re.compile(r"[1-9][0-9]*-[1-9][0-9]*")  # a multiword token: "3-4"
EMPTY_NODE_ID = re.compile(r"(0|[1-9][0-9]*)\.[1-9][0-9]*")  # an empty node: "5.1"


def conllu_sentences(source, tags_required=True, tag_columns=(UPOS,), max_words=None):
    """Yield the ConlluSentences of a path, "-" or LineReader; their lines joined give the file.

    tags_required=False allows "_" tags; a problem is an InputError naming the line.
    """
    reader = source if isinstance(source, LineReader) else LineReader(source)
    lines, words, tags, word_lines = [], [], {column: [] for column in tag_columns}, []
    sentence_start = None  # line where the current sentence began, for error messages
    for line_number, raw in reader:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"{reader.name} line {line_number}: not valid UTF-8 (byte "
                             f"0x{raw[error.start]:02x})") from None
        lines.append(line)
        content = line.rstrip("\r\n")
        if not content:
            if sentence_start is not None:
                check_has_words(reader.name, sentence_start, words)
                yield ConlluSentence(lines, words, tags, word_lines)
                lines, words, tags, word_lines = [], [], {column: [] for column in tag_columns}, []
                sentence_start = None
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
        if RANGE_ID.fullmatch(token_id) or EMPTY_NODE_ID.fullmatch(token_id):
            continue  # a multiword token's line, an empty node: kept, never tagged
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
            raise InputError(f"{where}: the sentence that starts at line {sentence_start} has "
                             f"more than {max_words:,} words")
    if sentence_start is not None:  # a file may end without the final blank line
        check_has_words(reader.name, sentence_start, words)
    if lines:
        yield ConlluSentence(lines, words, tags, word_lines)


def check_has_words(source, sentence_start, words):
    if not words:
        raise InputError(f"{source} line {sentence_start}: sentence has no words")


TAG_COLUMNS = {"upos": UPOS, "xpos": XPOS}  # the tag sets a CoNLL-U file holds, by name


# what str.splitlines splits on
LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def conllu_sentence(text, tokens, tags, head="_", offset=None):
    """A sentence as CoNLL-U: `# text`, a range line ("3-4") for a token of several words, a
    line per word (tags: {tag set: a tag per word}), a blank line; `head` fills HEAD. With the
    text's `offset` in its input, MISC says where each token is there (UDPipe's TokenRange)."""
    # A line break inside the comment (a carriage return, a form feed, U+2028, ...) would end it and
    # break the file for a CoNLL-U reader: in the comment it becomes a space.
    lines = [f"# text = {LINE_BREAKS.sub(' ', text)}"]
    tags = {TAG_COLUMNS[name]: iter(column_tags) for name, column_tags in tags.items()}
    word_id = 1
    for token in tokens:
        misc = [] if token.space_after else ["SpaceAfter=No"]
        if offset is not None:  # characters [start, end) of the input
            start = offset + token.start
            misc.append(f"TokenRange={start}:{start + len(token.text)}")
        misc = "|".join(misc) or "_"
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
