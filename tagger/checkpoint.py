"""Saving a trained tagger with what rebuilds it; loading a saved (.pt) or exported (.onnx) one."""
import dataclasses
import io
import os
import pickle
import stat
import tempfile
import zipfile
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode

from tagger.atomic_file import AtomicFile
from tagger.errors import InputError
from tagger.model import RealDataTagger, TaggerConfig
from tagger.vocabulary import Vocabulary

FORMAT = "lstm-tagger-checkpoint-1"  # marks our files, so a foreign checkpoint is recognised


def vocabulary_fields(vocab, temperature):
    """The Vocabulary and temperature as plain fields (a checkpoint's, or ONNX metadata)."""
    return {"word_to_ix": vocab.word_to_ix, "tag_sets": vocab.tag_sets,
            "char_to_ix": vocab.char_to_ix or {}, "lowercase": vocab.lowercase,
            "word_counts": vocab.word_counts or {}, "temperature": temperature,
            "vector_to_ix": vocab.vector_to_ix or {}}


def save_checkpoint(path, model, vocab):
    """Write the model's config, state_dict and Vocabulary to `path`, whole or not at all."""
    checkpoint = {"format": FORMAT, "config": dataclasses.asdict(model.config),
                  **vocabulary_fields(vocab, model.temperature),
                  "state_dict": {name: tensor.cpu() for name, tensor in model.state_dict().items()}}
    if model.encoder is not None:  # the transformer's files, as they were
        checkpoint["contextual"] = model.encoder.fields()
    write_checkpoint(path, checkpoint)


def write_checkpoint(path, checkpoint):
    """torch.save a checkpoint's dictionary to `path`, whole or not at all."""
    buffer = io.BytesIO()  # serialised first: a failed write is then only an OSError
    torch.save(checkpoint, buffer)
    write_atomically(buffer.getbuffer(), check_can_save(path), path)


def check_can_save(path, read=None):
    """The path to write (a link's target); an InputError if `read` finds no model of ours there."""
    target = Path(path).resolve()
    if target.exists():
        if not target.is_file():
            raise InputError(f"{path}: exists and is not a regular file; not replacing it")
        try:
            (read or read_checkpoint)(target)
        except InputError:
            raise InputError(f"{path}: exists and is not a model of this tagger; "
                             "not replacing it") from None
    try:
        with tempfile.TemporaryFile(dir=target.parent):
            pass
    except OSError as error:
        raise InputError(f"{path}: cannot write in {target.parent}: {error.strerror}") from None
    return target


def write_atomically(data, target, path):
    """Write `data` as the whole of `target`, or leave `target` as it was."""
    new_file = AtomicFile(target)
    try:
        new_file.write(data)
        new_file.commit()
    except OSError as error:
        raise InputError(f"{path}: could not save it: {error.strerror or error}") from None
    finally:
        new_file.discard()  # the temporary file, if not renamed: also after a Ctrl-C


def is_onnx(path):
    return str(path).lower().endswith(".onnx")


