"""The real-data model, its output layers, its batches and its training loop."""
import copy
import random

import pytest
import torch
import torch.nn.functional as F

from conftest import run_script, subnormal_survives_on_this_thread
from tagger.evaluation import evaluate
from tagger.model import RealDataTagger, WordSoftmax
from tagger.vocabulary import (IGNORE_IX, PAD_IX, UNK_IX, Vocabulary, chars_to_dictionary, indices,
                               seqs_to_dictionary)
from tagger.predict import char_vector_table, predict
from tagger.batches import chars_to_tensors, make_batches, split_and_pad, word_count_tensor
from tagger.training import replace_rare_words, subnormals_flushed_to_zero, train

TOY = [("The dog ate the apple".split(), "DET NN V DET NN".split()),
       ("Everybody read that book".split(), "NN V DET NN".split())]
# Sentences of different lengths, with a repeated word inside a batch.
MIXED = [("a b c d e f g".split(), "X Y X Y X Y X".split()), ("b a".split(), "Y X".split()),
         ("c c d".split(), "X X Y".split()), ("e".split(), "Y".split()),
         ("g f e d".split(), "X Y Y X".split())]


def xpos_of(data):
    """Made-up XPOS tags for (words, tags) data: a finer tag set that depends on the word too."""
    return [[f"{tag}{ord(word[0]) % 2}" for word, tag in zip(words, tags)] for words, tags in data]


def split(data, xpos=False):
    """(words, tags) pairs -> (word lists, {tag set: tag lists}), as read_tag_sets returns them."""
    gold = {"upos": [tags for _, tags in data]}
    if xpos:
        gold["xpos"] = xpos_of(data)
    return [words for words, _ in data], gold


def batches_of(data, vocab, batch_size=1):
    """make_batches over (words, tags) pairs, with every tag set the vocabulary has."""
    sentences, gold = split(data, xpos="xpos" in vocab.tag_sets)
    return make_batches(sentences, vocab, gold, batch_size)


def model_for(data, is_nll_loss=True, chars=False, xpos=False, **options):
    vocab = Vocabulary.from_training_data(*split(data, xpos), chars=chars)
    if chars:
        options.update(char_vocab_size=len(vocab.char_to_ix), char_embedding_dim=4,
                       char_hidden_dim=3)
    if xpos:
        options.update(xpos_tagset_size=len(vocab.tag_sets["xpos"]))
    torch.manual_seed(0)
    model = RealDataTagger(5, 4, len(vocab.word_to_ix), len(vocab.tag_to_ix),
                           is_nll_loss=is_nll_loss, **options)
    return model, vocab


def char_features(model, sentences, vocab):
    """The character LSTM's features of each token of `sentences`, read as one batch."""
    char_ids, char_lengths, positions = chars_to_tensors(sentences, vocab.char_to_ix)
    return model.word_char_vectors(char_ids, char_lengths)[positions]


def test_seqs_to_dictionary_reserves_padding_and_unknown_then_first_seen_order():
    word_to_ix, tag_to_ix = seqs_to_dictionary(TOY)
    assert list(word_to_ix)[:6] == ["<pad>", "<unk>", "The", "dog", "ate", "the"]
    assert word_to_ix["<pad>"] == PAD_IX and word_to_ix["<unk>"] == UNK_IX
    assert list(word_to_ix.values()) == list(range(len(word_to_ix)))
    assert tag_to_ix == {"DET": 0, "NN": 1, "V": 2}


def test_indices_map_unknown_tokens_to_unk():
    word_to_ix, _ = seqs_to_dictionary(TOY)
    assert indices("The cat ate".split(), word_to_ix).tolist() == [2, UNK_IX, 4]


def test_split_and_pad_cuts_in_order_and_pads_each_piece():
    padded = split_and_pad(torch.tensor([1, 2, 3, 4, 5, 6]), [1, 3, 2], padding_value=-1)
    assert padded.tolist() == [[1, -1, -1], [2, 3, 4], [5, 6, -1]]


