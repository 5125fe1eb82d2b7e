"""Reading the toy CSV format, CoNLL-U files and lines, and the one-line errors for bad files."""
import os
import threading

import pytest

from conftest import read_conllu
from tagger.conllu import UPOS, XPOS, conllu_sentences
from tagger.data import read_csv, read_tag_sets
from tagger.errors import InputError
from tagger.lines import LineReader


def tagged_pairs(path):
    """read_tag_sets' UPOS data as [(words, tags), ...], whichever format the file is in."""
    sentences, gold = read_tag_sets(path)
    return [(words, tags) for words, tags in zip(sentences, gold["upos"])]


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_read_csv_returns_words_and_tags(tmp_path):
    path = write(tmp_path, "t.csv", "text,tag\nThe dog ate,DET NN V\nNA null,X X\n")
    # "NA" and "null" must stay words (a table reader such as pandas would make them missing
    # values).
    assert read_csv(path) == [(["The", "dog", "ate"], ["DET", "NN", "V"]),
                              (["NA", "null"], ["X", "X"])]


@pytest.mark.parametrize("content, message", [
    ("", "t.csv: file is empty"),
    ("text,tag\n", "t.csv: no sentences (only a header)"),
    ("text,tags\nThe dog,DET NN\n", "t.csv: missing column 'tag' (found: text, tags)"),
    ("text,tag\nThe dog,DET NN\n,DET\n", "t.csv line 3: 0 words in 'text' but 1 tags in 'tag'"),
    ("text,tag\nThe dog,DET NN\nThe dog ate,DET NN\n", "t.csv line 3: 3 words in 'text' but 2 "
                                                       "tags in 'tag'"),
    (b"text,tag\nThe dog,DET NN\ncaf\xe9 ok,NN NN\n", "t.csv line 3: not valid UTF-8 (byte 0xe9)"),
    ("text,tag\nThe dog,DET NN\nA dog,DET NN\nA b,X Y,z\n",
     "t.csv line 4: 3 fields where the header has 2 (quote a cell that holds commas)"),
    ('text,tag\n"The dog,DET NN\n', "t.csv line 2: not valid CSV: unexpected end of data"),
    # Blank rows and a quoted cell spanning lines: the error names the line where the row starts.
    ("text,tag\n\nThe dog,DET NN\n\n\nA,B C\n", "t.csv line 6: 1 words in 'text' but 2 tags"),
    ('text,tag\n"The\ndog",DET NN\nA,B C\n', "t.csv line 4: 1 words in 'text' but 2 tags"),
])
def test_bad_csv_is_a_one_line_error_naming_file_and_line(tmp_path, content, message):
    path = write(tmp_path, "t.csv", content)
    with pytest.raises(InputError) as error:
        read_csv(path)
    assert str(error.value).startswith(f"{tmp_path}/{message}")
    assert "\n" not in str(error.value)


CONLLU = """# sent_id = 1
# text = Don't stop.
1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tDo\tdo\tAUX\t_\t_\t0\troot\t_\t_
2\tn't\tnot\tPART\t_\t_\t1\tadvmod\t_\t_
3\tstop\tstop\tVERB\t_\t_\t1\tconj\t_\t_
3.1\tgo\tgo\tVERB\t_\t_\t_\t_\t_\t_
4\t.\t.\tPUNCT\t_\t_\t1\tpunct\t_\t_

1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_
"""


def test_read_conllu_skips_comments_ranges_and_empty_nodes(tmp_path):
    path = write(tmp_path, "t.conllu", CONLLU)  # the last sentence has no final blank line
    assert tagged_pairs(path) == [
        (["Do", "n't", "stop", "."], ["AUX", "PART", "VERB", "PUNCT"]),
        (["Hi"], ["INTJ"]),
    ]


