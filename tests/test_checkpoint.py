"""Saving and loading a trained tagger, and the one-line errors for bad checkpoint files."""
import errno
import os
import re
import tempfile
from pathlib import Path

import pytest
import torch

from tagger.checkpoint import check_can_save, load_checkpoint, save_checkpoint, save_temperature
from tagger.errors import InputError
from tagger.model import RealDataTagger as LSTMTagger
from tagger.vocabulary import Vocabulary
from tagger.predict import predict

SENTENCES, GOLD = ["The dog ate the apple".split()], {"upos": ["DET NN V DET NN".split()]}


def tags_of(model, vocab, sentences):
    """{tag set: tag lists} that `model` predicts."""
    return {name: prediction.tags for name, prediction in predict(model, sentences, vocab).items()}


def saved_model(tmp_path):
    vocab = Vocabulary.from_training_data(SENTENCES, GOLD, chars=True, lowercase=True)
    settings = dict(embedding_dim=4, hidden_dim=3, vocab_size=len(vocab.word_to_ix),
                    tagset_size=len(vocab.tag_to_ix),
                    is_nll_loss=False, bidirectional=True, char_vocab_size=len(vocab.char_to_ix),
                    char_embedding_dim=2, char_hidden_dim=2)
    torch.manual_seed(0)
    model = LSTMTagger(**settings)
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, settings, vocab)
    return path, model, vocab


def test_round_trip_restores_weights_vocabularies_and_settings(tmp_path):
    path, model, vocab = saved_model(tmp_path)
    loaded, loaded_vocab = load_checkpoint(path)
    assert loaded_vocab == vocab and loaded_vocab.lowercase
    assert loaded.tag_output.is_nll_loss is False and loaded.lstm.bidirectional
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, loaded.state_dict()[name])
    sentences = [["The", "cat", "ate"]]
    assert tags_of(loaded, vocab, sentences) == tags_of(model, vocab, sentences)
    assert not (tmp_path / "model.pt.tmp").exists()


def test_round_trip_with_the_xpos_layer_and_an_older_checkpoint_without_it(tmp_path):
    vocab = Vocabulary.from_training_data(SENTENCES,
                                          dict(GOLD, xpos=[["DT", "NN", "VBD", "DT", "NN"]]))
    settings = dict(embedding_dim=4, hidden_dim=3, vocab_size=len(vocab.word_to_ix),
                    tagset_size=len(vocab.tag_to_ix),
                    xpos_tagset_size=len(vocab.tag_sets["xpos"]))
    torch.manual_seed(0)
    model = LSTMTagger(**settings)
    save_checkpoint(tmp_path / "xpos.pt", model, settings, vocab)
    loaded, loaded_vocab = load_checkpoint(tmp_path / "xpos.pt")
    assert len(loaded.tag_sets) == 2 and loaded_vocab.tag_sets["xpos"] == {"DT": 0, "NN": 1,
                                                                           "VBD": 2}
    sentences = [["The", "cat", "ate"]]
    assert tags_of(loaded, loaded_vocab, sentences) == tags_of(model, vocab, sentences)

    # Checkpoints written before tag_sets kept UPOS in "tag_to_ix" and XPOS in "xpos_to_ix"; the
    # oldest, before the XPOS layer, had no "xpos_to_ix" at all. Both still load.
    checkpoint = torch.load(tmp_path / "xpos.pt", weights_only=True)
    tag_sets = checkpoint.pop("tag_sets")
    torch.save(dict(checkpoint, tag_to_ix=tag_sets["upos"], xpos_to_ix=tag_sets["xpos"]),
               tmp_path / "older.pt")
    loaded, loaded_vocab = load_checkpoint(tmp_path / "older.pt")
    assert loaded_vocab.tag_sets == tag_sets and tags_of(loaded, loaded_vocab,
                                                         sentences) == tags_of(model, vocab,
                                                                               sentences)
    path, model, vocab = saved_model(tmp_path)
    checkpoint = torch.load(path, weights_only=True)
    torch.save(dict(checkpoint, tag_to_ix=checkpoint.pop("tag_sets")["upos"]), path)
    loaded, loaded_vocab = load_checkpoint(path)
    assert len(loaded.tag_sets) == 1 and list(loaded_vocab.tag_sets) == ["upos"]
    assert tags_of(loaded, loaded_vocab, sentences) == tags_of(model, vocab, sentences)


def test_word_counts_and_a_temperature_are_kept_and_older_checkpoints_load_without(tmp_path):
    path, model, vocab = saved_model(tmp_path)
    # lowercase: "The" is "the"
    assert vocab.word_counts == {"the": 2, "dog": 1, "ate": 1, "apple": 1}
    loaded, loaded_vocab = load_checkpoint(path)
    assert loaded_vocab.training_count("THE") == 2 and loaded_vocab.training_count("cat") == 0
    assert loaded.temperature == 1.0
    save_temperature(path, 1.7)
    loaded, loaded_vocab = load_checkpoint(path)
    assert (loaded.temperature == 1.7 and loaded_vocab == vocab
            and not (tmp_path / "model.pt.tmp").exists())
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, loaded.state_dict()[name])

    checkpoint = torch.load(path, weights_only=True)
    del checkpoint["word_counts"], checkpoint["temperature"]
    torch.save(checkpoint, path)
    loaded, loaded_vocab = load_checkpoint(path)
    assert loaded.temperature == 1.0 and loaded_vocab.word_counts is None


