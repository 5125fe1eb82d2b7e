"""Saving and loading a trained tagger: what a checkpoint keeps, older files, and the guards
(weights only, shapes from a meta build, one atomic write, never over a file that is no model)."""
import contextlib
import dataclasses
import io
import os

import pytest
import torch

from conftest import ROOT
from tagger import tag
from tagger.checkpoint import check_can_save, load_checkpoint, save_checkpoint, save_temperature
from tagger.errors import InputError
from tagger.model import RealDataTagger, TaggerConfig
from tagger.tagging import predict
from tagger.vocabulary import Vocabulary

SENTENCES = ["The dog ate the apple".split()]
GOLD = {"upos": ["DET NN V DET NN".split()], "xpos": ["DT NN VBD DT NN".split()]}
OLD_FORMAT = ROOT / "tests" / "data" / "old-format.pt"  # saved before TaggerConfig, by then's code


def saved_model(tmp_path, **changes):
    vocab = Vocabulary.from_training_data(SENTENCES, GOLD, chars=True, lowercase=True)
    config = TaggerConfig(len(vocab.word_to_ix), len(vocab.tag_to_ix), 4, 3, bidirectional=True,
                          xpos_tagset_size=3, char_vocab_size=len(vocab.char_to_ix),
                          char_embedding_dim=2, char_hidden_dim=2, is_nll_loss=False)
    torch.manual_seed(0)
    model = RealDataTagger(dataclasses.replace(config, **changes)).eval()
    path = tmp_path / "model.pt"
    save_checkpoint(path, model, vocab)
    return path, model, vocab


def tags_of(model, vocab, sentences=(("The", "cat", "ate"),)):
    return {name: p.tags for name, p in predict(model, list(sentences), vocab).items()}


def test_a_round_trip_keeps_the_config_weights_dictionaries_and_temperature(tmp_path):
    path, model, vocab = saved_model(tmp_path)
    loaded, loaded_vocab = load_checkpoint(path)
    assert loaded.config == model.config and loaded_vocab == vocab and not loaded.training
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, loaded.state_dict()[name])
    assert tags_of(loaded, loaded_vocab) == tags_of(model, vocab)
    save_temperature(path, 1.7)
    assert load_checkpoint(path)[0].temperature == 1.7
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # no temporary file left