def test_chars_to_tensors_builds_each_distinct_word_once():
    char_to_ix = chars_to_dictionary(MIXED)
    char_ids, char_lengths, positions = chars_to_tensors([["ab", "c", "ab"], ["c"]], char_to_ix)
    assert char_ids.shape == (2, 2) and char_lengths.tolist() == [2, 1]
    assert positions.tolist() == [[0, 1, 0], [1, 0, 0]]
    assert char_ids[1].tolist() == [char_to_ix["c"], PAD_IX]


def test_the_character_lstm_reads_the_first_and_last_32_characters_of_a_longer_word():
    char_to_ix = {"<pad>": 0, "<unk>": 1, "a": 2, "b": 3, "c": 4}
    word = "a" * 40 + "c" * 1_000_000 + "b" * 40
    char_ids, char_lengths, _ = chars_to_tensors([[word, "ab", "a" * 64]], char_to_ix)
    assert char_ids.shape == (3, 64) and char_lengths.tolist() == [64, 2, 64]
    assert char_ids[0].tolist() == [char_to_ix["a"]] * 32 + [char_to_ix["b"]] * 32
    assert char_ids[2].tolist() == [char_to_ix["a"]] * 64  # 64 characters: all of them


def test_vocabulary_lowercase_shares_one_entry_and_keeps_characters():
    vocab = Vocabulary.from_training_data([["The", "the", "THE"]], {"upos": [["D", "D", "D"]]},
                                          chars=True,
                                          lowercase=True)
    assert list(vocab.word_to_ix) == ["<pad>", "<unk>", "the"]
    assert vocab.word_ids(["The", "tHe", "cat"]).tolist() == [2, 2, UNK_IX]
    assert vocab.knows("THE") and not vocab.knows("cat") and vocab.training_count("tHE") == 3
    assert "T" in vocab.char_to_ix and "t" in vocab.char_to_ix
    cased = Vocabulary.from_training_data([["The", "the"]], {"upos": [["D", "D"]]})
    assert cased.word_ids(["The", "the", "THE"]).tolist() == [2, 3,
                                                              UNK_IX] and cased.char_to_ix is None


def test_vocabulary_has_one_dictionary_per_tag_set_in_order():
    vocab = Vocabulary.from_training_data(*split(MIXED, xpos=True))
    assert list(vocab.tag_sets) == ["upos", "xpos"] and vocab.tag_to_ix is vocab.tag_sets["upos"]
    assert vocab.tag_sets["upos"] == {"X": 0, "Y": 1} and len(vocab.tag_sets["xpos"]) == 4


def upos_scores(model, words):
    """The UPOS scores of one sentence, as a batch of one: (seq_len, n_tags)."""
    return model(words.unsqueeze(0))[0][0]


def test_forward_shapes_and_nll_output_is_log_probabilities():
    model, vocab = model_for(TOY)
    scores = upos_scores(model, vocab.word_ids(TOY[0][0]))
    assert scores.shape == (5, 3)
    torch.testing.assert_close(scores.exp().sum(dim=1), torch.ones(5))


def test_ce_model_outputs_logits_that_log_softmax_turns_into_the_nll_output():
    nll_model, vocab = model_for(TOY, is_nll_loss=True)
    ce_model, _ = model_for(TOY, is_nll_loss=False)
    sentence = vocab.word_ids(TOY[1][0])
    logits = upos_scores(ce_model, sentence)
    # raw scores, not log-probabilities
    assert not torch.allclose(logits.exp().sum(dim=1), torch.ones(4))
    torch.testing.assert_close(torch.log_softmax(logits, dim=1), upos_scores(nll_model, sentence))


def test_the_model_is_its_own_class_with_the_tutorials_layer_names():
    model, _ = model_for(TOY, chars=True, bidirectional=True)
    assert type(model).__mro__[1] is torch.nn.Module
    assert model.lstm.input_size == 5 + 2 * 3 and model.lstm.bidirectional
    assert model.hidden2tag.in_features == 2 * 4
    assert (model.word_embeddings.padding_idx == PAD_IX
            and not model.word_embeddings.weight[PAD_IX].any())


