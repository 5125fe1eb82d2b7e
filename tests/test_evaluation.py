"""evaluation.py: accuracy, per-tag scores, errors and probability scores, on known answers."""
import math

import pytest
import torch

from tagger.evaluation import (FREQUENCY_BANDS, accuracy_by_frequency, brier_score,
                               calibration_bins, evaluate,
                               expected_calibration_error, fit_temperature, mean_nll,
                               per_tag_scores, probability_scores, rescale, score_tags,
                               top_confusions)
from test_model import MIXED, model_for, split


def log_of(probabilities):
    return torch.tensor(probabilities).log()


def test_evaluate_keeps_the_log_probabilities_its_tags_come_from():
    model, vocab = model_for(MIXED, chars=True)
    data = MIXED + [(["a", "b"], ["X", "NEW"])]  # NEW: a gold tag the model has never seen
    result = evaluate(model, *split(data), vocab)["upos"]
    assert result.log_probs.shape == (result.total, len(vocab.tag_to_ix))
    torch.testing.assert_close(result.log_probs.exp().sum(dim=1), torch.ones(result.total))
    ix_to_tag = list(vocab.tag_to_ix)
    assert [ix_to_tag[ix] for ix in result.log_probs.argmax(dim=1).tolist()] == result.predicted
    assert result.gold_ix[-1] == -1 and (result.gold_ix[:-1] >= 0).all()
    # The token with the unknown tag is left out of the probability scores, not counted as p = 0.
    assert probability_scores(result.log_probs, result.gold_ix)["nll"] == pytest.approx(
        mean_nll(result.log_probs[:-1], result.gold_ix[:-1]))


def test_per_tag_scores():
    scores = per_tag_scores(["A", "A", "B", "B"], ["A", "B", "B", "B"])
    assert scores["A"] == (1.0, 0.5, pytest.approx(2 / 3), 2)
    assert scores["B"] == (pytest.approx(2 / 3), 1.0, pytest.approx(0.8), 2)


def test_score_tags_counts_right_tags_overall_and_on_unseen_words():
    data = [(["a", "b", "c"], ["X", "Y", "X"]), (["d"], ["Y"])]
    result = score_tags(data, [["X", "X", "X"], ["Y"]], is_known={"a", "b"}.__contains__)
    assert (result.correct, result.total) == (3, 4)
    assert (result.unseen_correct, result.unseen_total) == (2, 2)
    assert result.gold == ["X", "Y", "X", "Y"] and result.predicted == ["X", "X", "X", "Y"]
    assert result.words == ["a", "b", "c", "d"]


def test_mean_nll_is_the_average_of_minus_log_p_gold():
    log_probs = log_of([[0.5, 0.5], [0.25, 0.75], [0.9, 0.1]])
    expected = (math.log(2) + math.log(4 / 3) + math.log(10)) / 3
    assert mean_nll(log_probs, torch.tensor([0, 1, 1])) == pytest.approx(expected, rel=1e-6)


