"""Section 7 of the losses page: a CRF is a softmax over whole tag sequences, shown on numbers.

    python -m benchmarks.crf_example

docs/losses.md quotes its output, computed with tagger/crf.py's CRF; a test checks they agree.
"""
import itertools
import time

import torch
import torch.nn.functional as F

from tagger.cli import run
from tagger.crf import CRF


def small_crf(n_tags, seed, scale=1.0):
    """A CRF whose transition, start and end scores are random (seeded), for section 7."""
    generator = torch.Generator().manual_seed(seed)
    crf = CRF(n_tags)
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * scale)
    return crf


def enumerate_paths(crf, emissions):
    """Every tag sequence of one sentence (n, T) and its score: the CRF softmax's T^n classes."""
    n_words, n_tags = emissions.shape
    paths = list(itertools.product(range(n_tags), repeat=n_words))
    tags = torch.tensor(paths)  # (T^n, n)
    scores = crf.sequence_score(emissions.expand(len(paths), -1, -1), tags,
                                torch.ones_like(tags, dtype=torch.bool))
    return paths, scores


def crf_is_a_softmax_over_paths(seed=1):
    """Section 7 (1) and (4): log Z and the best path, enumerated and by the CRF's algorithms."""
    crf = small_crf(3, seed)
    emissions = torch.randn(1, 4, 3, generator=torch.Generator().manual_seed(seed + 1))
    mask = torch.ones(1, 4, dtype=torch.bool)
    with torch.no_grad():
        paths, scores = enumerate_paths(crf, emissions[0])
        viterbi = crf.viterbi(emissions, mask)[0].tolist()
        return {"n_paths": len(paths), "log_z_enumerated": torch.logsumexp(scores, dim=0).item(),
                "log_z_forward": crf.log_partition(emissions, mask).item(),
                "argmax_path": list(paths[scores.argmax().item()]), "viterbi_path": viterbi}


def crf_without_transitions_is_the_per_word_softmax(seed=0):
    """Section 7 (2): with zero transitions, start and end, log Z sums per-word logsumexps."""
    crf = CRF(5)  # all its scores start at zero
    generator = torch.Generator().manual_seed(seed)
    emissions = torch.randn(1, 6, 5, generator=generator) * 3
    tags = torch.randint(5, (1, 6), generator=generator)
    with torch.no_grad():
        return {"log_z": crf.log_partition(emissions, torch.ones(1, 6, dtype=torch.bool)).item(),
                "sum_of_logsumexp": torch.logsumexp(emissions[0], dim=-1).sum().item(),
                "crf_loss": crf.loss(emissions, tags).item(),
                "cross_entropy": F.cross_entropy(emissions[0], tags[0]).item()}


def forward_in_probability_space(crf, emissions):
    """Z of one sentence by the forward algorithm on exp(scores): products of exponentials."""
    alpha = (crf.start + emissions[0]).exp()
    for t in range(1, len(emissions)):
        alpha = (alpha @ crf.transitions.exp()) * emissions[t].exp()
    return (alpha * crf.end.exp()).sum()


def long_sentence_overflow(n_words=200, seed=2):
    """Section 7 (3): on a long sentence Z overflows float32; log Z in log space does not."""
    crf = small_crf(17, seed)
    emissions = torch.randn(1, n_words, 17, generator=torch.Generator().manual_seed(seed)) + 2
    with torch.no_grad():
        first_inf = next(n for n in range(1, n_words + 1)
                         if torch.isinf(forward_in_probability_space(crf, emissions[0, :n])))
        return {"n_words": n_words, "first_inf": first_inf,
                "log_z": crf.log_partition(emissions,
                                           torch.ones(1, n_words, dtype=torch.bool)).item()}


def viterbi_against_the_per_word_argmax():
    """Section 7 (4): the per-word argmax takes a transition the CRF finds unlikely; Viterbi not."""
    crf = CRF(3)
    with torch.no_grad():
        crf.transitions[0, 1] = -4.0  # tag 0 is rarely followed by tag 1
    emissions = torch.tensor([[[2.0, 0.0, 0.0], [0.0, 1.0, 0.6]]])
    with torch.no_grad():
        paths, scores = enumerate_paths(crf, emissions[0])
        probabilities = torch.softmax(scores, dim=0)
        per_word = emissions[0].argmax(dim=-1).tolist()
        viterbi = crf.viterbi(emissions, torch.ones(1, 2, dtype=torch.bool))[0].tolist()
    return {"per_word": per_word,
            "per_word_probability": probabilities[paths.index(tuple(per_word))].item(),
            "viterbi": viterbi,
            "viterbi_probability": probabilities[paths.index(tuple(viterbi))].item()}


