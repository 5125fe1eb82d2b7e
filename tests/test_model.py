"""The real-data model, its batches, the prediction loop and one training epoch."""
import argparse
import copy
import random

import pytest
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence

from conftest import run_script, subnormal_survives_on_this_thread
from tagger import tagging
from tagger.model import RealDataTagger, TaggerConfig
from tagger.tagging import predict
from tagger.cli import subnormals_flushed_to_zero
from tagger.train import train_epoch
from tagger.vocabulary import (IGNORE_IX, PAD_IX, UNK_IX, Vocabulary, make_batch, make_batches,
                               word_count_tensor)

TOY = [("The dog ate the apple".split(), "DET NN V DET NN".split()),
       ("Everybody read that book".split(), "NN V DET NN".split())]
# Sentences of different lengths, with a repeated word inside a batch.
MIXED = [("a b c d e f g".split(), "X Y X Y X Y X".split()), ("b a".split(), "Y X".split()),
         ("c c d".split(), "X X Y".split()), ("e".split(), "Y".split()),
         ("g f e d".split(), "X Y Y X".split()), (["abcdefg", "ab", "g"], ["X", "Y", "X"])]


def split(data, xpos=False):
    """(words, tags) pairs -> (word lists, {tag set: tag lists}), as read_tag_sets returns them."""
    gold = {"upos": [tags for _, tags in data]}
    if xpos:  # a finer tag set that depends on the word too
        gold["xpos"] = [[f"{tag}{ord(word[0]) % 2}" for word, tag in zip(words, tags)]
                        for words, tags in data]
    return [words for words, _ in data], gold


def model_for(data, chars=False, xpos=False, **options):
    """A small untrained model of `data` and its Vocabulary, seeded."""
    vocab = Vocabulary.from_training_data(*split(data, xpos), chars=chars)
    config = TaggerConfig(len(vocab.word_to_ix), len(vocab.tag_to_ix), embedding_dim=5,
                          hidden_dim=4, xpos_tagset_size=len(vocab.tag_sets.get("xpos", {})),
                          char_vocab_size=len(vocab.char_to_ix or {}),
                          char_embedding_dim=4 * chars, char_hidden_dim=3 * chars, **options)
    torch.manual_seed(0)
    return RealDataTagger(config).eval(), vocab


def batches_of(data, vocab, batch_size=1):
    sentences, gold = split(data, xpos="xpos" in vocab.tag_sets)
    return make_batches(sentences, vocab, gold, batch_size)


def test_the_dictionaries_reserve_padding_and_unknown_and_share_lower_case_entries():
    vocab = Vocabulary.from_training_data(["The the dog".split()], {"upos": [["D", "D", "N"]]},
                                          chars=True, lowercase=True)
    assert vocab.word_to_ix == {"<pad>": PAD_IX, "<unk>": UNK_IX, "the": 2, "dog": 3}
    assert vocab.tag_to_ix == {"D": 0, "N": 1} and vocab.word_counts["the"] == 2
    assert "T" in vocab.char_to_ix and vocab.knows("THE") and not vocab.knows("cat")


def test_a_batch_reads_each_distinct_word_once_grouped_by_length_and_a_long_ones_ends():
    vocab = Vocabulary.from_training_data(["ab ba ab".split()], {"upos": [list("XYX")]},
                                          chars=True)
    vocab.max_word_chars = 4
    batch = make_batch([["ab", "b", "ab", "ba"], ["abcdefgh", "b"]], [0, 1], vocab)
    # groups of 1, 2, and 3-4 characters: "b"; "ab", "ba"; "abcdefgh" read as "ab" + "gh"
    assert [lengths.tolist() for lengths in batch.chars.lengths] == [[1], [2, 2], [4]]
    assert batch.word_positions.tolist() == [[1, 0, 1, 2], [3, 0, 0, 0]]
    ix = vocab.char_to_ix
    assert batch.chars.ids[2].tolist() == [[ix["a"], ix["b"], UNK_IX, UNK_IX]]
    assert batch.words[1].tolist() == [UNK_IX, UNK_IX, PAD_IX, PAD_IX] and not batch.same_length
    shared = make_batches([["ab", "b"], ["ba", "ab", "b"]], vocab, same_length=True)
    assert shared[0].chars is shared[1].chars  # tagging: one set of words for every batch


