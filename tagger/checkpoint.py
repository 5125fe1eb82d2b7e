"""Saving a trained tagger with everything needed to rebuild it, and loading it back."""
import io
import os
import pickle
import tempfile
import zipfile
from pathlib import Path

import torch

from tagger.errors import InputError
from tagger.model import RealDataTagger
from tagger.vocabulary import Vocabulary

FORMAT = "lstm-tagger-checkpoint-1"  # marks our files, so a foreign checkpoint is recognised


def save_checkpoint(path, model, settings, vocab):
    """Write the model's state_dict, its constructor settings and its Vocabulary to `path`.

    The file is written under a temporary name and then renamed, so an interrupted save
    never leaves a half-written checkpoint where a good one was.
    """
    checkpoint = {
        "format": FORMAT,
        "settings": settings,  # keyword arguments of RealDataTagger
        "word_to_ix": vocab.word_to_ix,
        "tag_sets": vocab.tag_sets,  # {"upos": tag_to_ix, ...}, in the order of the model's output layers
        "char_to_ix": vocab.char_to_ix or {},
        "lowercase": vocab.lowercase,
        "word_counts": vocab.word_counts or {},
        "temperature": model.temperature,
        "state_dict": {name: tensor.cpu() for name, tensor in model.state_dict().items()},
    }
    write_atomically(checkpoint, path)


def check_can_save(path):
    """Fail now, in one line, if a model could not be saved at `path`, rather than after training.

    The path may be new or a regular file (through a symbolic link: the link's target is what
    gets written); its folder must exist and take a new file. Returns the path to write.
    """
    if not str(path):
        raise InputError("--save: an empty path (an unset variable?)")
    target = Path(path).resolve()  # a link is followed, so the link itself stays a link
    if target.exists() and not target.is_file():
        raise InputError(f"{path}: exists and is not a regular file (a folder or a device); not replacing it")
    if target.exists() and not os.access(target, os.W_OK):
        raise InputError(f"{path}: is read-only; not replacing it")

    if not target.parent.is_dir():
        raise InputError(f"{path}: no such folder: {target.parent}")
    try:
        with tempfile.TemporaryFile(dir=target.parent):
            pass  # the folder takes a new file (the save writes one there, then renames it)
    except OSError as error:
        raise InputError(f"{path}: cannot write in {target.parent}: {error.strerror}") from None
    return target


def write_atomically(checkpoint, path):
    """torch.save to a new, uniquely named file beside `path`, then rename it to `path`.

    The temporary file is created exclusively (tempfile.mkstemp: O_CREAT | O_EXCL, a random
    name), so a file or link someone left at a predictable name is never trusted or written
    through, and two runs saving to one path at once each write a file of their own: the last
    rename wins, and `path` always holds one whole model. The checkpoint is serialised in memory
    first, so a failed write (a full disk) is an OSError naming its cause, and it is an
    InputError naming the path; the temporary file is removed and `path` is left as it was.
    """
    target = check_can_save(path)
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    write_bytes_atomically(buffer.getbuffer(), target, path)


def write_bytes_atomically(data, target, path):
    """Write `data` to a new, uniquely named file beside `target`, then rename it to `target`.

    `path` names the target in the error; see write_atomically for why each step is there.
    """
    target = Path(target)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # on disk before the rename makes it the model
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o7777)  # the new file keeps the old one's permissions
        else:
            os.chmod(temporary, 0o666 & ~current_umask())  # as open() would have made it (mkstemp makes 0600)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"{path}: could not save it: {error.strerror or error}") from None