def test_no_hidden_state_leaks_from_one_sentence_to_the_next():
    model, vocab = model_for(TOY)
    second = vocab.word_ids(TOY[1][0])
    alone = upos_scores(model, second)
    upos_scores(model, vocab.word_ids(TOY[0][0]))
    torch.testing.assert_close(upos_scores(model, second), alone)


@pytest.mark.parametrize("options", [{}, {"bidirectional": True, "num_layers": 2},
                                     {"bidirectional": True, "chars": True},
                                     {"xpos": True, "chars": True}])
def test_padding_does_not_leak_into_loss_or_predictions(options):
    """The loss of a padded batch is the word-weighted mean of its sentences' losses, one by one."""
    model, vocab = model_for(MIXED, **options)
    model.eval()
    (batch,) = batches_of(MIXED, vocab, batch_size=len(MIXED))
    assert batch.words.shape == (5, 7) and (batch.words == PAD_IX).any()
    batched_loss = model.loss(batch)
    total, tokens = 0.0, 0
    for single in batches_of(MIXED, vocab):
        total += model.loss(single).item() * len(single.words[0])
        tokens += len(single.words[0])
    assert batched_loss.item() == pytest.approx(total / tokens, abs=1e-6)

    sentences = [words for words, _ in MIXED]
    assert predict(model, sentences, vocab, batch_size=5).keys() == vocab.tag_sets.keys()
    for name in vocab.tag_sets:
        assert (predict(model, sentences, vocab, batch_size=5)[name].tags
                == predict(model, sentences, vocab, batch_size=1)[name].tags)


@pytest.mark.parametrize("is_nll_loss", [True, False])
def test_the_xpos_layer_gives_a_second_set_of_scores_from_the_same_states(is_nll_loss):
    model, vocab = model_for(MIXED, is_nll_loss=is_nll_loss, xpos=True, bidirectional=True)
    assert len(vocab.tag_sets["xpos"]) == 4 and model.hidden2xpos.out_features == 4
    (batch,) = batches_of(MIXED, vocab, batch_size=len(MIXED))
    upos, xpos = model(batch.words, batch.lengths, None)
    assert upos.shape == (5, 7, 2) and xpos.shape == (5, 7, 4)
    if is_nll_loss:  # both layers end in log_softmax
        torch.testing.assert_close(upos.exp().sum(dim=-1), torch.ones(5, 7))
        torch.testing.assert_close(xpos.exp().sum(dim=-1), torch.ones(5, 7))


@pytest.mark.parametrize("is_nll_loss", [True, False])
def test_the_training_loss_is_the_sum_of_the_upos_and_xpos_losses(is_nll_loss):
    model, vocab = model_for(MIXED, is_nll_loss=is_nll_loss, xpos=True, bidirectional=True)
    batches = batches_of(MIXED, vocab, batch_size=len(MIXED))
    upos, xpos = model(batches[0].words, batches[0].lengths, None)
    upos_tags, xpos_tags = batches[0].tags
    loss = F.nll_loss if is_nll_loss else F.cross_entropy
    expected = (loss(upos.flatten(0, 1), upos_tags.flatten()).item()
                + loss(xpos.flatten(0, 1), xpos_tags.flatten()).item())
    # lr 0: the loss is measured, nothing moves
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    (measured,) = train(model, batches, optimizer, epochs=1)
    assert measured == pytest.approx(expected, rel=1e-6)


def test_the_cross_entropy_output_passes_its_label_smoothing_to_the_loss():
    scores, tags = torch.randn(2, 3, 4), torch.tensor([[0, 1, IGNORE_IX], [3, 2, 1]])
    smoothed = WordSoftmax(is_nll_loss=False, label_smoothing=0.2).loss(scores, tags)
    expected = F.cross_entropy(scores.flatten(0, 1), tags.flatten(), label_smoothing=0.2)
    torch.testing.assert_close(smoothed, expected)
    assert smoothed.item() != pytest.approx(WordSoftmax(is_nll_loss=False).loss(scores,
                                                                                tags).item())