def test_batches_pad_tags_with_ignore_index_and_same_length_batches_never_pad():
    vocab = Vocabulary.from_training_data(*split(MIXED))
    batches = batches_of(MIXED, vocab, batch_size=2)
    assert sorted(i for batch in batches for i in batch.sentence_ids) == list(range(len(MIXED)))
    for batch in batches:
        for row, i in enumerate(batch.sentence_ids):
            n = len(MIXED[i][0])
            assert batch.tags[0][row, :n].tolist() == [vocab.tag_to_ix[t] for t in MIXED[i][1]]
            assert (batch.tags[0][row, n:] == IGNORE_IX).all()
    same = make_batches([words for words, _ in MIXED], vocab, batch_size=4, same_length=True)
    assert all(batch.same_length and bool((batch.words != PAD_IX).all()) for batch in same)


def test_dropout_draws_in_training_and_never_in_evaluation():
    model, vocab = model_for(TOY, chars=True, dropout=0.3)  # one layer: no dropout inside
    batch = batches_of(TOY, vocab)[0]
    scores = lambda: model(batch)[0]
    model.train()
    assert not torch.equal(scores(), scores())
    model.eval()
    assert torch.equal(scores(), scores())


@pytest.mark.parametrize("is_nll_loss", [True, False])
def test_the_output_is_log_probabilities_or_logits_of_the_same_model(is_nll_loss):
    model, vocab = model_for(TOY, is_nll_loss=is_nll_loss)
    (batch,) = batches_of(TOY[:1], vocab)
    (scores,) = model(batch)
    assert scores.shape == (1, 5, len(vocab.tag_to_ix))
    nll_model, _ = model_for(TOY)
    torch.testing.assert_close(F.log_softmax(scores, dim=-1), nll_model(batch)[0])
    assert {"word_embeddings", "lstm", "hidden2tag"} <= {name for name, _ in
                                                        model.named_children()}


def test_the_character_lstm_equals_a_packed_bidirectional_lstm_with_its_weights():
    """Padding after a short word never reaches either direction's state."""
    model, vocab = model_for(MIXED, chars=True)
    words = [word for words, _ in MIXED for word in words]
    ids = torch.nn.utils.rnn.pad_sequence([torch.tensor([vocab.char_to_ix[c] for c in word])
                                           for word in words], batch_first=True)
    lengths = torch.tensor([len(word) for word in words])
    reference = torch.nn.LSTM(4, 3, batch_first=True, bidirectional=True)
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        getattr(reference, name).data.copy_(getattr(model.char_forward, name))
        getattr(reference, name + "_reverse").data.copy_(getattr(model.char_backward, name))
    packed = pack_padded_sequence(model.char_embeddings(ids), lengths, batch_first=True,
                                  enforce_sorted=False)
    _, (ends, _) = reference(packed)
    torch.testing.assert_close(model.char_vectors(ids, lengths),
                               torch.cat([ends[0], ends[1]], dim=-1))


@pytest.mark.parametrize("options", [{}, {"bidirectional": True, "num_layers": 2},
                                     {"chars": True, "xpos": True, "bidirectional": True}])
def test_a_sentence_scores_the_same_alone_and_padded_in_a_batch(options):
    model, vocab = model_for(MIXED, **options)
    (together,) = batches_of(MIXED, vocab, batch_size=len(MIXED))
    scores = model(together)
    if options.get("chars"):  # and with the character vectors of a table shared with others
        shared = make_batches([words for words, _ in MIXED] + [["zzzzzz", "q"]], vocab,
                              same_length=True)
        table = model.char_table(shared[0].chars)
        for batch in shared:
            for set_scores, set_alone in zip(model(batch, table), model(batch)):
                torch.testing.assert_close(set_scores, set_alone)
    for row, i in enumerate(together.sentence_ids):
        (alone,) = batches_of(MIXED[i:i + 1], vocab)
        for set_scores, set_alone in zip(scores, model(alone)):
            torch.testing.assert_close(set_scores[row, :len(MIXED[i][0])], set_alone[0])


def test_the_loss_is_the_sum_of_each_tag_sets_mean_loss():
    model, vocab = model_for(MIXED, xpos=True)
    (batch,) = batches_of(MIXED, vocab, batch_size=len(MIXED))
    upos, xpos = model(batch)
    expected = sum(F.nll_loss(scores.flatten(0, 1), tags.flatten(), ignore_index=IGNORE_IX)
                   for scores, tags in zip((upos, xpos), batch.tags))
    torch.testing.assert_close(model.loss(batch), expected)
    smoothed, _ = model_for(MIXED, is_nll_loss=False, label_smoothing=0.3)
    plain, _ = model_for(MIXED, is_nll_loss=False)
    assert smoothed.loss(batch) > plain.loss(batch)  # the smoothing reaches the loss


