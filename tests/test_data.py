"""Reading the toy CSV format and CoNLL-U files, and the one-line errors for bad files."""
import pytest

from data import (XPOS, InputError, read_conllu, read_csv, read_tag_sets, read_tagged_sentences,
                  replace_tags)


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_read_csv_returns_words_and_tags(tmp_path):
    path = write(tmp_path, "t.csv", "text,tag\nThe dog ate,DET NN V\nNA null,X X\n")
    # "NA" and "null" must stay words: pandas would turn them into NaN by default.
    assert read_csv(path) == [(["The", "dog", "ate"], ["DET", "NN", "V"]), (["NA", "null"], ["X", "X"])]


def test_repository_train_csv_is_the_tutorial_data():
    from conftest import ROOT
    assert read_csv(ROOT / "train.csv") == [
        ("The dog ate the apple".split(), "DET NN V DET NN".split()),
        ("Everybody read that book".split(), "NN V DET NN".split()),
    ]


@pytest.mark.parametrize("content, message", [
    ("", "t.csv: file is empty"),
    ("text,tag\n", "t.csv: no sentences (only a header)"),
    ("text,tags\nThe dog,DET NN\n", "t.csv: missing column 'tag' (found: text, tags)"),
    ("words,tag\nThe dog,DET NN\n", "t.csv: missing column 'text' (found: words, tag)"),
    ("text,tag\nThe dog,DET NN\n,DET\n", "t.csv line 3: empty 'text' cell"),
    ("text,tag\nThe dog,\n", "t.csv line 2: empty 'tag' cell"),
    ("text,tag\nThe dog,DET NN\nThe dog ate,DET NN\n", "t.csv line 3: 3 tokens in 'text' but 2 tags in 'tag'"),
    (b"text,tag\nThe dog,DET NN\ncaf\xe9 ok,NN NN\n", "t.csv line 3: not valid UTF-8 (byte 0xe9)"),
])
def test_bad_csv_is_a_one_line_error_naming_file_and_line(tmp_path, content, message):
    path = write(tmp_path, "t.csv", content)
    with pytest.raises(InputError) as error:
        read_csv(path)
    assert str(error.value) == f"{tmp_path}/{message}"
    assert "\n" not in str(error.value)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: no such file$"):
        read_tagged_sentences(tmp_path / "nope.csv")


@pytest.mark.parametrize("content, message", [
    ("text,tag\nThe dog,DET NN,extra\nA dog,DET NN\n", "t.csv line 2: more fields than the header's 2 columns"),
    ("text,tag\nThe dog,DET NN\nA dog,DET NN\nA b,X Y,z\n", "Expected 2 fields in line 4, saw 3"),
    ('text,tag\n"The dog,DET NN\n', "not a valid CSV file: Error tokenizing data"),
])
def test_unparseable_csv_is_a_one_line_error(tmp_path, content, message):
    path = write(tmp_path, "t.csv", content)
    with pytest.raises(InputError) as error:
        read_csv(path)
    assert message in str(error.value) and "\n" not in str(error.value)


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
    assert read_tagged_sentences(path) == [
        (["Do", "n't", "stop", "."], ["AUX", "PART", "VERB", "PUNCT"]),
        (["Hi"], ["INTJ"]),
    ]


@pytest.mark.parametrize("content, message", [
    ("1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\n", "t.conllu line 1: expected 10 tab-separated columns, found 9"),
    ("1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_\n\n# sent_id = 2\n1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_\n\n",
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
    assert read_conllu(path, tag_column=XPOS) == [(["Do", "n't", "stop", "."], ["VBP", "RB", "VB", "."])]
    assert read_conllu(path) == [(["Do", "n't", "stop", "."], ["AUX", "PART", "VERB", "PUNCT"])]


def test_missing_xpos_is_a_one_line_error_naming_the_line(tmp_path):
    path = write(tmp_path, "t.conllu", XPOS_CONLLU.replace("\tVB\t", "\t_\t"))
    with pytest.raises(InputError) as error:
        read_conllu(path, tag_column=XPOS)
    assert str(error.value) == f"{path} line 5: missing XPOS tag"
    assert read_conllu(path)[0][1][2] == "VERB"  # UPOS alone does not need it


def test_replace_tags_with_xpos_changes_columns_4_and_5_only():
    replaced = replace_tags(XPOS_CONLLU, {"upos": ["A", "B", "C", "D"], "xpos": ["w", "x", "y", "z"]})
    old_lines, new_lines = XPOS_CONLLU.split("\n"), replaced.split("\n")
    assert len(old_lines) == len(new_lines)
    for old, new in zip(old_lines, new_lines):
        old_columns, new_columns = old.split("\t"), new.split("\t")
        if len(old_columns) == 10 and old_columns[0].isdigit():
            assert new_columns[3:5] != old_columns[3:5]
            assert new_columns[:3] + new_columns[5:] == old_columns[:3] + old_columns[5:]
        else:
            assert new == old
    assert [line.split("\t")[3:5] for line in new_lines[2:6]] == [["A", "w"], ["B", "x"], ["C", "y"], ["D", "z"]]


def test_read_tag_sets_reads_each_named_tag_set_from_conllu_and_only_upos_from_csv(tmp_path):
    conllu = write(tmp_path, "t.conllu", XPOS_CONLLU)
    sentences, gold = read_tag_sets(conllu, ("upos", "xpos"))
    assert sentences == [["Do", "n't", "stop", "."]]
    assert gold == {"upos": [["AUX", "PART", "VERB", "PUNCT"]], "xpos": [["VBP", "RB", "VB", "."]]}
    assert list(read_tag_sets(conllu)[1]) == ["upos"]
    csv_file = write(tmp_path, "t.csv", "text,tag\nThe dog,DET NN\n")
    assert read_tag_sets(csv_file, ("upos", "xpos")) == ([["The", "dog"]], {"upos": [["DET", "NN"]]})