@pytest.mark.parametrize("content, message", [
    ("1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\n", "t.conllu line 1: expected 10 tab-separated columns, "
                                            "found 9"),
    ("1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_\n\n# sent_id = "
     "2\n1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_\n\n",
     "t.conllu line 3: sentence has no words"),
    ("# only a comment\n\n", "t.conllu line 1: sentence has no words"),
    ("x\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_\n", "t.conllu line 1: bad token id 'x'"),
    ("1\tHi\thi\t_\t_\t_\t0\troot\t_\t_\n", "t.conllu line 1: missing UPOS tag"),
    (b"1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_\n\n1\t\xff\thi\tINTJ\t_\t_\t0\troot\t_\t_\n",
     "t.conllu line 3: not valid UTF-8 (byte 0xff)"),
    ("", "t.conllu: no sentences"),
])
def test_bad_conllu_is_a_one_line_error_naming_file_and_line(tmp_path, content, message):
    path = write(tmp_path, "t.conllu", content)
    with pytest.raises(InputError) as error:
        read_conllu(path)
    assert str(error.value) == f"{tmp_path}/{message}"


XPOS_CONLLU = """# text = Don't stop.
1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tDo\tdo\tAUX\tVBP\t_\t0\troot\t_\t_
2\tn't\tnot\tPART\tRB\t_\t1\tadvmod\t_\t_
3\tstop\tstop\tVERB\tVB\t_\t1\tconj\t_\tSpaceAfter=No
4\t.\t.\tPUNCT\t.\t_\t1\tpunct\t_\t_

"""


def test_read_conllu_reads_xpos_from_column_5(tmp_path):
    path = write(tmp_path, "t.conllu", XPOS_CONLLU)
    assert read_conllu(path, "xpos") == [(["Do", "n't", "stop", "."], ["VBP", "RB", "VB", "."])]
    assert read_conllu(path) == [(["Do", "n't", "stop", "."], ["AUX", "PART", "VERB", "PUNCT"])]


def test_missing_xpos_is_a_one_line_error_naming_the_line(tmp_path):
    path = write(tmp_path, "t.conllu", XPOS_CONLLU.replace("\tVB\t", "\t_\t"))
    with pytest.raises(InputError) as error:
        read_conllu(path, tag_column="xpos")
    assert str(error.value) == f"{path} line 5: missing XPOS tag"
    assert read_conllu(path)[0][1][2] == "VERB"  # UPOS alone does not need it


def test_read_tag_sets_reads_each_named_tag_set_from_conllu_and_only_upos_from_csv(tmp_path):
    conllu = write(tmp_path, "t.conllu", XPOS_CONLLU)
    sentences, gold = read_tag_sets(conllu, ("upos", "xpos"))
    assert sentences == [["Do", "n't", "stop", "."]]
    assert gold == {"upos": [["AUX", "PART", "VERB", "PUNCT"]], "xpos": [["VBP", "RB", "VB", "."]]}
    assert list(read_tag_sets(conllu)[1]) == ["upos"]
    csv_file = write(tmp_path, "t.csv", "text,tag\nThe dog,DET NN\n")
    assert read_tag_sets(csv_file, ("upos", "xpos")) == ([["The", "dog"]],
                                                         {"upos": [["DET", "NN"]]})


def test_a_csv_with_another_suffix_or_a_conllu_in_capitals_is_read_by_its_content(tmp_path):
    assert tagged_pairs(write(tmp_path, "t.CONLLU", XPOS_CONLLU))[0][0] == ["Do", "n't", "stop",
                                                                            "."]
    assert tagged_pairs(write(tmp_path, "t.txt", XPOS_CONLLU))[0][0] == ["Do", "n't", "stop", "."]
    assert tagged_pairs(write(tmp_path, "t.txt", "text,tag\nA b,X Y\n")) == [(["A", "b"],
                                                                              ["X", "Y"])]


def read_all_lines(source, read_bytes=1 << 16):
    return [line for _, line in LineReader(source, read_bytes=read_bytes)]