def test_missing_checkpoint(tmp_path):
    with pytest.raises(InputError, match=r"missing\.pt: no such file$"):
        load_checkpoint(tmp_path / "missing.pt")


def test_truncated_checkpoint(tmp_path):
    path, *_ = saved_model(tmp_path)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(InputError, match=r"model\.pt: not a readable PyTorch checkpoint"):
        load_checkpoint(path)


def test_text_file_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("hello")
    with pytest.raises(InputError, match=r"notes\.pt: not a readable PyTorch checkpoint"):
        load_checkpoint(path)


def test_foreign_checkpoint(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(InputError, match=r"other\.pt: not a checkpoint written by this tagger$"):
        load_checkpoint(path)


def test_pickled_code_is_refused_not_run(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "x", "payload": InputError("a custom class")}, path)
    with pytest.raises(InputError, match="evil.pt: refused: it holds Python objects other than "
                                         "weights"):
        load_checkpoint(path)


def test_a_folder_is_not_a_checkpoint(tmp_path):
    with pytest.raises(InputError, match=r"a\.pt: is a directory, not a checkpoint$"):
        load_checkpoint((tmp_path / "a.pt").mkdir() or tmp_path / "a.pt")


def drop_last_tag(checkpoint):
    checkpoint["tag_sets"]["upos"].popitem()


@pytest.mark.parametrize("damage, message", [
    (lambda c: c["settings"].update(bogus=1), "bad settings"),
    (lambda c: c.pop("word_to_ix"), "missing 'word_to_ix'"),
    (lambda c: c.pop("settings"), "missing 'settings'"),
    (drop_last_tag, "2 entries in its dictionary, 3 in tagset_size"),
    (lambda c: c["word_to_ix"].popitem(), "entries in its dictionary"),
    (lambda c: c["settings"].update(embedding_dim=-4), "settings: embedding_dim -4"),
    (lambda c: c.update(temperature=float("nan")), "temperature nan"),
    (lambda c: c.update(tag_sets=[1, 2]), "damaged checkpoint"),
])
def test_a_checkpoint_with_a_bad_field_is_a_one_line_error_naming_the_file(tmp_path, damage,
                                                                           message):
    path, *_ = saved_model(tmp_path)
    checkpoint = torch.load(path, weights_only=True)
    damage(checkpoint)
    torch.save(checkpoint, path)
    with pytest.raises(InputError) as error:
        load_checkpoint(path)
    assert (str(error.value).startswith(f"{path}: damaged checkpoint: ")
            and message in str(error.value))
    assert "\n" not in str(error.value)


def test_weights_that_do_not_fit_the_settings(tmp_path):
    path, *_ = saved_model(tmp_path)
    checkpoint = torch.load(path, weights_only=True)
    checkpoint["settings"]["hidden_dim"] = 5
    torch.save(checkpoint, path)
    with pytest.raises(InputError, match="weights do not match its settings"):
        load_checkpoint(path)


def test_saving_through_a_symbolic_link_writes_its_target_and_keeps_the_link(tmp_path):
    path, model, vocab = saved_model(tmp_path)
    target, link = tmp_path / "models" / "target.pt", tmp_path / "link.pt"
    target.parent.mkdir()
    link.symlink_to(target)
    settings = torch.load(path, weights_only=True)["settings"]
    save_checkpoint(link, model, settings, vocab)
    assert link.is_symlink() and target.is_file()
    assert load_checkpoint(link)[1] == vocab
    # no temporary file left
    assert sorted(p.name for p in target.parent.iterdir()) == ["target.pt"]


@pytest.mark.parametrize("where, message", [
    ("folder", "exists and is not a regular file; not replacing it"),
    ("/dev/null", "exists and is not a regular file; not replacing it"),
    ("missing/model.pt", "no such folder"),
])
def test_saving_never_replaces_what_is_not_a_regular_file(tmp_path, where, message):
    path, model, vocab = saved_model(tmp_path)
    (tmp_path / "folder").mkdir()
    destination = where if where.startswith("/") else tmp_path / where
    settings = torch.load(path, weights_only=True)["settings"]
    with pytest.raises(InputError, match=re.escape(message)):
        save_checkpoint(destination, model, settings, vocab)
    assert (tmp_path / "folder").is_dir() and Path("/dev/null").is_char_device()


def test_a_failed_write_names_the_path_leaves_no_temporary_file_and_keeps_the_old_one(tmp_path,
                                                                                      monkeypatch):
    path, model, vocab = saved_model(tmp_path)
    old = path.read_bytes()
    settings = torch.load(path, weights_only=True)["settings"]

    def disk_full(descriptor):  # the file is written, but the disk cannot hold it
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(InputError) as error:
        save_checkpoint(path, model, settings, vocab)
    assert str(error.value) == f"{path}: could not save it: No space left on device"
    assert path.read_bytes() == old and sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_a_folder_that_takes_no_new_file_is_a_one_line_error(tmp_path, monkeypatch):
    """A read-only folder (as root, which may write anywhere, the refusal is simulated)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    if os.access(folder, os.W_OK):
        def refuse(dir):
            raise PermissionError(errno.EACCES, "Permission denied")
        monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    with pytest.raises(InputError) as error:
        check_can_save(folder / "m.pt")
    assert str(error.value) == f"{folder}/m.pt: cannot write in {folder}: Permission denied"
    folder.chmod(0o700)