def test_brier_score_sums_squared_gaps_over_tags_and_averages_over_words():
    log_probs = log_of([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    # (0 + 0) + (0.25 + 0.25) + (1 + 1), over 3 words
    assert brier_score(log_probs, torch.tensor([0, 0, 0])) == pytest.approx(2.5 / 3)
    # certain and wrong: the worst
    assert brier_score(log_probs[2:], torch.tensor([0])) == pytest.approx(2.0)


def test_calibration_bins_are_right_closed_and_equal_width():
    # Two bins, (0, 0.5] and (0.5, 1]: 0.5 falls in the first, 0.75 and 1.0 in the second.
    log_probs = log_of([[0.5, 0.5], [0.75, 0.25], [1.0, 0.0]])
    bins = calibration_bins(log_probs, torch.tensor([1, 0, 1]), n_bins=2)
    assert bins[0] == (1, 0.5, 0.0)  # argmax of a tie is the first tag: wrong here
    assert bins[1][0] == 2 and bins[1][1] == pytest.approx(0.875) and bins[1][2] == 0.5


def test_expected_calibration_error_weighs_each_bin_by_its_tokens():
    # Three words at confidence 0.6, two right; two words at 0.9, one right.
    log_probs = log_of([[0.6, 0.4]] * 3 + [[0.9, 0.1]] * 2)
    gold = torch.tensor([0, 0, 1, 0, 1])
    expected = 3 / 5 * abs(2 / 3 - 0.6) + 2 / 5 * abs(1 / 2 - 0.9)  # 0.04 + 0.16
    assert expected_calibration_error(log_probs, gold) == pytest.approx(expected, rel=1e-5)
    empty = [n for n, _, _ in calibration_bins(log_probs, gold)]
    assert sum(empty) == 5 and empty.count(0) == 13
    # Right as often as it is confident: no calibration error.
    calibrated = log_of([[0.75, 0.25]] * 4)
    ece = expected_calibration_error(calibrated, torch.tensor([0, 0, 0, 1]))
    assert ece == pytest.approx(0.0, abs=1e-6)


def test_rescale_divides_the_logits_by_the_temperature():
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    log_probs = torch.log_softmax(logits, dim=-1)
    torch.testing.assert_close(rescale(log_probs, 2.0), torch.log_softmax(logits / 2, dim=-1))
    torch.testing.assert_close(rescale(log_probs, 1.0), log_probs)


def test_fit_temperature_recovers_the_temperature_the_data_was_drawn_at():
    """Tags drawn from softmax(z / 2): the logits z are overconfident; T = 2 makes them honest."""
    generator = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(40_000, 5, generator=generator)
    gold = torch.multinomial(torch.softmax(logits / 2, dim=-1), 1, generator=generator).squeeze(1)
    log_probs = torch.log_softmax(logits, dim=-1)
    temperature = fit_temperature(log_probs, gold)
    assert temperature == pytest.approx(2.0, abs=0.05)
    fitted = rescale(log_probs, temperature)
    assert mean_nll(fitted, gold) < mean_nll(log_probs, gold)
    assert mean_nll(fitted,
                    gold) <= min(mean_nll(rescale(log_probs, t), gold) for t in (1.8, 1.9, 2.1,
                                                                                 2.2))
    assert expected_calibration_error(fitted, gold) < expected_calibration_error(log_probs,
                                                                                 gold) / 3
    assert torch.equal(fitted.argmax(dim=1), log_probs.argmax(dim=1))  # the tags stay the same


def test_top_confusions_count_errors_and_their_share():
    gold = ["A", "A", "A", "B", "B", "C", "C"]
    predicted = ["B", "B", "A", "A", "B", "A", "C"]
    assert top_confusions(gold, predicted) == [("A", "B", 2, 0.5), ("B", "A", 1, 0.25),
                                               ("C", "A", 1, 0.25)]
    assert top_confusions(gold, predicted, n=1) == [("A", "B", 2, 0.5)]
    assert top_confusions(["A"], ["A"]) == []


def test_accuracy_by_frequency_bands_and_their_edges():
    counts = {"u": 0, "one": 1, "ten": 10, "eleven": 11, "hundred": 100, "many": 101}
    words = ["u", "one", "ten", "eleven", "hundred", "many", "many"]
    gold = ["X"] * 7
    predicted = ["Y", "X", "Y", "X", "X", "X", "Y"]
    bands = accuracy_by_frequency(words, gold, predicted, counts.get)
    assert [name for name, _, _ in bands] == [name for name, _, _ in FREQUENCY_BANDS]
    assert bands == [("unseen", 0.0, 1), ("1-10", 0.5, 2), ("11-100", 1.0, 2),
                     ("more than 100", 0.5, 2)]
    # no unseen words
    assert math.isnan(accuracy_by_frequency(["one"], ["X"], ["X"], counts.get)[0][1])
