"""A tagger on gold-tagged data: accuracy, per-tag scores, errors, calibration."""
from collections import Counter
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from tagger.tagging import predict

N_BINS = 15  # confidence bins of the expected calibration error and the reliability diagram
FREQUENCY_BANDS = (("unseen", 0, 0), ("1-10", 1, 10), ("11-100", 11, 100),
                   ("more than 100", 101, float("inf")))


@dataclass
class Evaluation:
    """Token-level results of tagging a data set whose gold tags (of one tag set) are known."""
    correct: int
    total: int
    unseen_correct: int  # over words that never occur in the training data
    unseen_total: int
    gold: list  # every token's, in order
    predicted: list
    words: list = field(default_factory=list)
    log_probs: torch.Tensor | None = None  # (tokens, tags)
    gold_ix: torch.Tensor | None = None  # (tokens,) each gold tag's column in log_probs, or -1

    @property
    def accuracy(self):
        return self.correct / self.total

    @property
    def unseen_accuracy(self):
        return self.unseen_correct / self.unseen_total if self.unseen_total else float("nan")


def evaluate(model, sentences, gold_tags, vocab, batch_size=512, device="cpu", features=None):
    """{tag set: Evaluation} of word lists against gold_tags ({name: tag lists}); features: the
    sentences' transformer features, if computed already."""
    results = {}
    for name, prediction in predict(model, sentences, vocab, batch_size, device,
                                    features=features).items():
        if name not in gold_tags:
            continue
        result = score_tags(list(zip(sentences, gold_tags[name])), prediction.tags, vocab.knows)
        tag_to_ix = vocab.tag_sets[name]
        result.log_probs = (torch.cat(prediction.log_probs) if sentences
                            else torch.empty(0, len(tag_to_ix)))
        result.gold_ix = torch.tensor([tag_to_ix.get(tag, -1) for tag in result.gold],
                                      dtype=torch.long)
        results[name] = result
    return results


def score_tags(data, predicted, is_known):
    """Count right tags (and right tags on words is_known(word) says are unseen) in `predicted`."""
    result = Evaluation(0, 0, 0, 0, [], [])
    for (words, gold_tags), predicted_tags in zip(data, predicted):
        for word, gold, guess in zip(words, gold_tags, predicted_tags):
            right = gold == guess
            result.correct += right
            result.total += 1
            if not is_known(word):
                result.unseen_correct += right
                result.unseen_total += 1
        result.words.extend(words)
        result.gold.extend(gold_tags)
        result.predicted.extend(predicted_tags)
    return result


def per_tag_scores(gold, predicted):
    """Precision, recall, F1 and support of each gold tag: {tag: (p, r, f1, support)}."""
    true_positive = Counter(g for g, p in zip(gold, predicted) if g == p)
    gold_count, predicted_count = Counter(gold), Counter(predicted)
    scores = {}
    for tag in sorted(gold_count):
        precision = true_positive[tag] / predicted_count[tag] if predicted_count[tag] else 0.0
        recall = true_positive[tag] / gold_count[tag]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[tag] = (precision, recall, f1, gold_count[tag])
    return scores


def top_confusions(gold, predicted, n=10):
    """The n most frequent errors: [(gold tag, predicted tag, count, share of all errors), ...]."""
    errors = Counter((g, p) for g, p in zip(gold, predicted) if g != p)
    n_errors = sum(errors.values())
    return [(g, p, count, count / n_errors) for (g, p), count in errors.most_common(n)]


def accuracy_by_frequency(words, gold, predicted, training_count):
    """[(band, accuracy or nan, tokens), ...] of FREQUENCY_BANDS of training_count(word)."""
    right, total = Counter(), Counter()
    for word, g, p in zip(words, gold, predicted):
        count = training_count(word)
        band = next(name for name, low, high in FREQUENCY_BANDS if low <= count <= high)
        right[band] += g == p
        total[band] += 1
    return [(name, right[name] / total[name] if total[name] else float("nan"), total[name])
            for name, _, _ in FREQUENCY_BANDS]


def known_gold(log_probs, gold_ix):
    """The tokens whose gold tag the model knows (gold_ix >= 0); it gives the others p = 0."""
    keep = gold_ix >= 0
    return log_probs[keep], gold_ix[keep]


def mean_nll(log_probs, gold_ix):
    """Mean over tokens of -ln p(gold tag)."""
    return -log_probs.gather(1, gold_ix.unsqueeze(1)).mean().item()


def brier_score(log_probs, gold_ix):
    """Mean over tokens of the sum over tags of (p(tag) - [tag is gold])^2: 0 best, 2 worst."""
    one_hot = F.one_hot(gold_ix, log_probs.size(1)).float()
    return ((log_probs.exp() - one_hot) ** 2).sum(dim=1).mean().item()


def calibration_bins(log_probs, gold_ix, n_bins=N_BINS):
    """(tokens, mean confidence, accuracy) of each bin (0, 1/n], ..., ((n-1)/n, 1] of the top
    tag's probability (nan for an empty bin)."""
    confidence, guess = log_probs.exp().max(dim=1)
    right = (guess == gold_ix).float()
    bins = (confidence * n_bins).ceil().long().clamp(1, n_bins) - 1
    result = []
    for b in range(n_bins):
        in_bin = bins == b
        n = int(in_bin.sum())
        result.append((n, confidence[in_bin].mean().item() if n else float("nan"),
                       right[in_bin].mean().item() if n else float("nan")))
    return result


def expected_calibration_error(log_probs, gold_ix, n_bins=N_BINS):
    """ECE: over calibration_bins, the sum of (bin's share of tokens) * |accuracy - confidence|."""
    total = len(gold_ix)
    return sum(n / total * abs(accuracy - confidence)
               for n, confidence, accuracy in calibration_bins(log_probs, gold_ix, n_bins) if n)


def probability_scores(log_probs, gold_ix):
    """{"nll", "brier", "ece"} over the tokens whose gold tag the model knows (None: none)."""
    log_probs, gold_ix = known_gold(log_probs, gold_ix)
    if len(gold_ix) == 0:
        return None
    return {"nll": mean_nll(log_probs, gold_ix), "brier": brier_score(log_probs, gold_ix),
            "ece": expected_calibration_error(log_probs, gold_ix)}


def rescale(log_probs, temperature):
    """Temperature scaling from log p at T = 1, as both output layers apply it."""
    return F.log_softmax(log_probs / temperature, dim=-1)


def fit_temperature(log_probs, gold_ix, low=0.05, high=20.0, steps=100):
    """The T in [low, high] of the lowest mean NLL, by a ternary search over 1/T (convex there)."""
    log_probs, gold_ix = known_gold(log_probs, gold_ix)

    def nll_at(inverse_temperature):
        return mean_nll(rescale(log_probs, 1 / inverse_temperature), gold_ix)
    left, right = 1 / high, 1 / low  # the search runs over 1/T
    for _ in range(steps):
        third = (right - left) / 3
        if nll_at(left + third) < nll_at(right - third):
            right -= third  # the minimum is not in the last third
        else:
            left += third
    return 2 / (left + right)
