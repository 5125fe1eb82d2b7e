"""The CRF output layer against brute force: every tag sequence of small sentences enumerated."""
import itertools

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.crf import CRF, IGNORE_IX


def all_paths(n_words, n_tags):
    return list(itertools.product(range(n_tags), repeat=n_words))


def path_score(crf, emissions, path):
    """score(y) written out for one sentence: start, emissions, transitions, end."""
    score = crf.start[path[0]] + crf.end[path[-1]]
    for t, tag in enumerate(path):
        score = score + emissions[t, tag]
        if t:
            score = score + crf.transitions[path[t - 1], tag]
    return score


def enumerated(crf, emissions, length):
    """(paths, their scores) for the first `length` words of one sentence's emissions."""
    paths = all_paths(length, emissions.size(1))
    return paths, torch.stack([path_score(crf, emissions[:length], path) for path in paths])


@st.composite
def crf_batches(draw):
    """A CRF with random scores and a padded batch of 1-3 sentences of 1-4 words, in float64."""
    n_tags = draw(st.integers(1, 4))
    lengths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    scale = draw(st.sampled_from([1.0, 10.0, 1000.0]))
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**31)))
    crf = CRF(n_tags).double()
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator,
                                        dtype=torch.float64) * scale)
    emissions = torch.randn(len(lengths), max(lengths), n_tags, generator=generator,
                            dtype=torch.float64) * scale
    tags = torch.randint(n_tags, (len(lengths), max(lengths)), generator=generator)
    mask = torch.arange(max(lengths)) < torch.tensor(lengths).unsqueeze(1)
    return crf, emissions, tags.masked_fill(~mask, IGNORE_IX), torch.tensor(lengths)


@settings(max_examples=60, deadline=None)
@given(crf_batches())
def test_log_z_gold_score_loss_viterbi_and_marginals_equal_enumeration(batch):
    crf, emissions, tags, lengths = batch
    mask = tags != IGNORE_IX
    log_z = crf.log_partition(emissions, mask)
    gold = crf.sequence_score(emissions, tags.masked_fill(~mask, 0), mask)
    best_tags, log_probs = crf.decode(emissions, lengths)
    losses = []
    for i, length in enumerate(lengths.tolist()):
        paths, scores = enumerated(crf, emissions[i], length)
        torch.testing.assert_close(log_z[i], torch.logsumexp(scores, dim=0), rtol=1e-9, atol=1e-9)
        gold_path = tuple(tags[i, :length].tolist())
        torch.testing.assert_close(gold[i], scores[paths.index(gold_path)], rtol=1e-9, atol=1e-9)
        losses.append(log_z[i] - gold[i])
        # Viterbi: a path with the highest score (the first one, unless two tie exactly).
        viterbi_path = tuple(best_tags[i, :length].tolist())
        torch.testing.assert_close(scores[paths.index(viterbi_path)], scores.max(), rtol=1e-12,
                                   atol=1e-9)
        # Marginals: p(word t has tag j) summed over the enumerated paths.
        probabilities = torch.softmax(scores, dim=0)
        for t in range(length):
            expected = torch.stack([probabilities[[p[t] == j for p in paths]].sum()
                                    for j in range(emissions.size(2))])
            torch.testing.assert_close(log_probs[i, t].exp(), expected, rtol=1e-7, atol=1e-9)
    torch.testing.assert_close(crf.loss(emissions, tags), torch.stack(losses).sum() / lengths.sum())


@settings(max_examples=30, deadline=None)
@given(crf_batches())
def test_padding_and_the_other_sentences_of_a_batch_change_nothing(batch):
    crf, emissions, tags, lengths = batch
    tags_batched, log_probs_batched = crf.decode(emissions, lengths)
    mask = tags != IGNORE_IX
    log_z = crf.log_partition(emissions, mask)
    for i, length in enumerate(lengths.tolist()):
        alone = emissions[i:i + 1, :length]
        tags_alone, log_probs_alone = crf.decode(alone, torch.tensor([length]))
        assert tags_batched[i, :length].tolist() == tags_alone[0].tolist()
        torch.testing.assert_close(log_probs_batched[i, :length], log_probs_alone[0])
        torch.testing.assert_close(log_z[i],
                                   crf.log_partition(alone,
                                                     torch.ones(1, length, dtype=torch.bool))[0])


def random_crf(n_tags, seed):
    """A float64 CRF whose transition, start and end scores are drawn from N(0, 1) with `seed`."""
    torch.manual_seed(seed)
    crf = CRF(n_tags).double()
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.normal_()
    return crf