@pytest.mark.parametrize("crf, decode_slots", [(False, 65536), (True, 65536), (True, 1)])
def test_predict_agrees_with_decoding_each_sentence_alone(crf, decode_slots, monkeypatch):
    """One (tags, log-probabilities) per sentence and tag set, in the caller's order, however many
    sentences are decoded together (DECODE_SLOTS 1: each batch of one length alone)."""
    monkeypatch.setattr(tagging, "DECODE_SLOTS", decode_slots)
    model, vocab = model_for(MIXED, chars=True, xpos=True, bidirectional=True, crf=crf)
    if crf:  # so that Viterbi and the per-word argmax differ
        for _, output in model.tag_sets:
            torch.nn.init.normal_(output.transitions)
    sentences = [words for words, _ in MIXED]
    predictions = predict(model, sentences, vocab, batch_size=4)
    tags_only = predict(model, sentences, vocab, batch_size=4, probabilities=False)
    for i in range(len(sentences)):
        batch = make_batch(sentences, [i], vocab)
        with torch.no_grad():
            decoded = model.decode(model(batch), batch.lengths)
        for (name, tag_to_ix), (tags, log_probs) in zip(vocab.tag_sets.items(), decoded):
            torch.testing.assert_close(predictions[name].log_probs[i], log_probs[0])
            names = [list(tag_to_ix)[ix] for ix in tags[0].tolist()]
            assert predictions[name].tags[i] == names == tags_only[name].tags[i]
            assert tags_only[name].log_probs[i] is None
    assert predict(model, [], vocab)["xpos"].tags == []


def test_a_char_cache_changes_no_tag_and_holds_each_word_once_until_it_is_full(monkeypatch):
    model, vocab = model_for(MIXED, chars=True, xpos=True, bidirectional=True)
    sentences = [words for words, _ in MIXED]
    plain, cache = predict(model, sentences, vocab, batch_size=4, same_length=False), {}
    for _ in range(2):  # filled, then read
        cached = predict(model, sentences, vocab, batch_size=4, same_length=False,
                         char_cache=cache)
        for name in plain:
            assert cached[name].tags == plain[name].tags
            for got, expected in zip(cached[name].log_probs, plain[name].log_probs):
                torch.testing.assert_close(got, expected)
    assert set(cache) == {word for words in sentences for word in words}
    cache["a"] = cache["a"] + 10  # a wrong vector changes the answer: the cache is read
    poisoned = predict(model, [["a"]], vocab, char_cache=cache)["upos"].log_probs[0]
    assert not torch.allclose(poisoned, predict(model, [["a"]], vocab)["upos"].log_probs[0])
    monkeypatch.setattr(tagging, "CHAR_CACHE_WORDS", 3)
    predict(model, [["b", "e"]], vocab, char_cache=cache)
    assert set(cache) == {"b", "e"}  # full: emptied before the call


def test_a_temperature_changes_the_probabilities_and_never_the_tags():
    model, vocab = model_for(MIXED)
    sentences = [words for words, _ in MIXED]
    before = predict(model, sentences, vocab)["upos"]
    model.temperature = 3.0
    after = predict(model, sentences, vocab)["upos"]
    assert after.tags == before.tags
    torch.testing.assert_close(after.log_probs[0], F.log_softmax(before.log_probs[0] / 3, dim=-1))


def training_args(**changes):
    return argparse.Namespace(**{"unk_alpha": 0.0, "clip_grad": 0.0, **changes})


def test_a_step_with_characters_repeats_its_gradients_bit_for_bit():
    """Many tokens share a word's character vector: their gradients must add up in one order,
    whatever the threads do (indexing's backward adds them in the order threads reach them)."""
    draw = random.Random(0)
    words = ["".join(draw.choices("abcdefgh", k=draw.randint(1, 6))) for _ in range(50)]
    data = [(draw.choices(words, k=25), draw.choices("XY", k=25)) for _ in range(40)]
    vocab = Vocabulary.from_training_data(*split(data), chars=True)
    torch.manual_seed(0)
    model = RealDataTagger(TaggerConfig(len(vocab.word_to_ix), 2, 4, 4, char_vocab_size=len(
        vocab.char_to_ix), char_embedding_dim=4, char_hidden_dim=64))
    batch, = batches_of(data, vocab, batch_size=40)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # the difference needs threads
    try:
        gradients = set()
        for _ in range(10):
            model.zero_grad()
            model.loss(batch).backward()
            gradients.add(torch.cat([p.grad.flatten() for p in model.parameters()]).numpy()
                          .tobytes())
    finally:
        torch.set_num_threads(threads)
    assert len(gradients) == 1