def test_decoding_picks_the_most_probable_tag_and_a_temperature_changes_probabilities_not_tags():
    output = WordSoftmax(is_nll_loss=False)
    scores = torch.randn(2, 3, 5)
    tags, log_probs = output.decode(scores, torch.tensor([3, 3]))
    torch.testing.assert_close(log_probs, F.log_softmax(scores, dim=-1))
    assert tags.tolist() == scores.argmax(dim=-1).tolist()
    output.temperature = 2.0
    hot_tags, hot_log_probs = output.decode(scores, torch.tensor([3, 3]))
    torch.testing.assert_close(hot_log_probs, F.log_softmax(scores / 2, dim=-1))
    assert hot_tags.tolist() == tags.tolist()


def test_padding_leaks_into_neither_tag_set():
    model, vocab = model_for(MIXED, xpos=True, bidirectional=True, chars=True)
    model.eval()
    sentences, gold = split(MIXED, xpos=True)
    (batch,) = make_batches(sentences, vocab, batch_size=len(MIXED))
    batched = model(batch.words, batch.lengths,
                    char_features(model, [sentences[i] for i in batch.sentence_ids], vocab))
    for row, i in enumerate(batch.sentence_ids):
        (single,) = make_batches([sentences[i]], vocab)
        alone = model(single.words, single.lengths, char_features(model, [sentences[i]], vocab))
        n = len(sentences[i])
        for batched_scores, single_scores in zip(batched, alone):
            torch.testing.assert_close(batched_scores[row, :n], single_scores[0])
    predictions = predict(model, sentences, vocab, batch_size=5)
    xpos_tags = predictions["xpos"].tags
    assert [len(tags) for tags in xpos_tags] == [len(words) for words in sentences]
    assert set(tag for tags in xpos_tags for tag in tags) <= set(vocab.tag_sets["xpos"])
    results = evaluate(model, sentences, gold, vocab)
    assert results["xpos"].total == results["upos"].total == sum(len(words) for words in sentences)
    assert results["xpos"].predicted == [tag for tags in xpos_tags for tag in tags]
    # no XPOS gold: no XPOS score
    assert list(evaluate(model, sentences, {"upos": gold["upos"]}, vocab)) == ["upos"]


def test_make_batches_same_length_never_pads_and_keeps_every_sentence_once():
    _, vocab = model_for(MIXED)
    sentences = [words for words, _ in MIXED] + [["a", "b"], ["c", "d"], ["e", "f"]]
    batches = make_batches(sentences, vocab, batch_size=2, same_length=True)
    assert all((batch.lengths == batch.words.size(1)).all() for batch in batches)
    # lengths 1, 2, 2, 2, 2, 3, 4, 7: four of length 2 make two batches of 2
    assert [len(batch.sentence_ids) for batch in batches] == [1, 2, 2, 1, 1, 1]
    assert sorted(i for batch in batches for i in batch.sentence_ids) == list(range(len(sentences)))


def test_an_unpadded_batch_scores_as_the_packed_path_does():
    """forward skips packing when no sentence is padded; the packed path must agree with it."""
    model, vocab = model_for(MIXED, chars=True, bidirectional=True)
    sentences = [["a", "b", "c"], ["g", "f", "e"]]
    (batch,) = make_batches(sentences, vocab, batch_size=2)
    features = char_features(model, [sentences[i] for i in batch.sentence_ids], vocab)
    (unpacked,) = model(batch.words, batch.lengths, features)
    # One column of padding more, so forward packs.
    padded = torch.cat([batch.words, torch.full((2, 1), PAD_IX)], dim=1)
    padded_features = torch.cat([features, torch.zeros(2, 1, features.size(2))], dim=1)
    (packed,) = model(padded, batch.lengths, padded_features)
    torch.testing.assert_close(packed[:, :3], unpacked)