def log_partition_one_sentence(crf, emissions):
    """log Z of one sentence (n, T) by a loop like that of the PyTorch tutorial "Advanced: Making
    Dynamic Decisions and the Bi-LSTM CRF": over the words and, for each word, over the next tag,
    each step a small logsumexp. Section 7 (5) times it against CRF.log_partition."""
    alpha = crf.start + emissions[0]
    for t in range(1, len(emissions)):
        alpha = torch.stack([torch.logsumexp(alpha + crf.transitions[:, tag], dim=0)
                             + emissions[t, tag] for tag in range(emissions.size(1))])
    return torch.logsumexp(alpha + crf.end, dim=0)


def forward_algorithm_cost(lengths, n_tags=17, seed=3, repeats=3):
    """Section 7 (5): log Z of a padded batch by the batched forward algorithm and by the
    one-sentence loop.

    Returns the largest difference between the two and the best-of-`repeats` seconds of each.
    """
    crf = small_crf(n_tags, seed)
    lengths = torch.tensor(lengths)
    emissions = torch.randn(len(lengths), int(lengths.max()), n_tags,
                            generator=torch.Generator().manual_seed(seed))
    mask = torch.arange(emissions.size(1)) < lengths.unsqueeze(1)
    seconds = {}
    with torch.no_grad():
        for way in ("batched", "loop"):
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                if way == "batched":
                    batched = crf.log_partition(emissions, mask)
                else:
                    looped = torch.stack([log_partition_one_sentence(crf, emissions[i, :n])
                                          for i, n in enumerate(lengths.tolist())])
                best = min(best, time.perf_counter() - start)
            seconds[way] = best
    return {"difference": (batched - looped).abs().max().item(), **seconds}


def main():
    """Print section 7: enumeration against forward algorithm and Viterbi, overflow, cost."""
    print("== 7. A CRF: a softmax over whole tag sequences ==")
    paths = crf_is_a_softmax_over_paths()
    print(f"3 tags, 4 words: {paths['n_paths']} paths; log Z by enumerating them "
          f"{paths['log_z_enumerated']:.4f}, by the forward algorithm {paths['log_z_forward']:.4f}")
    print(f"best path by enumeration {paths['argmax_path']}, by Viterbi {paths['viterbi_path']}")
    zero = crf_without_transitions_is_the_per_word_softmax()
    print(f"no transition scores: log Z {zero['log_z']:.4f} = sum of per-word logsumexp "
          f"{zero['sum_of_logsumexp']:.4f}; CRF loss per word {zero['crf_loss']:.6f}, per-word "
          f"cross entropy {zero['cross_entropy']:.6f} (difference "
          f"{abs(zero['crf_loss'] - zero['cross_entropy']):.1e})")
    long = long_sentence_overflow()
    print(f"{long['n_words']} words, 17 tags, float32: Z as a sum of products of exponentials is "
          f"inf from word {long['first_inf']}; log Z in log space: {long['log_z']:.2f}")
    choice = viterbi_against_the_per_word_argmax()
    print(f"per-word argmax {choice['per_word']} (p = {choice['per_word_probability']:.4f} as a "
          f"sequence); Viterbi {choice['viterbi']} (p = {choice['viterbi_probability']:.4f})")
    print(f"17 tags, 25 words: {17 ** 25:.1e} paths to enumerate; the forward algorithm adds "
          f"{(25 - 1) * 17 ** 2} pairs of (previous tag, next tag) scores")
    cost = forward_algorithm_cost([(7 * i) % 40 + 5 for i in range(16)])
    print(f"log Z of 16 sentences: batched forward algorithm {cost['batched']:.4f} s, one "
          f"sentence and one tag at a time {cost['loop']:.4f} s "
          f"({cost['loop'] / cost['batched']:.0f}x), difference {cost['difference']:.1e}")


if __name__ == "__main__":
    run(main)  # `python -m benchmarks.crf_example | head` ends quietly