def test_a_checkpoint_saved_before_the_config_still_tags_as_it_did():
    """tests/data/old-format.pt: settings, a bidirectional character LSTM, reserved vector rows;
    old-format-tags.txt: what the code of its day printed for three lines."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        for line in ("The dog ran home .", "the zebra Quickly ran", "Cats"):
            tag.main([str(OLD_FORMAT), line])
    assert output.getvalue() == (OLD_FORMAT.parent / "old-format-tags.txt").read_text()


def test_a_checkpoint_of_the_days_before_tag_sets_still_loads(tmp_path):
    path, model, vocab = saved_model(tmp_path)
    checkpoint = torch.load(path, weights_only=True)
    tag_sets = checkpoint.pop("tag_sets")
    checkpoint.update(tag_to_ix=tag_sets["upos"], xpos_to_ix=tag_sets["xpos"])
    torch.save(checkpoint, path)
    loaded, loaded_vocab = load_checkpoint(path)
    assert loaded_vocab.tag_sets == vocab.tag_sets and tags_of(loaded, loaded_vocab) == tags_of(
        model, vocab)


def damaged(tmp_path, change):
    path, *_ = saved_model(tmp_path)
    checkpoint = torch.load(path, weights_only=True)
    change(checkpoint)
    torch.save(checkpoint, path)
    return path


@pytest.mark.parametrize("change, message", [
    (lambda c: c["config"].update(vocab_size=10**9, embedding_dim=4096),
     "its weights do not match its settings"),
    (lambda c: c["config"].update(hidden_dim=-1), "its settings build no model"),
    (lambda c: c["config"].update(unknown=1), "its settings build no model"),
    (lambda c: c["state_dict"]["hidden2tag.weight"].fill_(float("nan")), "not finite"),
    (lambda c: c["word_to_ix"].pop("dog"), "its dictionaries do not match its settings"),
    (lambda c: c.update(word_to_ix=list(c["word_to_ix"])), "its dictionaries are not the ones"),
    (lambda c: c["tag_sets"].update(upos=list(c["tag_sets"]["upos"])), "dictionaries are not"),
    (lambda c: c.pop("state_dict"), "its fields are not the ones this tagger writes"),
    (lambda c: c.update(format="other"), "not a checkpoint written by this tagger"),
])
def test_a_damaged_or_lying_checkpoint_is_one_line_and_nothing_is_built(tmp_path, change,
                                                                         message):
    """A config that asks for a huge model is compared on the meta device: refused at once."""
    path = damaged(tmp_path, change)
    with pytest.raises(InputError, match=message) as error:
        load_checkpoint(path)
    assert str(error.value).startswith(f"{path}: ") and "\n" not in str(error.value)


def test_a_checkpoint_with_pickled_code_is_refused_and_never_run(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))
    path = tmp_path / "evil.pt"
    torch.save({"format": "lstm-tagger-checkpoint-1", "x": Boom()}, path)
    with pytest.raises(InputError, match="refused: it holds Python objects"):
        load_checkpoint(path)
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("make, message", [
    (lambda path, model: None, "no such file or directory"),
    (lambda path, model: path.write_bytes(model.read_bytes()[:500]),
     "not a readable PyTorch checkpoint"),
    (lambda path, model: path.write_text("text,tag\n"), "not a readable PyTorch checkpoint"),
    (lambda path, model: path.mkdir(), "not a regular file"),
])
def test_a_file_that_is_no_checkpoint_is_one_line(tmp_path, make, message):
    model_path, *_ = saved_model(tmp_path)
    make(tmp_path / "other.pt", model_path)
    with pytest.raises(InputError, match=message):
        load_checkpoint(tmp_path / "other.pt")


def test_an_exported_model_where_a_checkpoint_is_needed_is_named_as_such(tmp_path):
    for name in ("ewt.onnx", "EWT.ONNX"):
        (tmp_path / name).write_bytes(b"\x08\x07")
        with pytest.raises(InputError, match="an exported ONNX model; this command needs the "
                                             "MODEL.pt"):
            load_checkpoint(tmp_path / name)


def test_saving_replaces_a_model_but_never_a_file_that_is_no_model(tmp_path):
    path, model, vocab = saved_model(tmp_path)
    save_checkpoint(path, model, vocab)  # a model: replaced
    for name, content in (("notes.txt", b"mine"), ("train.csv", b"text,tag\na,X\n")):
        other = tmp_path / name
        other.write_bytes(content)
        with pytest.raises(InputError, match="exists and is not a model of this tagger"):
            save_checkpoint(other, model, vocab)
        assert other.read_bytes() == content
    link = tmp_path / "link.pt"
    link.symlink_to(path)
    save_checkpoint(link, model, vocab)  # through a link: its target, and the link stays
    assert link.is_symlink() and load_checkpoint(link)[0].config == model.config


@pytest.mark.parametrize("stop, said", [(OSError(28, "No space left on device"), InputError(
    "could not save it: No space left on device")), (KeyboardInterrupt(), KeyboardInterrupt())])
def test_a_failed_write_keeps_the_old_model_and_leaves_no_temporary_file(tmp_path, monkeypatch,
                                                                         stop, said):
    path, model, vocab = saved_model(tmp_path)
    before = path.read_bytes()

    def stopped(*args):  # a full disk, or Ctrl-C, while the new file goes to disk
        raise stop
    monkeypatch.setattr(os, "fsync", stopped)
    with pytest.raises(type(said), match=str(said) or None):
        save_checkpoint(path, model, vocab)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_a_folder_that_takes_no_new_file_is_said_before_any_work(tmp_path):
    with pytest.raises(InputError, match="cannot write in"):
        check_can_save(tmp_path / "no-folder" / "m.pt")


def test_the_shapes_come_from_the_model_itself(tmp_path, monkeypatch):
    """No second description of the layers: a layer added to the model is expected at once."""
    path, *_ = saved_model(tmp_path)
    real_init = RealDataTagger.__init__

    def with_one_more_layer(self, config):
        real_init(self, config)
        self.extra = torch.nn.Linear(2, 2)
    monkeypatch.setattr(RealDataTagger, "__init__", with_one_more_layer)
    with pytest.raises(InputError, match="do not match"):
        load_checkpoint(path)