def test_make_batches_pads_tags_with_ignore_index_and_remembers_sentence_order():
    vocab = Vocabulary.from_training_data(*split(MIXED, xpos=True))
    batches = batches_of(MIXED, vocab, batch_size=2)
    assert [b.sentence_ids for b in batches] == [[3, 1], [2, 4], [0]]  # sorted by length
    y, x = vocab.tag_to_ix["Y"], vocab.tag_to_ix["X"]
    upos, xpos = batches[0].tags
    assert upos.tolist() == [[y, IGNORE_IX], [y, x]]
    assert xpos[0].tolist() == [vocab.tag_sets["xpos"]["Y1"], IGNORE_IX]  # "e" is odd: Y1


def train_toy(is_nll_loss, epochs=60):
    model, vocab = model_for(TOY, is_nll_loss=is_nll_loss)
    random.seed(1)
    losses = train(model, batches_of(TOY, vocab), torch.optim.SGD(model.parameters(), lr=0.1),
                   epochs)
    return model, vocab, losses


def test_train_returns_a_falling_mean_loss_per_epoch():
    _, _, losses = train_toy(True, epochs=150)
    assert len(losses) == 150 and losses[-1] < losses[0] * 0.5


def test_subnormals_flushed_to_zero_inside_the_block_only_on_the_calling_thread():
    assert subnormal_survives_on_this_thread()
    with subnormals_flushed_to_zero():
        assert not subnormal_survives_on_this_thread()
    assert subnormal_survives_on_this_thread()


WORKER_THREADS_SCRIPT = """
import numpy as np, torch
from tagger.training import subnormals_flushed_to_zero
torch.set_num_threads(2)
x = torch.from_numpy(np.full(1_000_000, 1e-39, dtype=np.float32))  # numpy: no torch thread yet
with subnormals_flushed_to_zero():
    # big enough to run on 2 threads: creates the worker
    inside = (x * 1.0 == 0).float().mean().item()
after = (x * 1.0 == 0).float().mean().item()
print(inside, after, (x[:1] * 1.0 == 0).item())
"""


def test_worker_threads_created_inside_the_flush_block_keep_flushing():
    """What the docstring of subnormals_flushed_to_zero says: only the calling thread is reset."""
    result = run_script("-c", WORKER_THREADS_SCRIPT)
    assert result.returncode == 0, result.stderr
    inside, after, calling_thread_flushes = result.stdout.split()
    assert float(inside) == 1.0
    assert 0.0 < float(after) < 1.0  # the worker's share of the multiply still comes out as zero
    assert calling_thread_flushes == "False"


def test_nll_and_cross_entropy_models_train_identically():
    _, _, nll_losses = train_toy(True)
    _, _, ce_losses = train_toy(False)
    assert max(abs(a - b) for a, b in zip(nll_losses, ce_losses)) < 1e-6


def test_replace_rare_words_follows_alpha_over_alpha_plus_count():
    vocab = Vocabulary.from_training_data(*split(MIXED))
    counts = word_count_tensor(vocab)
    assert counts[PAD_IX] == float("inf") and counts[vocab.word_to_ix["c"]] == 3
    torch.manual_seed(0)
    words = torch.full((200_000,), vocab.word_to_ix["c"])
    replaced = (replace_rare_words(words, counts, 1.0) == UNK_IX).float().mean().item()
    assert replaced == pytest.approx(1 / (1 + 3), abs=0.01)
    padding = torch.full((1000,), PAD_IX)
    assert (replace_rare_words(padding, counts, 1.0) == PAD_IX).all()