def test_only_newline_ends_a_line(tmp_path):
    """Form feeds, Unicode line, paragraph and group separators stay inside their line."""
    content = "a\x0cb\nc\u2028d\u0085e\r\nf\x1dg\u2029h\nlast".encode()
    assert read_all_lines(write(tmp_path, "t.txt", content)) == [
        "a\x0cb\n".encode(), "c\u2028d\u0085e\r\n".encode(), "f\x1dg\u2029h\n".encode(), b"last"]


def test_lines_longer_than_a_read_and_a_pipe_are_read_like_a_file(tmp_path, monkeypatch):
    content = (b"".join(f"line {i} ".encode() * (i % 5) + b"\n" for i in range(200))
               + b"no newline at the end")
    path = write(tmp_path, "t.txt", content)
    assert b"".join(read_all_lines(path, read_bytes=7)) == content  # lines span many reads
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(content,))
    writer.start()
    assert read_all_lines(fifo, read_bytes=7) == read_all_lines(path)
    writer.join()


def test_more_ready_says_whether_the_next_line_has_arrived():
    read_end, write_end = os.pipe()
    os.write(write_end, b"first\nsecond\n")
    monkeypatch = pytest.MonkeyPatch()
    with os.fdopen(read_end, "rb") as stream:
        monkeypatch.setattr("sys.stdin", type("Stdin", (), {"buffer": stream}))
        reader = LineReader("-")
        lines = iter(reader)
        assert next(lines) == (1, b"first\n") and reader.more_ready()  # the second line is there
        assert next(lines) == (2, b"second\n") and not reader.more_ready()  # nothing more for now
        os.write(write_end, b"third")
        assert reader.more_ready()
        os.close(write_end)
        assert list(lines) == [(3, b"third")]
    monkeypatch.undo()


ROUND_TRIP = ("\n# stray blank line above\n1\tA\t_\tX\t_\t_\t_\t_\t_\t_\r\n\r\n\n\n"
              "# text = b c\n1-2\tbc\t_\t_\t_\t_\t_\t_\t_\t_\n1\tb\t_\t_\t_\t_\t_\t_\t_\t_\n"
              "2\tc\t_\t_\t_\t_\t_\t_\t_\t_\n2.1\te\t_\t_\t_\t_\t_\t_\t_\t_\n\n\n")


def test_conllu_sentences_give_back_every_byte_and_replace_only_tags(tmp_path):
    path = write(tmp_path, "t.conllu", ROUND_TRIP)
    sentences = list(conllu_sentences(path, tags_required=False, tag_columns=(UPOS, XPOS)))
    assert "".join(line for sentence in sentences for line in sentence.lines) == ROUND_TRIP
    # the last: the blank lines at the end
    assert [sentence.words for sentence in sentences] == [["A"], ["b", "c"], []]
    tagged = "".join(sentence.with_tags({UPOS: ["U"] * len(sentence.words),
                                         XPOS: ["P"] * len(sentence.words)})
                     for sentence in sentences)
    assert tagged == ROUND_TRIP.replace("\tX\t_\t", "\tU\tP\t").replace("\tb\t_\t_\t_\t",
                                                                        "\tb\t_\tU\tP\t").replace(
        "\tc\t_\t_\t_\t", "\tc\t_\tU\tP\t")


WORD = "\t{}\t_\tX\t_\t_\t_\t_\t_\t_\n"


@pytest.mark.parametrize("lines, message", [
    (["-3" + WORD.format("a")], "line 1: bad token id '-3'"),
    (["1" + WORD.format("a"), "03" + WORD.format("b")], "line 2: bad token id '03'"),
    (["1" + WORD.format("a"), "3" + WORD.format("b")], "line 2: token id 3 where 2 comes next"),
    (["2" + WORD.format("a")], "line 1: token id 2 where 1 comes next"),
    (["1.0" + WORD.format("a")], "line 1: bad token id '1.0'"),
])
def test_malformed_ids_are_one_line_errors(tmp_path, lines, message):
    path = write(tmp_path, "t.conllu", "".join(lines) + "\n")
    with pytest.raises(InputError) as error:
        read_conllu(path)
    assert str(error.value) == f"{path} {message}"