def test_an_epoch_clears_the_gradients_before_each_step():
    """Two batches equal two plain SGD steps, each on a fresh gradient."""
    model, vocab = model_for(TOY)
    reference = copy.deepcopy(model)
    batches = batches_of(TOY[:1], vocab) * 2  # the same batch twice: the order cannot matter
    train_epoch(model, batches, torch.optim.SGD(model.parameters(), lr=0.1), training_args(),
                None)
    for batch in batches:
        loss = reference.loss(batch)
        gradients = torch.autograd.grad(loss, list(reference.parameters()))
        with torch.no_grad():
            for parameter, gradient in zip(reference.parameters(), gradients):
                parameter -= 0.1 * gradient
    for trained, expected in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(trained, expected)


def test_unk_alpha_replaces_a_word_with_probability_alpha_over_alpha_plus_count():
    data = [(["c"] * 3 + ["d"], list("XXXY"))]
    model, vocab = model_for(data)
    counts = word_count_tensor(vocab)
    assert counts[PAD_IX] == float("inf") and counts[vocab.word_to_ix["c"]] == 3
    read = []
    model.word_embeddings.register_forward_hook(lambda module, inputs, output:
                                                read.append(inputs[0].clone()))
    batch = make_batch([["c"] * 4000], [0], vocab, {"upos": [["X"] * 4000]})
    torch.manual_seed(0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    train_epoch(model, [batch], optimizer, training_args(unk_alpha=1.0), counts)
    assert (read[-1] == UNK_IX).float().mean().item() == pytest.approx(1 / (1 + 3), abs=0.03)
    train_epoch(model, [batch], optimizer, training_args(), counts)
    assert (read[-1] != UNK_IX).all()


def test_clip_grad_clips_the_gradient_norm(monkeypatch):
    model, vocab = model_for(TOY)
    norms = []
    real_clip = torch.nn.utils.clip_grad_norm_
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_",
                        lambda parameters, max_norm: norms.append(max_norm)
                        or real_clip(parameters, max_norm))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train_epoch(model, batches_of(TOY, vocab), optimizer, training_args(clip_grad=5.0), None)
    assert norms == [5.0, 5.0]
    train_epoch(model, batches_of(TOY, vocab), optimizer, training_args(), None)
    assert norms == [5.0, 5.0]


def test_nll_and_cross_entropy_models_train_identically():
    losses = []
    for is_nll_loss in (True, False):
        model, vocab = model_for(TOY, is_nll_loss=is_nll_loss)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        random.seed(0)
        batches = batches_of(TOY, vocab)
        losses.append([train_epoch(model, batches, optimizer, training_args(), None)
                       for _ in range(150)])
    assert losses[0][-1] < losses[0][0] / 2
    assert max(abs(a - b) for a, b in zip(*losses)) < 1e-6


def test_subnormals_flushed_to_zero_inside_the_block_only_on_the_calling_thread():
    assert subnormal_survives_on_this_thread()
    with subnormals_flushed_to_zero():
        assert not subnormal_survives_on_this_thread()
    assert subnormal_survives_on_this_thread()


WORKER_THREADS_SCRIPT = """
import numpy as np, torch
from tagger.cli import subnormals_flushed_to_zero
torch.set_num_threads(2)
x = torch.from_numpy(np.full(1_000_000, 1e-39, dtype=np.float32))  # numpy: no torch thread yet
with subnormals_flushed_to_zero():
    inside = (x * 1.0 == 0).float().mean().item()  # big enough for 2 threads: makes the worker
after = (x * 1.0 == 0).float().mean().item()
print(inside, after, (x[:1] * 1.0 == 0).item())
"""


def test_worker_threads_created_inside_the_flush_block_keep_flushing():
    """What the docstring of subnormals_flushed_to_zero says: only the calling thread is reset."""
    result = run_script("-c", WORKER_THREADS_SCRIPT)
    assert result.returncode == 0, result.stderr
    inside, after, calling_thread_flushes = result.stdout.split()
    assert float(inside) == 1.0 and 0.0 < float(after) < 1.0
    assert calling_thread_flushes == "False"
