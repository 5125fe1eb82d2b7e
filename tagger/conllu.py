"""CoNLL-U in and out: reading and checking sentences as they arrive, and writing them."""
import dataclasses
import re

from tagger.errors import InputError
from tagger.lines import LineReader


UPOS, XPOS = 3, 4  # columns counted from 0


@dataclasses.dataclass
class ConlluSentence:
    """One sentence of a CoNLL-U file as read (every line, endings kept), to be retagged."""
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
    """Yield the ConlluSentences of a path, "-" or LineReader (tags_required=False: "_" too)."""
    reader = source if isinstance(source, LineReader) else LineReader(source)
    lines, words, tags, word_lines = [], [], {column: [] for column in tag_columns}, []
    sentence_start = None
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


LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # str.splitlines'


def conllu_sentence(text, tokens, tags, head="_", offset=None):
    """A sentence as CoNLL-U (tags: {tag set: a tag per word}); with the text's `offset` in its
    input, MISC gives each token's TokenRange there, as UDPipe does."""
    lines = [f"# text = {LINE_BREAKS.sub(' ', text)}"]  # a line break would end the comment
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
