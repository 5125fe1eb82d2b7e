"""A tagger exported by python -m tagger.export, run by ONNX Runtime: loading it and tagging."""
import json
import stat

import numpy as np
import torch

from tagger.batches import make_batches
from tagger.errors import InputError

FORMAT = "lstm-tagger-onnx-1"
METADATA_KEY = "lstm_tagger"  # the ONNX metadata entry that holds the dictionaries, as JSON


class OnnxTagger:
    """An exported tagger: tagger.predict.predict runs it in place of a RealDataTagger."""

    def __init__(self, session, temperature, tag_set_names):
        self.session = session
        self.temperature = temperature  # the UPOS one; --temperature may change it
        self.tag_set_names = tag_set_names
        self.input_names = {node.name for node in session.get_inputs()}

    def predict(self, sentences, vocab, batch_size=512, probabilities=True):
        """{tag set name: Prediction} for word lists, as tagger.predict.predict gives."""
        from tagger.predict import Prediction
        predictions = {name: Prediction([None] * len(sentences), [None] * len(sentences))
                       for name in self.tag_set_names}
        ix_to_tag = {name: list(tag_to_ix) for name, tag_to_ix in vocab.tag_sets.items()}
        uses_chars = "char_ids" in self.input_names
        for batch in make_batches(sentences, vocab, batch_size=batch_size, same_length=True,
                                  with_chars=uses_chars):
            inputs = {"words": batch.words.numpy(),
                      "temperature": np.array(self.temperature, dtype=np.float32)}
            if "vector_ids" in self.input_names:
                inputs["vector_ids"] = batch.vectors.numpy()
            if uses_chars:
                char_ids, char_lengths, word_positions = batch.chars
                inputs.update(char_ids=char_ids.numpy(), char_lengths=char_lengths.numpy(),
                              word_positions=word_positions.numpy())
            outputs = self.session.run(None, inputs)  # (batch, seq_len, n_tags) per tag set
            for name, log_probs in zip(self.tag_set_names, outputs):
                tags = log_probs.argmax(axis=-1)
                for row, sentence_id in enumerate(batch.sentence_ids):
                    predictions[name].tags[sentence_id] = [ix_to_tag[name][ix]
                                                           for ix in tags[row].tolist()]
                    if probabilities:
                        predictions[name].log_probs[sentence_id] = torch.from_numpy(log_probs[row])
        return predictions


def read_onnx_tagger(path):
    """(ONNX Runtime session, metadata dictionary) of an exported tagger; else an InputError."""
    try:  # not in requirements.txt: only exported models need it
        import onnxruntime
        from onnxruntime.capi import onnxruntime_pybind11_state as runtime_errors
    except ImportError:
        raise InputError(f"{path}: tagging an exported model needs ONNX Runtime: "
                         "pip install -r requirements-export.txt") from None
    from tagger.checkpoint import file_info
    if not stat.S_ISREG(file_info(path).st_mode):
        raise InputError(f"{path}: not a regular file")
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: its warnings are about its own internals
    try:
        session = onnxruntime.InferenceSession(str(path), options,
                                               providers=["CPUExecutionProvider"])
    except (runtime_errors.Fail, runtime_errors.InvalidProtobuf, runtime_errors.InvalidGraph,
            runtime_errors.InvalidArgument, runtime_errors.NotImplemented,
            runtime_errors.RuntimeException, runtime_errors.NoSuchFile):
        raise InputError(f"{path}: not a readable ONNX model (truncated or another "
                         "format)") from None
    text = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
    try:
        fields = json.loads(text) if text is not None else None
    except ValueError:
        fields = None
    if not isinstance(fields, dict) or fields.get("format") != FORMAT:
        raise InputError(f"{path}: an ONNX model, but not a tagger exported by "
                         "python -m tagger.export")
    return session, fields


def load_onnx_tagger(path):
    """(OnnxTagger, Vocabulary) from an exported file; any problem is a one-line InputError."""
    from tagger.checkpoint import checked_vocabulary
    session, fields = read_onnx_tagger(path)
    try:
        vocab, temperature = checked_vocabulary(fields)
    except ValueError as error:
        raise InputError(f"{path}: damaged export: {error}") from None
    expected = {"words", "temperature"}
    expected |= {"vector_ids"} if vocab.vector_to_ix is not None else set()
    expected |= {"char_ids", "char_lengths", "word_positions"} if vocab.char_to_ix else set()
    tag_counts = [node.shape[-1] for node in session.get_outputs()]
    if ({node.name for node in session.get_inputs()} != expected
            or tag_counts != [len(tags) for tags in vocab.tag_sets.values()]):
        raise InputError(f"{path}: damaged export: its graph's inputs or outputs do not match "
                         "its dictionaries")
    return OnnxTagger(session, temperature, list(vocab.tag_sets)), vocab