def test_gradients_of_the_loss_are_right_in_float64():
    crf = random_crf(3, seed=0)
    emissions = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    tags = torch.tensor([[0, 2, 1, 1], [1, 0, IGNORE_IX, IGNORE_IX]])
    scores = [crf.transitions.detach().clone().requires_grad_(),
              crf.start.detach().clone().requires_grad_(),
              crf.end.detach().clone().requires_grad_()]
    assert torch.autograd.gradcheck(lambda e, *crf_scores: loss_with(e, *crf_scores, tags=tags),
                                    (emissions, *scores))


def loss_with(emissions, transitions, start, end, tags):
    """CRF.loss with the CRF's scores given as arguments, so that gradcheck can vary them."""
    crf = CRF(transitions.size(0))
    del crf.transitions, crf.start, crf.end  # plain tensors in place of the parameters
    crf.transitions, crf.start, crf.end = transitions, start, end
    return crf.loss(emissions, tags)


def test_with_zero_transitions_the_crf_loss_is_the_per_word_cross_entropy():
    """The losses page's tagger of sections 1-3 is a CRF without transitions, start or end."""
    torch.manual_seed(0)
    crf = CRF(5)  # its scores start at zero
    emissions = torch.randn(3, 6, 5) * 3
    tags = torch.randint(5, (3, 6))
    tags[1, 4:] = IGNORE_IX
    tags[2, 2:] = IGNORE_IX
    cross_entropy = F.cross_entropy(emissions.flatten(0, 1), tags.flatten(), ignore_index=IGNORE_IX)
    torch.testing.assert_close(crf.loss(emissions, tags), cross_entropy)
    lengths = torch.tensor([6, 4, 2])
    best, log_probs = crf.decode(emissions, lengths)
    mask = tags != IGNORE_IX
    assert best[mask].tolist() == emissions.argmax(dim=-1)[mask].tolist()
    torch.testing.assert_close(log_probs[mask], F.log_softmax(emissions, dim=-1)[mask])


def test_viterbi_avoids_a_forbidden_transition_that_the_per_word_argmax_takes():
    crf = CRF(3)
    with torch.no_grad():
        crf.transitions[0, 1] = -1e4  # tag 0 is never followed by tag 1
    emissions = torch.tensor([[[5.0, 0.0, 0.0], [0.0, 3.0, 2.5]]])  # per word: 0 then 1
    best, log_probs = crf.decode(emissions, torch.tensor([2]))
    assert emissions.argmax(dim=-1).tolist() == [[0, 1]] and best.tolist() == [[0, 2]]
    # The marginals agree: tag 1 at word 2 needs a first word other than 0, which is unlikely.
    assert log_probs[0, 1].exp()[1] < 0.05 < 0.5 < F.softmax(emissions[0, 1], dim=-1)[1]


def test_a_temperature_rescales_each_words_marginals_and_keeps_the_viterbi_path():
    crf = random_crf(4, seed=1)
    emissions = torch.randn(1, 3, 4, dtype=torch.float64) * 2
    tags, log_probs = crf.decode(emissions, torch.tensor([3]))
    crf.temperature = 2.0
    hot_tags, hot_log_probs = crf.decode(emissions, torch.tensor([3]))
    assert hot_tags.tolist() == tags.tolist()
    # The map evaluation.fit_temperature searches: each word's marginals p, as softmax(log p / T).
    paths, scores = enumerated(crf, emissions[0], 3)
    probabilities = torch.softmax(scores, dim=0)
    marginals = torch.stack([probabilities[[p[0] == j for p in paths]].sum() for j in range(4)])
    torch.testing.assert_close(hot_log_probs[0, 0].exp(),
                               torch.softmax(marginals.log() / 2.0, dim=0))
    assert hot_log_probs[0].exp().max() < log_probs[0].exp().max()


def test_decoding_tags_only_gives_the_same_tags_and_skips_the_marginals(monkeypatch):
    crf = random_crf(5, seed=2)
    emissions, lengths = torch.randn(3, 6, 5, dtype=torch.float64), torch.tensor([6, 2, 4])
    tags, log_probs = crf.decode(emissions, lengths)
    monkeypatch.setattr(crf, "marginals",
                        lambda *args: pytest.fail("forward-backward ran for tags only"))
    tags_only, none = crf.decode(emissions, lengths, probabilities=False)
    assert none is None and torch.equal(tags_only, tags) and log_probs.shape == (3, 6, 5)
