"""Saving a trained tagger with what rebuilds it, and loading it back after checking every field."""
import inspect
import io
import os
import pickle
import stat
import tempfile
import zipfile
from pathlib import Path

import torch

from tagger.atomic_file import AtomicFile
from tagger.errors import InputError
from tagger.model import RealDataTagger, parameter_shapes
from tagger.vocabulary import Vocabulary

FORMAT = "lstm-tagger-checkpoint-1"  # marks our files, so a foreign checkpoint is recognised
FIELDS = {"format", "settings", "word_to_ix", "tag_sets", "char_to_ix", "lowercase", "word_counts",
          "temperature", "state_dict", "vector_to_ix"}
OLDER_FIELDS = {"tag_to_ix", "xpos_to_ix"}  # older checkpoints: UPOS and XPOS dictionaries apart
SETTINGS = inspect.signature(RealDataTagger).parameters


def vocabulary_fields(vocab, temperature):
    """The Vocabulary and temperature as the plain fields a saved model keeps (a checkpoint, or an
    exported model's metadata); checked_vocabulary reads them back."""
    return {"word_to_ix": vocab.word_to_ix,
            "tag_sets": vocab.tag_sets,  # {"upos": tag_to_ix, ...}, in the output layers' order
            "char_to_ix": vocab.char_to_ix or {}, "lowercase": vocab.lowercase,
            "word_counts": vocab.word_counts or {}, "temperature": temperature,
            "vector_to_ix": vocab.vector_to_ix or {}}


def save_checkpoint(path, model, settings, vocab):
    """Write the model's state_dict, its constructor settings and its Vocabulary to `path`."""
    checkpoint = {
        "format": FORMAT, "settings": settings, **vocabulary_fields(vocab, model.temperature),
        "state_dict": {name: tensor.cpu() for name, tensor in model.state_dict().items()},
    }
    buffer = io.BytesIO()  # serialised first: a failed write is then only an OSError
    torch.save(checkpoint, buffer)
    write_atomically(buffer.getbuffer(), check_can_save(path), path)


def check_can_save(path, read=None):
    """The path to write, or an InputError now (not after training) if a model may not go there.

    A new path, or a model of this tagger (through a symbolic link: its target), in a folder
    that takes a new file. Anything else that exists is left alone. read(path) raises an
    InputError for a file that is not a model (default: read_checkpoint).
    """
    target = Path(path).resolve()  # a link is followed, so the link itself stays a link
    if target.exists():
        if not target.is_file():
            raise InputError(f"{path}: exists and is not a regular file; not replacing it")
        if not os.access(target, os.W_OK):
            raise InputError(f"{path}: is read-only; not replacing it")
        try:
            (read or read_checkpoint)(target)
        except InputError:
            raise InputError(f"{path}: exists and is not a model of this tagger; "
                             "not replacing it") from None
    if not target.parent.is_dir():
        raise InputError(f"{path}: no such folder: {target.parent}")
    try:
        with tempfile.TemporaryFile(dir=target.parent):
            pass
    except OSError as error:
        raise InputError(f"{path}: cannot write in {target.parent}: {error.strerror}") from None
    return target


def write_atomically(data, target, path):
    """Write `data` as the whole of `target` (an AtomicFile); on failure `target` is as it was
    and the InputError names `path`."""
    new_file = None
    try:
        new_file = AtomicFile(target)
        new_file.write(data)
        new_file.commit()
    except OSError as error:
        if new_file is not None:
            new_file.discard()
        raise InputError(f"{path}: could not save it: {error.strerror or error}") from None


def file_info(path):
    """os.stat(path); a missing or unreadable file is an InputError naming it."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read it: {error.strerror}") from None


def read_checkpoint(path):
    """The dictionary save_checkpoint wrote; anything else is an InputError naming the file."""
    info = file_info(path)
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a directory, not a checkpoint")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: not a regular file")
    unreadable = InputError(f"{path}: not a readable PyTorch checkpoint (truncated or another "
                            "format)")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            # torch.save stores its members uncompressed: a compressed or oversized one is no
            # checkpoint of ours, and reading it could take any amount of memory.
            if any(member.compress_type != zipfile.ZIP_STORED or member.file_size > info.st_size
                   for member in members):
                raise InputError(f"{path}: damaged checkpoint: a member is compressed or larger "
                                 "than the file")
            # checks every member's CRC, which torch.load does not
            damaged_member = archive.testzip()
    except (OSError, zipfile.BadZipFile, EOFError, ValueError):
        raise unreadable from None
    if damaged_member is not None:
        raise InputError(f"{path}: damaged checkpoint: {damaged_member} fails its checksum")
    try:  # weights_only: tensors and plain containers, never arbitrary pickled code
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
    """Rebuild a saved tagger: (model, vocab). Any problem is a one-line InputError."""
    checkpoint = read_checkpoint(path)
    try:
        model, vocab = rebuild(checkpoint)
    except ValueError as error:
        raise InputError(f"{path}: damaged checkpoint: {error}") from None
    return model.to(device), vocab


def check(condition, problem):
    if not condition:
        raise ValueError(problem)


def is_int(value, low, high):
    return type(value) is int and low <= value <= high


def check_dictionary(name, dictionary, is_key):
    """A dictionary's keys pass is_key and its values are 0, 1, ..., n-1, in that order."""
    check(isinstance(dictionary, dict), f"{name} is not a dictionary")
    check(list(dictionary.values()) == list(range(len(dictionary))),
          f"{name}'s indices are not 0..n-1 in order")
    check(all(isinstance(key, str) and is_key(key) for key in dictionary),
          f"{name} has a bad entry")


