"""Export a trained tagger to ONNX, for ONNX Runtime: python -m tagger.tag then tags with the file.

    python -m tagger.export ewt.pt ewt.onnx
    python -m tagger.export ewt.pt ewt-int8.onnx --int8   # weights stored as 8-bit integers
    python -m tagger.tag ewt.onnx "I saw her duck ."
"""
import argparse
import json
import logging
import tempfile
import warnings
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from tagger.checkpoint import (check_can_save, load_checkpoint, vocabulary_fields,
                               write_atomically)
from tagger.cli import run
from tagger.errors import InputError
from tagger.onnx_model import FORMAT, METADATA_KEY, load_onnx
from tagger.vocabulary import Batch, Chars

OPSET = 18


class ExportedTagger(nn.Module):
    """A RealDataTagger as a graph: tensors in, each tag set's log-probabilities out."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, words, temperature, vector_ids=None, char_ids=None, char_lengths=None,
                word_positions=None):
        """words (batch, seq_len): sentences of one length (the graph has no lengths input)."""
        chars = Chars([char_ids], [char_lengths]) if char_ids is not None else None
        batch = Batch(words, None, True, [], vectors=vector_ids, chars=chars,
                      word_positions=word_positions)
        temperatures = [temperature] + [output.temperature for _, output in self.model.tag_sets[1:]]
        return tuple(F.log_softmax(scores / set_temperature, dim=-1)
                     for scores, set_temperature in zip(self.model(batch), temperatures))


def example_inputs(model, vocab):
    """Inputs shaped as tagging's, with sizes that differ, so that the exporter keeps them apart."""
    inputs = {"words": torch.tensor([[2, 3, 1], [3, 2, 2]]), "temperature": torch.tensor(1.0)}
    if vocab.vector_to_ix is not None:
        inputs["vector_ids"] = torch.tensor([[2, 1, 1], [1, 2, 2]])
    if vocab.char_to_ix is not None:
        inputs["char_ids"] = torch.tensor([[2, 3, 2, 3, 2], [3, 2, 0, 0, 0], [2, 0, 0, 0, 0],
                                           [3, 3, 3, 0, 0]])
        inputs["char_lengths"] = torch.tensor([5, 2, 1, 3])
        inputs["word_positions"] = torch.tensor([[0, 1, 2], [3, 0, 0]])
    return inputs


DYNAMIC = {"words": (0, 1), "vector_ids": (0, 1), "word_positions": (0, 1), "char_ids": (0, 1),
           "char_lengths": (0,), "temperature": ()}


def export(model, vocab, path, int8=False):
    """Write `model` (a RealDataTagger in eval mode) and `vocab` as an ONNX file at `path`."""
    try:
        import onnx
        import onnxscript  # noqa: F401 (torch.onnx.export needs it)
    except ImportError:
        raise InputError("exporting needs onnx and onnxscript: "
                         "pip install -r requirements-export.txt") from None
    if model.config.crf:
        raise InputError("a model with a CRF layer cannot be exported: its Viterbi decoding "
                         "loops over each sentence's positions, which the ONNX graph cannot "
                         "take from PyTorch (train without --crf to export)")
    if model.config.contextual_dim:
        raise InputError("a model with a transformer's features (--contextual) is not exported: "
                         "the ONNX file would hold the transformer too; tag with the .pt model")
    target = check_can_save(path, load_onnx)  # now, not after exporting
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # not its notes on what it skips
    graph = ExportedTagger(model.cpu().eval())
    inputs = example_inputs(model, vocab)
    names = list(inputs)
    outputs = [f"{name}_log_probs" for name in vocab.tag_sets]
    dynamic = {name: {axis: torch.export.Dim.DYNAMIC for axis in DYNAMIC[name]} or None
               for name in names}
    # torch 2.13's exporter swaps in an LSTM for dynamic lengths while it runs, but the LSTM
    # operator keeps the kernel it found first in a cache: cleared on both sides, a second export
    # in one process keeps its lengths dynamic, and PyTorch's own LSTM runs its own kernel after.
    lstm_operator = torch.ops.aten.lstm.input
    lstm_operator._dispatch_cache.clear()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the exporter's notes on its own internals
            program = torch.onnx.export(graph, (), kwargs=inputs, input_names=names,
                                        output_names=outputs, dynamic_shapes=dynamic,
                                        dynamo=True, opset_version=OPSET, verbose=False)
    finally:
        lstm_operator._dispatch_cache.clear()
    proto = program.model_proto
    for output in proto.graph.output:  # the exporter fixes the length at the example's; it varies
        dims = output.type.tensor_type.shape.dim
        dims[0].dim_param, dims[1].dim_param = "batch", "length"
    del proto.graph.value_info[:]
    entry = proto.metadata_props.add()  # what tagging needs besides the graph
    entry.key = METADATA_KEY
    entry.value = json.dumps({"format": FORMAT, **vocabulary_fields(vocab, model.temperature)},
                             ensure_ascii=False)
    data = proto.SerializeToString()
    if int8:  # onnxruntime's dynamic quantization works on files
        from onnxruntime.quantization import QuantType, quantize_dynamic
        with tempfile.TemporaryDirectory() as folder:
            source, int8_file = Path(folder, "fp32.onnx"), Path(folder, "int8.onnx")
            source.write_bytes(data)
            quantize_dynamic(source, int8_file, weight_type=QuantType.QInt8)
            data = int8_file.read_bytes()
    onnx.checker.check_model(onnx.load_from_string(data))
    write_atomically(data, target, path)


def parse_args(argv=None):
    """The command line: a saved model, the ONNX file to write, and --int8."""
    parser = argparse.ArgumentParser(prog="python -m tagger.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", metavar="MODEL.pt",
                        help="a model saved by python -m tagger.train --save")
    parser.add_argument("onnx", metavar="MODEL.onnx",
                        help="the ONNX file to write (an existing one is replaced only if it is "
                             "a tagger exported by this command)")
    parser.add_argument("--int8", action="store_true",
                        help="store the weights as 8-bit integers (onnxruntime's dynamic "
                             "quantization): a smaller file; docs/tagging.md gives its speed "
                             "and accuracy")
    args = parser.parse_args(argv)
    if not args.onnx.lower().endswith(".onnx"):
        parser.error(f"MODEL.onnx: {args.onnx!r} does not end in .onnx, which is how "
                     "python -m tagger.tag knows an exported model")
    return args


def main(argv=None):
    """Export MODEL.pt to MODEL.onnx; bad input ends in one line, exit 2."""
    args = parse_args(argv)

    def work():
        model, vocab = load_checkpoint(args.model)
        export(model, vocab, args.onnx, args.int8)
        print(f"{args.onnx}: {Path(args.onnx).stat().st_size / 2**20:.1f} MiB"
              f"{', int8 weights' if args.int8 else ''}")

    run(work, lambda: f"{args.onnx} was not written")


if __name__ == "__main__":
    main()
