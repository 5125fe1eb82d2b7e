"""tagger.export and tagging with MODEL.onnx: the .pt model's tags, and one-line errors."""
import http.client
import json
import signal

import onnx
import pytest
import torch
from onnx import TensorProto, helper

from benchmarks.serve import start_server
from conftest import doc_text, exit_of, quiet, run_script, run_tag, saved_rows
from tagger import export, tag
from tagger import train as trainer
from tagger.checkpoint import load_checkpoint, load_model, save_temperature
from tagger.tagging import predict

SENTENCES = [("The dog ate the apple .", "DET NOUN VERB DET NOUN PUNCT", "DT NN VBD DT NN ."),
             ("Everybody read that book", "PRON VERB DET NOUN", "NN VBD DT NN"),
             ("A cat saw the dogs", "DET NOUN VERB DET NOUN", "DT NN VBD DT NNS")]
CONLLU = "".join(
    "".join(f"{i}\t{word}\t_\t{upos}\t{xpos}\t_\t_\t_\t_\t_\n"
            for i, (word, upos, xpos) in enumerate(zip(*(part.split() for part in sentence)), 1))
    + "\n" for sentence in SENTENCES)
# Lengths 1 to 6, capitals (lower-casing finds "the" for "THE"), unseen words and spellings.
TEXTS = ["Dog", "THE dog ate", "The Zebra read that book", "A cat saw the zebras today .",
         "EVERYBODY ate", "The dog ate the apple ."]
WORD_LISTS = [text.split() for text in TEXTS]