def test_train_replaces_rare_words_with_unk_alpha_and_only_then(monkeypatch):
    from tagger import training as train_module
    model, vocab = model_for(TOY)
    seen = []

    def all_unknown(words, word_counts, unk_alpha):
        seen.append(unk_alpha)
        return torch.full_like(words, UNK_IX)
    monkeypatch.setattr(train_module, "replace_rare_words", all_unknown)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train(model, batches_of(TOY, vocab), optimizer, epochs=1, word_counts=word_count_tensor(vocab),
          unk_alpha=0.7)
    assert seen == [0.7, 0.7]  # once per batch
    assert model.word_embeddings.weight.grad[2:].abs().sum() == 0  # only <unk> was read
    train(model, batches_of(TOY, vocab), optimizer, epochs=1)
    assert seen == [0.7, 0.7]


def test_train_clips_the_gradient_norm_when_asked(monkeypatch):
    model, vocab = model_for(TOY)
    norms = []
    real_clip = torch.nn.utils.clip_grad_norm_
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_",
                        lambda parameters, max_norm: norms.append(max_norm)
                        or real_clip(parameters, max_norm))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train(model, batches_of(TOY, vocab), optimizer, epochs=1, clip_grad=5.0)
    assert norms == [5.0, 5.0]
    train(model, batches_of(TOY, vocab), optimizer, epochs=1, clip_grad=0.0)  # 0: off
    assert norms == [5.0, 5.0]


def test_character_features_of_a_word_do_not_depend_on_the_other_words_of_its_batch():
    """Packing: a short word padded to the batch's longest must read only its own letters."""
    data = [(["ab", "abcdefg"], ["X", "Y"])]
    model, vocab = model_for(data, chars=True)
    alone = char_features(model, [["ab"]], vocab)
    with_a_long_word = char_features(model, [["abcdefg", "ab"]], vocab)
    torch.testing.assert_close(with_a_long_word[0, 1], alone[0, 0])


def test_char_vector_table_matches_the_per_batch_character_features():
    """predict reads each distinct word once, one length at a time; training reads per batch."""
    sentences = [words for words, _ in MIXED] + [["abcdefg", "ab", "g", "ba"]]
    model, vocab = model_for(MIXED + [(sentences[-1], ["X", "Y", "X", "Y"])], chars=True)
    table, positions = char_vector_table(model, sentences, vocab.char_to_ix)
    for i, words in enumerate(sentences):
        torch.testing.assert_close(table[positions[i, :len(words)]],
                                   char_features(model, [words], vocab)[0])


@pytest.mark.parametrize("is_nll_loss, crf, decode_slots",
                         [(True, False, 65536), (False, False, 65536),
                                                            (True, True, 65536), (True, True, 1)])
def test_predict_agrees_with_decoding_each_sentence_alone(is_nll_loss, crf, decode_slots,
                                                          monkeypatch):
    """One (tags, log-probabilities) per sentence and tag set, in the caller's order, however many
    sentences are decoded together (DECODE_SLOTS 1: each batch of one length alone)."""
    from tagger import predict as train_module
    monkeypatch.setattr(train_module, "DECODE_SLOTS", decode_slots)
    data = MIXED + [(["abcdefg", "ab", "g"], ["X", "Y", "X"])]
    model, vocab = model_for(data, is_nll_loss=is_nll_loss, chars=True, xpos=True,
                             bidirectional=True, crf=crf)
    if crf:
        for _, output in model.tag_sets:
            # so that Viterbi and the per-word argmax differ
            torch.nn.init.normal_(output.transitions)
    sentences = [words for words, _ in data]
    predictions = predict(model, sentences, vocab, batch_size=4)
    tags_only = predict(model, sentences, vocab, batch_size=4, probabilities=False)
    for i, words in enumerate(sentences):
        (batch,) = make_batches([words], vocab)
        with torch.no_grad():
            scores = model(batch.words, batch.lengths, model.batch_char_features(batch))
            decoded = model.decode(scores, batch.lengths)
        for (name, tag_to_ix), (tags, log_probs) in zip(vocab.tag_sets.items(), decoded):
            prediction = predictions[name]
            assert prediction.log_probs[i].shape == (len(words), len(tag_to_ix))
            torch.testing.assert_close(prediction.log_probs[i], log_probs[0])
            torch.testing.assert_close(prediction.log_probs[i].exp().sum(dim=-1),
                                       torch.ones(len(words)))
            names = [list(tag_to_ix)[ix] for ix in tags[0].tolist()]
            assert prediction.tags[i] == names == tags_only[name].tags[i]
            assert tags_only[name].log_probs[i] is None
            if not crf:
                # the softmax decodes by argmax
                assert tags[0].tolist() == log_probs[0].argmax(dim=-1).tolist()
    empty = predict(model, [], vocab)
    assert list(empty) == ["upos",
                           "xpos"] and empty["upos"].tags == [] and empty["xpos"].log_probs == []


