"""LSTMTagger and the functions of train.py."""
import random

import pytest
import torch
import torch.nn as nn

from model_lstm_tagger import PAD_IX, UNK_IX, LSTMTagger
from train import (IGNORE_IX, chars_to_dictionary, chars_to_tensors, evaluate, make_batches,
                   per_tag_scores, predict_proba, predict_tags, prepare_sequence,
                   replace_rare_words, seqs_to_dictionary, train, word_count_tensor)

TOY = [("The dog ate the apple".split(), "DET NN V DET NN".split()),
       ("Everybody read that book".split(), "NN V DET NN".split())]
# Sentences of different lengths, with a repeated word inside a batch.
MIXED = [("a b c d e f g".split(), "X Y X Y X Y X".split()), ("b a".split(), "Y X".split()),
         ("c c d".split(), "X X Y".split()), ("e".split(), "Y".split()), ("g f e d".split(), "X Y Y X".split())]


def test_seqs_to_dictionary_reserves_padding_and_unknown_then_first_seen_order():
    word_to_ix, tag_to_ix = seqs_to_dictionary(TOY)
    assert list(word_to_ix)[:6] == ["<pad>", "<unk>", "The", "dog", "ate", "the"]
    assert word_to_ix["<pad>"] == PAD_IX and word_to_ix["<unk>"] == UNK_IX
    assert list(word_to_ix.values()) == list(range(len(word_to_ix)))
    assert tag_to_ix == {"DET": 0, "NN": 1, "V": 2}


def test_prepare_sequence_maps_unknown_tokens_to_unk():
    word_to_ix, _ = seqs_to_dictionary(TOY)
    assert prepare_sequence("The cat ate".split(), word_to_ix).tolist() == [2, UNK_IX, 4]


def test_chars_to_tensors_builds_each_distinct_word_once():
    char_to_ix = chars_to_dictionary(MIXED)
    char_ids, char_lengths, positions = chars_to_tensors([["ab", "c", "ab"], ["c"]], char_to_ix)
    assert char_ids.shape == (2, 2) and char_lengths.tolist() == [2, 1]
    assert positions.tolist() == [[0, 1, 0], [1, 0, 0]]
    assert char_ids[1].tolist() == [char_to_ix["c"], PAD_IX]


def model_for(data, is_nll_loss=True, **options):
    word_to_ix, tag_to_ix = seqs_to_dictionary(data)
    if options.pop("chars", False):
        char_to_ix = chars_to_dictionary(data)
        options.update(char_vocab_size=len(char_to_ix), char_embedding_dim=4, char_hidden_dim=3)
    else:
        char_to_ix = None
    torch.manual_seed(0)
    model = LSTMTagger(5, 4, len(word_to_ix), len(tag_to_ix), is_nll_loss=is_nll_loss, **options)
    return model, word_to_ix, tag_to_ix, char_to_ix


def test_forward_shapes_and_nll_output_is_log_probabilities():
    model, word_to_ix, _, _ = model_for(TOY)
    scores = model(prepare_sequence(TOY[0][0], word_to_ix))
    assert scores.shape == (5, 3)
    torch.testing.assert_close(scores.exp().sum(dim=1), torch.ones(5))


def test_ce_model_outputs_logits_that_log_softmax_turns_into_the_nll_output():
    nll_model, word_to_ix, _, _ = model_for(TOY, is_nll_loss=True)
    ce_model, _, _, _ = model_for(TOY, is_nll_loss=False)
    sentence = prepare_sequence(TOY[1][0], word_to_ix)
    logits = ce_model(sentence)
    assert not torch.allclose(logits.exp().sum(dim=1), torch.ones(4))  # raw scores, not log-probabilities
    torch.testing.assert_close(torch.log_softmax(logits, dim=1), nll_model(sentence))


def test_no_hidden_state_leaks_from_one_sentence_to_the_next():
    model, word_to_ix, _, _ = model_for(TOY)
    second = prepare_sequence(TOY[1][0], word_to_ix)
    alone = model(second)
    model(prepare_sequence(TOY[0][0], word_to_ix))
    torch.testing.assert_close(model(second), alone)


@pytest.mark.parametrize("options", [{}, {"bidirectional": True, "num_layers": 2},
                                     {"bidirectional": True, "chars": True}])