def train(folder, *options):
    """Train a small model with characters, XPOS and lower-casing on CONLLU; return its path."""
    data = folder / "train.conllu"
    data.write_text(CONLLU, encoding="utf-8")
    path = folder / "small.pt"
    quiet(trainer.main, ["--train", str(data), "--save", str(path), "--epochs", "5",
                         "--embedding-dim", "5", "--hidden-dim", "6", "--chars",
                         "--char-embedding-dim", "3", "--char-hidden-dim", "4", "--xpos",
                         "--lowercase", "--bidirectional", "--num-layers", "2", *options])
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(model.pt, model.onnx): a small model with a fitted-looking temperature, exported once."""
    folder = tmp_path_factory.mktemp("export")
    model = train(folder)
    save_temperature(model, 1.7)  # the parity below then fails if the export drops it
    onnx_path = folder / "small.onnx"
    quiet(export.main, [str(model), str(onnx_path)])
    return model, onnx_path


def assert_same_predictions(model_path, onnx_path):
    model, vocab = load_checkpoint(model_path)
    tagger, onnx_vocab = load_model(onnx_path)
    expected = predict(model, WORD_LISTS, vocab, batch_size=2)
    got = predict(tagger, WORD_LISTS, onnx_vocab, batch_size=2)
    assert list(got) == list(expected) == ["upos", "xpos"]
    for name in expected:
        assert got[name].tags == expected[name].tags  # every word of every sentence
        for mine, theirs in zip(got[name].log_probs, expected[name].log_probs):
            assert torch.allclose(mine, theirs, atol=1e-4, rtol=0)


def test_onnx_runtime_gives_pytorchs_tags_and_log_probabilities(exported):
    model_path, onnx_path = exported
    assert load_checkpoint(model_path)[0].temperature == pytest.approx(1.7)
    assert_same_predictions(model_path, onnx_path)


def test_a_model_with_word_vectors_exports_with_its_table(tmp_path):
    vectors = tmp_path / "v.txt"
    vectors.write_text("the 1 0 2\ndog 0 1 1\nzebra 2 2 0\nbook 1 1 1\n", encoding="utf-8")
    model_path = train(tmp_path, "--word-vectors", str(vectors))
    onnx_path = tmp_path / "small.onnx"
    quiet(export.main, [str(model_path), str(onnx_path)])
    vectors.unlink()  # the exported file holds the vectors, as the checkpoint does
    assert_same_predictions(model_path, onnx_path)


@pytest.mark.parametrize("options", [["The Zebra can't read ."], ["-"], ["-", "--conllu"],
                                     ["--tag-conllu", "FILE"], ["--eval", "FILE", "--report"],
                                     ["--eval", "FILE", "--report", "--temperature", "0.5"]])

def test_the_tagging_command_prints_the_same_for_both_files(exported, options, tmp_path):
    model_path, onnx_path = exported
    conllu = tmp_path / "in.conllu"
    conllu.write_text(CONLLU.replace("dog", "zebra"), encoding="utf-8")
    options = [str(conllu) if option == "FILE" else option for option in options]
    stdin = "\n".join(TEXTS).encode() if "-" in options else None
    outputs = [run_tag([path, *options], stdin) for path in (model_path, onnx_path)]
    assert outputs[0] == outputs[1] != ""


def test_int8_writes_a_smaller_model_that_tags(exported, tmp_path):
    model_path, onnx_path = exported
    int8_path = tmp_path / "small-int8.onnx"
    quiet(export.main, [str(model_path), str(int8_path), "--int8"])
    int8 = onnx.load(int8_path)
    assert any(node.op_type == "DynamicQuantizeLSTM" or "Integer" in node.op_type
               for node in int8.graph.node)
    assert int8_path.stat().st_size < onnx_path.stat().st_size
    tags = {}
    for path in (model_path, int8_path):
        tagger, vocab = load_model(path)
        tags[path] = [tag for sentence in predict(tagger, WORD_LISTS, vocab)["upos"].tags
                      for tag in sentence]
    same = sum(a == b for a, b in zip(tags[model_path], tags[int8_path]))
    words = sum(map(len, WORD_LISTS))
    assert len(tags[int8_path]) == len(tags[model_path]) == words
    assert same >= 0.9 * words  # 8-bit weights: close to the model's, not a wrecked graph


def test_a_crf_model_is_refused_in_one_line(tmp_path, capsys):
    model_path = train(tmp_path, "--crf")
    code, err = exit_of(export.main, [str(model_path), str(tmp_path / "crf.onnx")], capsys)
    assert code == 2 and err.startswith("error: a model with a CRF layer cannot be exported")
    assert err.count("\n") == 1 and not (tmp_path / "crf.onnx").exists()


def foreign_onnx(path):
    """A valid ONNX model that is not a tagger: y = x + x."""
    graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "add",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph), path)
    return path


def test_files_that_are_not_an_exported_tagger_are_one_line_each(tmp_path, capsys):
    not_onnx = tmp_path / "text.onnx"
    not_onnx.write_bytes(b"\x00\xffnot a protobuf at all" * 10)
    foreign = foreign_onnx(tmp_path / "add.onnx")
    folder = tmp_path / "folder.onnx"
    folder.mkdir()
    cases = [(not_onnx, "not a readable ONNX model (missing, truncated or another format)"),
             (foreign, "an ONNX model, but not a tagger exported by python -m tagger.export"),
             (tmp_path / "missing.onnx", "not a readable ONNX model (missing, truncated or "
                                         "another format)"),
             (folder, "not a readable ONNX model (missing, truncated or another format)")]
    for path, said in cases:
        code, err = exit_of(tag.main, [str(path), "a dog"], capsys)
        assert (code, err) == (2, f"error: {path}: {said}\n")


def test_export_replaces_only_an_exported_tagger(exported, tmp_path, capsys):
    model_path, onnx_path = exported
    foreign = foreign_onnx(tmp_path / "add.onnx")
    before = foreign.read_bytes()
    code, err = exit_of(export.main, [str(model_path), str(foreign)], capsys)
    assert code == 2 and err == (f"error: {foreign}: exists and is not a model of this tagger; "
                                 "not replacing it\n")
    assert foreign.read_bytes() == before
    again = tmp_path / "again.onnx"
    again.write_bytes(onnx_path.read_bytes())
    quiet(export.main, [str(model_path), str(again)])  # an exported tagger is replaced
    assert load_model(again)[1].lowercase


@pytest.mark.parametrize("argv, said", [
    (["m.pt", "m.txt"], "MODEL.onnx: 'm.txt' does not end in .onnx"),
    (["m.ONNX", "--fit-temperature", "--eval", "d.conllu"], "--fit-temperature stores the "
                                                            "temperature in MODEL.pt"),
])
def test_usage_errors(argv, said, capsys):
    command = export if argv[1] == "m.txt" else tag
    code, err = exit_of(command.main, argv, capsys)
    assert code == 2 and err.splitlines()[0].startswith("usage:") and said in err


@pytest.mark.parametrize("edit", [
    lambda fields: dict(fields, word_to_ix={word: i for i, word in enumerate(
        [*fields["word_to_ix"], *(f"w{i}" for i in range(50))])}),  # indices past the table
    lambda fields: {name: value for name, value in fields.items() if name != "word_to_ix"},
])
def test_a_graph_that_does_not_fit_its_metadata_is_one_line(exported, tmp_path, capsys, edit):
    """Metadata edited by hand: ONNX Runtime's error, or ours, in one line."""
    import json
    _, onnx_path = exported
    proto = onnx.load(onnx_path)
    entry = next(prop for prop in proto.metadata_props if prop.key == "lstm_tagger")
    entry.value = json.dumps(edit(json.loads(entry.value)))
    onnx.save(proto, tmp_path / "bad.onnx")
    code, err = exit_of(tag.main, [str(tmp_path / "bad.onnx"), "w49"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"error: {tmp_path / 'bad.onnx'}: damaged export: ")


def test_the_server_tags_with_the_onnx_file_and_refuses_a_file_that_is_no_model(exported,
                                                                                 tmp_path):
    model_path, onnx_path = exported
    process, port = start_server(onnx_path)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.request("POST", "/tag", body=json.dumps({"text": "\n".join(TEXTS)}),
                           headers={"content-type": "application/json"})
        answer = json.loads(connection.getresponse().read())["sentences"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    printed = run_tag([model_path, "-"], "\n".join(TEXTS).encode())
    assert [[f"{word['form']}/{word['upos']}/{word['xpos']}" for token in sentence["tokens"]
             for word in token["words"]] for sentence in answer] == [
        line.split() for line in printed.splitlines()]
    not_a_model = tmp_path / "notes.onnx"
    not_a_model.write_text("not a model")
    result = run_script("-m", "tagger.serve", str(not_a_model), "--port", "0")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and not result.stdout


def test_the_export_prose_says_what_the_saved_study_says():
    runtimes = {run["runtime"]: run for run in saved_rows("export")["export"]["runtimes"]}
    slower = {name: 100 * (1 - runtimes[name]["words_per_s"] / runtimes["pytorch"]["words_per_s"])
              for name in ("onnx", "onnx-int8")}
    shorter = runtimes["pytorch"]["start_up_seconds"] - runtimes["onnx"]["start_up_seconds"]
    page = " ".join(doc_text("docs/tagging.md").split())
    assert (f"about {slower['onnx']:.0f}% slower than PyTorch (int8 weights: about "
            f"{slower['onnx-int8']:.0f}%), its start-up included, which is about half a second "
            "shorter") in page
    assert round(2 * shorter) == 1  # half a second, to the nearest half