def current_umask():
    """The process's file-creation mask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_checkpoint(path):
    """The dictionary save_checkpoint wrote; a problem (missing, truncated or foreign file) is an InputError."""
    if Path(path).is_dir():
        raise InputError(f"{path}: is a directory, not a checkpoint")
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file")
    unreadable = InputError(f"{path}: not a readable PyTorch checkpoint (truncated or another format)")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive
        raise unreadable
    try:
        with zipfile.ZipFile(path) as archive:
            damaged_member = archive.testzip()  # reads every member and checks its CRC, which torch.load does not
    except (OSError, zipfile.BadZipFile, EOFError, ValueError):
        raise unreadable from None
    if damaged_member is not None:
        raise InputError(f"{path}: damaged checkpoint: {damaged_member} fails its checksum")
    try:
        # weights_only=True: only tensors and plain containers, never arbitrary pickled code.
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise InputError(f"{path}: refused: it holds Python objects other than weights, "
                         "and loading those could run code") from None
    except (RuntimeError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        raise unreadable from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise InputError(f"{path}: not a checkpoint written by this tagger")
    return checkpoint


def load_checkpoint(path, device="cpu"):
    """Rebuild a saved tagger; returns (model, vocab).

    Any problem (missing, truncated, foreign or damaged file) is raised as a one-line InputError.
    """
    checkpoint = read_checkpoint(path)
    try:
        model, vocab = rebuild(checkpoint)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError) as error:
        what = f"missing {error}" if isinstance(error, KeyError) else str(error).splitlines()[0]
        raise InputError(f"{path}: damaged checkpoint: {what}") from None
    return model.to(device), vocab


def rebuild(checkpoint):
    """The model and Vocabulary a checkpoint describes, checked against each other."""
    settings = checkpoint["settings"]
    model = RealDataTagger(**settings)
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError:
        raise ValueError("its weights do not match its settings") from None
    for name, tensor in checkpoint["state_dict"].items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ValueError(f"{name} holds values that are not finite (nan or inf)")
    vocab = Vocabulary(checkpoint["word_to_ix"], tag_sets_of(checkpoint), checkpoint["char_to_ix"] or None,
                       checkpoint["lowercase"], checkpoint.get("word_counts") or None)
    if len(vocab.tag_sets) != len(model.tag_sets):
        raise ValueError(f"{len(vocab.tag_sets)} tag sets in its dictionary, {len(model.tag_sets)} in the model")
    sizes = {"words": (len(vocab.word_to_ix), settings["vocab_size"]),
             "characters": (len(vocab.char_to_ix or {}), settings.get("char_vocab_size", 0))}
    sizes.update({f"{name} tags": (len(tag_to_ix), linear.out_features)
                  for (name, tag_to_ix), (linear, _) in zip(vocab.tag_sets.items(), model.tag_sets)})
    for what, (in_dictionary, in_model) in sizes.items():
        if in_dictionary != in_model:
            raise ValueError(f"{in_dictionary} {what} in its dictionary, {in_model} in the model")
    temperature = checkpoint.get("temperature", 1.0)  # older checkpoints have none, nor word counts
    if isinstance(temperature, bool) or not (isinstance(temperature, (int, float)) and 0.01 <= temperature <= 100):
        raise ValueError(f"temperature {temperature!r}")
    model.temperature = temperature
    return model, vocab


def tag_sets_of(checkpoint):
    """The tag dictionaries of a checkpoint; older ones kept UPOS in "tag_to_ix" and XPOS in "xpos_to_ix"."""
    if "tag_sets" in checkpoint:
        return checkpoint["tag_sets"]
    older = {"upos": checkpoint["tag_to_ix"], "xpos": checkpoint.get("xpos_to_ix")}
    return {name: tag_to_ix for name, tag_to_ix in older.items() if tag_to_ix}


def save_temperature(path, temperature):
    """Store a fitted temperature in the checkpoint at `path` (see evaluation.fit_temperature)."""
    checkpoint = read_checkpoint(path)
    if Path(path).resolve().stat().st_nlink > 1:  # the file is updated by a new file renamed into place
        raise InputError(f"{path}: has other hard links, which would keep the model without the temperature; "
                         "fit on a copy of its own")
    checkpoint["temperature"] = temperature
    write_atomically(checkpoint, path)
