"""Saving a trained tagger with everything needed to rebuild it, and loading it back."""
import os
import pickle
import zipfile
from pathlib import Path

import torch

from data import InputError
from model_lstm_tagger import LSTMTagger
from train import Vocabulary

FORMAT = "lstm-tagger-checkpoint-1"  # marks our files, so a foreign checkpoint is recognised


def save_checkpoint(path, model, settings, vocab):
    """Write the model's state_dict, its constructor settings and its Vocabulary to `path`.

    The file is written under a temporary name and then renamed, so an interrupted save
    never leaves a half-written checkpoint where a good one was.
    """
    checkpoint = {
        "format": FORMAT,
        "settings": settings,  # keyword arguments of LSTMTagger
        "word_to_ix": vocab.word_to_ix,
        "tag_sets": vocab.tag_sets,  # {"upos": tag_to_ix, ...}, in the order of the model's output layers
        "char_to_ix": vocab.char_to_ix or {},
        "lowercase": vocab.lowercase,
        "word_counts": vocab.word_counts or {},
        "temperature": model.temperature,
        "state_dict": {name: tensor.cpu() for name, tensor in model.state_dict().items()},
    }
    write_atomically(checkpoint, path)


def write_atomically(checkpoint, path):
    """torch.save under a temporary name, then rename: a crash never leaves half a file at `path`."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    torch.save(checkpoint, temporary)
    os.replace(temporary, path)


def read_checkpoint(path):
    """The dictionary save_checkpoint wrote; a problem (missing, truncated or foreign file) is an InputError."""
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file")
    unreadable = InputError(f"{path}: not a readable PyTorch checkpoint (truncated or another format)")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive
        raise unreadable
    try:
        # weights_only=True: only tensors and plain containers, never arbitrary pickled code.
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, ValueError, KeyError, pickle.UnpicklingError, zipfile.BadZipFile):
        raise unreadable from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise InputError(f"{path}: not a checkpoint written by this tagger")
    return checkpoint


def load_checkpoint(path, device="cpu"):
    """Rebuild a saved tagger; returns (model, vocab).

    Any problem (missing, truncated, foreign or damaged file) is raised as a one-line InputError.
    """
    checkpoint = read_checkpoint(path)
    model = LSTMTagger(**checkpoint["settings"])
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError:
        raise InputError(f"{path}: its weights do not match its settings (damaged checkpoint)") from None
    vocab = Vocabulary(checkpoint["word_to_ix"], tag_sets_of(checkpoint), checkpoint["char_to_ix"] or None,
                       checkpoint["lowercase"], checkpoint.get("word_counts") or None)
    model.temperature = checkpoint.get("temperature", 1.0)  # older checkpoints have none, nor word counts
    return model.to(device), vocab


def tag_sets_of(checkpoint):
    """The tag dictionaries of a checkpoint; older ones kept UPOS in "tag_to_ix" and XPOS in "xpos_to_ix"."""
    if "tag_sets" in checkpoint:
        return checkpoint["tag_sets"]
    older = {"upos": checkpoint["tag_to_ix"], "xpos": checkpoint.get("xpos_to_ix")}
    return {name: tag_to_ix for name, tag_to_ix in older.items() if tag_to_ix}


def save_temperature(path, temperature):
    """Store a fitted temperature in the checkpoint at `path` (see evaluation.fit_temperature)."""
    checkpoint = read_checkpoint(path)
    checkpoint["temperature"] = temperature
    write_atomically(checkpoint, path)