def test_padding_does_not_leak_into_loss_or_predictions(options):
    model, word_to_ix, tag_to_ix, char_to_ix = model_for(MIXED, **options)
    model.eval()
    loss_function = nn.NLLLoss()
    (batch,) = make_batches(MIXED, word_to_ix, tag_to_ix, char_to_ix, batch_size=len(MIXED))
    assert batch.words.shape == (5, 7) and (batch.words == PAD_IX).any()
    batched_loss = loss_function(model(batch.words, batch.lengths, batch.chars).flatten(0, 1), batch.tags.flatten())

    total, tokens = 0.0, 0
    for single in make_batches(MIXED, word_to_ix, tag_to_ix, char_to_ix, batch_size=1):
        loss = loss_function(model(single.words, single.lengths, single.chars).flatten(0, 1), single.tags.flatten())
        total += loss.item() * len(single.tags[0])
        tokens += len(single.tags[0])
    assert batched_loss.item() == pytest.approx(total / tokens, abs=1e-6)

    sentences = [words for words, _ in MIXED]
    assert predict_tags(model, sentences, word_to_ix, tag_to_ix, char_to_ix, batch_size=5) == \
        predict_tags(model, sentences, word_to_ix, tag_to_ix, char_to_ix, batch_size=1)


def test_make_batches_pads_tags_with_ignore_index_and_remembers_sentence_order():
    word_to_ix, tag_to_ix = seqs_to_dictionary(MIXED)
    batches = make_batches(MIXED, word_to_ix, tag_to_ix, batch_size=2)
    assert [b.sentence_ids for b in batches] == [[3, 1], [2, 4], [0]]  # sorted by length
    assert batches[0].tags.tolist() == [[tag_to_ix["Y"], IGNORE_IX], [tag_to_ix["Y"], tag_to_ix["X"]]]


def train_toy(is_nll_loss, epochs=60):
    model, word_to_ix, tag_to_ix, _ = model_for(TOY, is_nll_loss=is_nll_loss)
    random.seed(1)
    batches = make_batches(TOY, word_to_ix, tag_to_ix)
    loss_function = nn.NLLLoss() if is_nll_loss else nn.CrossEntropyLoss()
    losses = train(model, batches, loss_function, torch.optim.SGD(model.parameters(), lr=0.1), epochs)
    return model, word_to_ix, tag_to_ix, losses


def test_train_returns_a_falling_mean_loss_per_epoch():
    _, _, _, losses = train_toy(True)
    assert len(losses) == 60 and losses[-1] < losses[0] * 0.5


def test_nll_and_cross_entropy_models_train_identically():
    _, _, _, nll_losses = train_toy(True)
    _, _, _, ce_losses = train_toy(False)
    assert max(abs(a - b) for a, b in zip(nll_losses, ce_losses)) < 1e-6


@pytest.mark.parametrize("is_nll_loss", [True, False])
def test_predict_proba_rows_are_probabilities(is_nll_loss):
    model, word_to_ix, tag_to_ix, _ = train_toy(is_nll_loss, epochs=5)
    (batch,) = make_batches([TOY[0][0]], word_to_ix)
    probabilities = predict_proba(model, batch)[0]
    assert probabilities.shape == (5, 3) and (probabilities >= 0).all()
    torch.testing.assert_close(probabilities.sum(dim=-1), torch.ones(5))


def test_evaluate_counts_right_tags_and_unseen_words():
    model, word_to_ix, tag_to_ix, _ = train_toy(True, epochs=300)
    data = [("The cat ate the book".split(), "DET NN V DET NN".split())]
    result = evaluate(model, data, word_to_ix, tag_to_ix)
    assert (result.total, result.unseen_total) == (5, 1)
    assert result.accuracy == 1.0 and result.unseen_accuracy == 1.0


def test_per_tag_scores():
    scores = per_tag_scores(["A", "A", "B", "B"], ["A", "B", "B", "B"])
    assert scores["A"] == (1.0, 0.5, pytest.approx(2 / 3), 2)
    assert scores["B"] == (pytest.approx(2 / 3), 1.0, pytest.approx(0.8), 2)


def test_replace_rare_words_follows_alpha_over_alpha_plus_count():
    word_to_ix, _ = seqs_to_dictionary(MIXED)
    counts = word_count_tensor(MIXED, word_to_ix)
    assert counts[PAD_IX] == float("inf") and counts[word_to_ix["c"]] == 3
    torch.manual_seed(0)
    words = torch.full((200_000,), word_to_ix["c"])
    replaced = (replace_rare_words(words, counts, 1.0) == UNK_IX).float().mean().item()
    assert replaced == pytest.approx(1 / (1 + 3), abs=0.01)
    padding = torch.full((1000,), PAD_IX)
    assert (replace_rare_words(padding, counts, 1.0) == PAD_IX).all()