def is_tag(tag):
    """A tag is written between tabs and slashes: printable, with no whitespace."""
    return tag != "" and tag.isprintable() and not any(char.isspace() for char in tag)


def checked_vocabulary(fields):
    """(Vocabulary, temperature) from a saved model's fields, each checked; a ValueError if bad.

    fields: word_to_ix and tag_sets, and, when the model has them, char_to_ix, lowercase,
    word_counts, vector_to_ix and temperature (a checkpoint's, or an exported model's metadata).
    """
    tag_sets = fields.get("tag_sets")
    check(isinstance(tag_sets, dict) and list(tag_sets) in (["upos"], ["upos", "xpos"]),
          "bad tag sets")
    check_dictionary("word_to_ix", fields.get("word_to_ix"), lambda word: True)
    check_dictionary("char_to_ix", fields.get("char_to_ix") or {}, lambda char: True)
    check_dictionary("vector_to_ix", fields.get("vector_to_ix") or {}, lambda word: True)
    for name, tags in tag_sets.items():
        check_dictionary(f"the {name} tags", tags, is_tag)
    counts = fields.get("word_counts") or {}
    check(isinstance(counts, dict) and all(isinstance(word, str) and is_int(count, 0, 2**62)
                                           for word, count in counts.items()), "bad word counts")
    check(type(fields.get("lowercase", False)) is bool, "bad lowercase")
    temperature = fields.get("temperature", 1.0)  # older checkpoints have none, nor word counts
    check(type(temperature) in (int, float) and 0.01 <= temperature <= 100,
          f"temperature {temperature!r}")
    vocab = Vocabulary(fields["word_to_ix"], tag_sets, fields.get("char_to_ix") or None,
                       fields.get("lowercase", False), counts or None,
                       fields.get("vector_to_ix") or None)
    return vocab, temperature


def rebuild(checkpoint):
    """The model and Vocabulary a checkpoint describes, every field checked first."""
    unknown = sorted(set(checkpoint) - FIELDS - OLDER_FIELDS)
    check(not unknown, f"unknown field {unknown[:1]}")
    for field in ("settings", "word_to_ix", "state_dict"):
        check(field in checkpoint, f"missing '{field}'")
    settings = checkpoint["settings"]
    required = {name for name, option in SETTINGS.items() if option.default is option.empty}
    check(isinstance(settings, dict) and required <= set(settings) <= set(SETTINGS), "bad settings")
    for name, value in settings.items():
        default = SETTINGS[name].default
        if isinstance(default, bool):
            ok = type(value) is bool
        elif isinstance(default, float):  # dropout, label smoothing
            ok = type(value) in (int, float) and 0 <= value < 1
        else:  # a size: of a layer (or the number of layers), at most what training allows
            ok = is_int(value, 0 if default == 0 else 1,
                        4096 if name.endswith(("_dim", "layers")) else 10**7)
        check(ok, f"settings: {name} {value!r}")
    older = (("upos", checkpoint.get("tag_to_ix")), ("xpos", checkpoint.get("xpos_to_ix")))
    tag_sets = checkpoint.get("tag_sets") or {name: tags for name, tags in older if tags}
    vocab, temperature = checked_vocabulary({**checkpoint, "tag_sets": tag_sets})
    sizes = {"vocab_size": len(checkpoint["word_to_ix"]),
             "char_vocab_size": len(checkpoint.get("char_to_ix") or {}),
             "tagset_size": len(tag_sets["upos"]),
             "xpos_tagset_size": len(tag_sets.get("xpos", {})),
             "n_vectors": len(checkpoint.get("vector_to_ix") or {})}
    for name, size in sizes.items():
        check(settings.get(name, 0) == size, f"{size} entries in its dictionary, "
                                             f"{settings.get(name, 0)} in {name}")
    # The shapes the settings ask for, computed without building anything, must be those of the
    # weights in the file, whose size bounds them.
    expected = parameter_shapes(**settings)
    state_dict = checkpoint["state_dict"]
    check(isinstance(state_dict, dict)
          and all(isinstance(tensor, torch.Tensor) for tensor in state_dict.values()),
          "bad weights")
    found = {name: tuple(tensor.shape) for name, tensor in state_dict.items()}
    check(found == expected, "its weights do not match its settings")
    for name, tensor in state_dict.items():
        check(not tensor.is_floating_point() or bool(torch.isfinite(tensor).all()),
              f"{name} holds values that are not finite (nan or inf)")
    try:
        model = RealDataTagger(**settings)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError("its settings build no model") from None
    model.load_state_dict(state_dict)
    model.temperature = temperature
    return model, vocab


def save_temperature(path, temperature):
    """Store a fitted temperature in the checkpoint at `path`."""
    checkpoint = read_checkpoint(path)
    # a renamed new file would leave the links the old model
    if Path(path).resolve().stat().st_nlink > 1:
        raise InputError(f"{path}: has other hard links, which would keep the model without the "
                         "temperature; fit on a copy of its own")
    checkpoint["temperature"] = temperature
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    write_atomically(buffer.getbuffer(), check_can_save(path), path)