def read_checkpoint(path, data=None):
    """The dictionary save_checkpoint wrote (or `data`, its bytes); else an InputError."""
    if data is None:
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                raise InputError(f"{path}: not a regular file")
        except OSError as error:
            raise InputError(f"{path}: {error.strerror.lower()}") from None
    if is_onnx(path):
        raise InputError(f"{path}: an exported ONNX model; this command needs the MODEL.pt it "
                         "was exported from")
    try:
        source = io.BytesIO(data) if data is not None else path
        checkpoint = torch.load(source, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise InputError(f"{path}: refused: it holds Python objects other than weights, "
                         "and loading those could run code") from None
    except (RuntimeError, OSError, EOFError, ValueError, KeyError, IndexError, zipfile.BadZipFile):
        raise InputError(f"{path}: not a readable PyTorch checkpoint (truncated or another "
                         "format)") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise InputError(f"{path}: not a checkpoint written by this tagger")
    return checkpoint


def checked_vocabulary(fields):
    """(Vocabulary, temperature) of a saved model's fields (the caller checks their sizes)."""
    names = ("word_to_ix", "char_to_ix", "word_counts", "vector_to_ix", "tag_sets")
    word_to_ix, char_to_ix, word_counts, vector_to_ix, tag_sets = (fields.get(name) or {}
                                                                    for name in names)
    dictionaries = (word_to_ix, char_to_ix, word_counts, vector_to_ix, tag_sets)
    if not (word_to_ix and all(isinstance(d, dict) for d in dictionaries)
            and all(isinstance(d, dict) for d in tag_sets.values())
            and list(tag_sets) in (["upos"], ["upos", "xpos"])):
        raise ValueError("its dictionaries are not the ones this tagger writes")
    if list(vector_to_ix.values())[:1] == [0]:  # older files list the reserved rows 0, 1 too
        vector_to_ix = dict(list(vector_to_ix.items())[2:])
    temperature = fields.get("temperature", 1.0)
    if not (type(temperature) in (int, float) and 0.01 <= temperature <= 100):
        raise ValueError("bad temperature")  # the probabilities would be nan
    vocab = Vocabulary(word_to_ix, tag_sets, char_to_ix or None, fields.get("lowercase", False),
                       word_counts or None, vector_to_ix or None)
    return vocab, temperature


# The character LSTM of checkpoints saved before it ran each direction on its own.
OLD_NAMES = {f"char_lstm.{name}_l0{suffix}": f"char_{direction}.{name}_l0"
             for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
             for suffix, direction in (("", "forward"), ("_reverse", "backward"))}


class NoRandomInit(TorchFunctionMode):
    """Skips nn.init.normal_: on the meta device it imports torch._dynamo (seconds, tens of MB)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.nn.init.normal_:
            return args[0] if args else kwargs["tensor"]
        return func(*args, **kwargs)


def rebuild(checkpoint, device="cpu"):
    """The model and Vocabulary of a checkpoint, or a ValueError; the shapes are checked on the
    meta device first, so that a huge config is refused before it takes memory."""
    config = checkpoint.get("config", checkpoint.get("settings"))  # "settings": older ones
    older = {"upos": checkpoint.get("tag_to_ix"), "xpos": checkpoint.get("xpos_to_ix")}
    tag_sets = checkpoint.get("tag_sets") or {name: tags for name, tags in older.items() if tags}
    vocab, temperature = checked_vocabulary({**checkpoint, "tag_sets": tag_sets})
    try:
        config = TaggerConfig(**config)
        with torch.device("meta"), NoRandomInit():
            expected = {name: tensor.shape
                        for name, tensor in RealDataTagger(config).state_dict().items()}
    except (TypeError, ValueError, RuntimeError):
        raise ValueError("its settings build no model") from None
    state_dict = {OLD_NAMES.get(name, name): tensor
                  for name, tensor in checkpoint["state_dict"].items()}
    if {name: getattr(tensor, "shape", None) for name, tensor in state_dict.items()} != expected:
        raise ValueError("its weights do not match its settings")
    n_vectors = len(vocab.vector_to_ix) + 2 if vocab.vector_to_ix else 0  # + padding, unknown
    sizes = (len(vocab.word_to_ix), len(vocab.char_to_ix or {}), len(vocab.tag_to_ix),
             len(vocab.tag_sets.get("xpos", {})), n_vectors)
    if sizes != (config.vocab_size, config.char_vocab_size, config.tagset_size,
                 config.xpos_tagset_size, config.n_vectors):
        raise ValueError("its dictionaries do not match its settings")
    if not all(torch.isfinite(tensor).all() for tensor in state_dict.values()):
        raise ValueError("weights that are not finite (nan or inf)")
    model = RealDataTagger(config)
    model.load_state_dict(state_dict)
    model.temperature = temperature
    if config.contextual_dim:
        from tagger.contextual import ContextualEncoder  # transformers: only for such models
        model.encoder = ContextualEncoder.from_fields(checkpoint["contextual"], device)
        if model.encoder.dim != config.contextual_dim:
            raise ValueError("its transformer's features are not the size it was trained on")
    return model, vocab


def load_checkpoint(path, device="cpu", data=None):
    """(model in eval mode, Vocabulary) of a .pt file; any problem is a one-line InputError."""
    try:
        model, vocab = rebuild(read_checkpoint(path, data), device)
    except ValueError as error:
        raise InputError(f"{path}: damaged checkpoint: {error}") from None
    except (KeyError, TypeError, AttributeError):  # a field missing, or of another type
        raise InputError(f"{path}: damaged checkpoint: its fields are not the ones this "
                         "tagger writes") from None
    return model.to(device).eval(), vocab


def load_model(path, device="cpu", data=None):
    """(model, Vocabulary) of a .pt or .onnx file: either scores a Batch and decodes it."""
    if is_onnx(path):
        if str(device) != "cpu":
            raise InputError(f"{path}: an exported model runs on the CPU, not {device}")
        from tagger.onnx_model import load_onnx  # onnxruntime: only for exported models
        return load_onnx(path, data)
    return load_checkpoint(path, device, data)


def save_temperature(path, temperature):
    """Store a fitted temperature in the checkpoint at `path`."""
    write_checkpoint(path, {**read_checkpoint(path), "temperature": temperature})
