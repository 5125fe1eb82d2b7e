"""Saving a trained tagger with everything needed to rebuild it, and loading it back."""
import os
import pickle
import zipfile
from pathlib import Path

import torch

from data import DataError
from model_lstm_tagger import LSTMTagger

FORMAT = "lstm-tagger-checkpoint-1"  # marks our files, so a foreign checkpoint is recognised


def save_checkpoint(path, model, settings, word_to_ix, tag_to_ix, char_to_ix=None):
    """Write the model's state_dict, its constructor settings and the vocabularies to `path`.

    The file is written under a temporary name and then renamed, so an interrupted save
    never leaves a half-written checkpoint where a good one was.
    """
    path = Path(path)
    checkpoint = {
        "format": FORMAT,
        "settings": settings,  # keyword arguments of LSTMTagger
        "word_to_ix": word_to_ix,
        "tag_to_ix": tag_to_ix,
        "char_to_ix": char_to_ix or {},
        "state_dict": {name: tensor.cpu() for name, tensor in model.state_dict().items()},
    }
    temporary = path.with_name(path.name + ".tmp")
    torch.save(checkpoint, temporary)
    os.replace(temporary, path)


def load_checkpoint(path, device="cpu"):
    """Rebuild a saved tagger; returns (model, word_to_ix, tag_to_ix, char_to_ix or None).

    Any problem (missing, truncated or foreign file) is raised as a one-line DataError.
    """
    try:
        # weights_only=True: only tensors and plain containers, never arbitrary pickled code.
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (RuntimeError, EOFError, ValueError, pickle.UnpicklingError, zipfile.BadZipFile):
        raise DataError(f"{path}: not a readable PyTorch checkpoint (truncated or another format)") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise DataError(f"{path}: not a checkpoint written by this tagger")
    model = LSTMTagger(**checkpoint["settings"])
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError:
        raise DataError(f"{path}: its weights do not match its settings (damaged checkpoint)") from None
    char_to_ix = checkpoint["char_to_ix"] or None
    return model.to(device), checkpoint["word_to_ix"], checkpoint["tag_to_ix"], char_to_ix