def test_predict_switches_dropout_off():
    model, vocab = model_for(TOY, bidirectional=True, dropout=0.5)
    model.train()  # as the training loop leaves it
    first = predict(model, [TOY[0][0]], vocab)["upos"].log_probs[0]
    model.train()
    torch.testing.assert_close(predict(model, [TOY[0][0]], vocab)["upos"].log_probs[0], first,
                               rtol=0, atol=0)
    assert not model.training


def test_learning_rate_decays_once_per_epoch_not_per_batch():
    model, vocab = model_for(TOY)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    random.seed(0)
    train(model, batches_of(TOY, vocab), optimizer, epochs=1, lr_decay=0.5)  # two batches
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05)
    train(model, batches_of(TOY, vocab), optimizer, epochs=2, lr_decay=0.5)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05 * 0.25)


def test_gradients_are_cleared_before_each_step():
    """train() on two batches equals two plain SGD steps, each on a fresh gradient."""
    model, vocab = model_for(TOY)
    reference = copy.deepcopy(model)
    batches = batches_of(TOY[:1], vocab) * 2  # the same batch twice, so the order cannot matter
    train(model, batches, torch.optim.SGD(model.parameters(), lr=0.1), epochs=1)
    for batch in batches:
        loss = F.nll_loss(upos_scores(reference, batch.words[0]), batch.tags[0][0])
        gradients = torch.autograd.grad(loss, list(reference.parameters()))
        with torch.no_grad():
            for parameter, gradient in zip(reference.parameters(), gradients):
                parameter -= 0.1 * gradient
    for trained, expected in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(trained, expected)


@pytest.mark.parametrize("is_nll_loss", [True, False])
def test_a_batch_is_normalised_over_the_tag_dimension(is_nll_loss):
    """Three sentences, up to 7 words, 2 tags: only the last dimension may sum to one."""
    model, vocab = model_for(MIXED, is_nll_loss=is_nll_loss)
    (batch,) = batches_of(MIXED[:3], vocab, batch_size=3)
    with torch.no_grad():
        ((_, log_probs),) = model.decode(model(batch.words, batch.lengths, None), batch.lengths)
    assert log_probs.shape == (3, 7, 2)
    torch.testing.assert_close(log_probs.exp().sum(dim=-1), torch.ones(3, 7))
    (scores,) = model(batch.words, batch.lengths, None)
    if is_nll_loss:  # log-probabilities: exp sums to one over the tags at every position
        torch.testing.assert_close(scores.exp().sum(dim=-1), torch.ones(3, 7))


@pytest.mark.parametrize("settings", [
    dict(embedding_dim=5, hidden_dim=4, vocab_size=10, tagset_size=3),
    dict(embedding_dim=5, hidden_dim=4, vocab_size=10, tagset_size=3, bidirectional=True,
         num_layers=3,
         char_vocab_size=7, char_embedding_dim=2, char_hidden_dim=3, xpos_tagset_size=4, crf=True),
    dict(embedding_dim=2, hidden_dim=6, vocab_size=4, tagset_size=2, num_layers=2,
         xpos_tagset_size=5,
         is_nll_loss=False, dropout=0.5, label_smoothing=0.1)])
def test_parameter_shapes_are_the_shapes_of_the_model_it_describes(settings):
    from tagger.model import parameter_shapes
    model = RealDataTagger(**settings)
    built = {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}
    assert parameter_shapes(**settings) == built
