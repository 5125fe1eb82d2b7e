"""An exported tagger on ONNX Runtime, scoring a Batch as RealDataTagger does."""
import json

import numpy as np
import torch
import torch.nn.functional as F

from tagger.errors import InputError

FORMAT = "lstm-tagger-onnx-1"
METADATA_KEY = "lstm_tagger"  # the ONNX metadata entry that holds the dictionaries, as JSON


class OnnxModel:
    """An ONNX Runtime session behind RealDataTagger's interface: scores and decode."""

    same_length_only = True  # the graph takes no lengths: padding would reach the backward LSTM
    encoder = config = None  # no transformer; the settings are the graph's

    def __init__(self, session, temperature, path):
        self.session, self.path = session, path
        self.temperature = temperature  # the UPOS one; the graph takes it as an input
        self.input_names = [node.name for node in session.get_inputs()]

    def char_table(self, chars, cache=None):
        """The words' characters as one padded tensor, and their lengths (the graph computes the
        vectors: no cache)."""
        width = max(ids.size(1) for ids in chars.ids)
        return (torch.cat([F.pad(ids, (0, width - ids.size(1))) for ids in chars.ids]),
                torch.cat(chars.lengths))

    def __call__(self, batch, char_table=None):
        """Each tag set's (batch, seq_len, n_tags) log-probabilities; sentences of one length."""
        inputs = {"words": batch.words, "vector_ids": batch.vectors}
        if batch.chars is not None:  # the graph reads this batch's words' characters
            ids, lengths = char_table or self.char_table(batch.chars)
            used, positions = batch.word_positions.unique(return_inverse=True)
            inputs.update(char_ids=ids[used, :int(lengths[used].max())],
                          char_lengths=lengths[used], word_positions=positions)
        feed = {name: inputs[name].numpy() for name in self.input_names if name != "temperature"}
        feed["temperature"] = np.array(self.temperature, dtype=np.float32)
        try:
            return [torch.from_numpy(scores) for scores in self.session.run(None, feed)]
        except runtime_errors() as error:  # a graph that does not fit its metadata
            said = (str(error).splitlines() or [type(error).__name__])[0]
            raise InputError(f"{self.path}: damaged export: {said}") from None

    def decode(self, scores, lengths, probabilities=True):
        return [(log_probs.argmax(dim=-1), log_probs if probabilities else None)
                for log_probs in scores]


def runtime_errors():
    """ONNX Runtime's exceptions (they share no base class but Exception)."""
    from onnxruntime.capi import onnxruntime_pybind11_state as runtime
    return (runtime.Fail, runtime.InvalidProtobuf, runtime.InvalidGraph, runtime.NoSuchFile,
            runtime.InvalidArgument, runtime.NotImplemented, runtime.RuntimeException)


def load_onnx(path, data=None):
    """(OnnxModel, Vocabulary) of an exported file; any problem is a one-line InputError."""
    from tagger.checkpoint import checked_vocabulary
    try:  # not in requirements.txt: only exported models need it
        import onnxruntime
    except ImportError:
        raise InputError(f"{path}: tagging an exported model needs ONNX Runtime: "
                         "pip install -r requirements-export.txt") from None
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: its warnings are about its own internals
    try:
        session = onnxruntime.InferenceSession(data if data is not None else str(path), options,
                                               providers=["CPUExecutionProvider"])
    except (*runtime_errors(), OSError):
        raise InputError(f"{path}: not a readable ONNX model (missing, truncated or another "
                         "format)") from None
    try:
        fields = json.loads(session.get_modelmeta().custom_metadata_map[METADATA_KEY])
    except (KeyError, ValueError):
        fields = None
    if not isinstance(fields, dict) or fields.get("format") != FORMAT:
        raise InputError(f"{path}: an ONNX model, but not a tagger exported by "
                         "python -m tagger.export")
    try:
        vocab, temperature = checked_vocabulary(fields)
        expected = {"words", "temperature"} | ({"vector_ids"} if vocab.vector_to_ix else set())
        expected |= {"char_ids", "char_lengths", "word_positions"} if vocab.char_to_ix else set()
        if ({node.name for node in session.get_inputs()} != expected
                or [node.shape[-1] for node in session.get_outputs()]
                != [len(tags) for tags in vocab.tag_sets.values()]):
            raise ValueError("its graph does not match its dictionaries")
    except ValueError as error:
        raise InputError(f"{path}: damaged export: {error}") from None
    return OnnxModel(session, temperature, path), vocab
