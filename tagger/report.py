"""What python -m tagger.tag --eval prints: accuracy, and with --report or --fit-temperature the
per-tag scores, the probability scores, the frequent errors and accuracy by frequency."""
from tagger.checkpoint import save_temperature
from tagger.data import read_tag_sets
from tagger.errors import InputError
from tagger.evaluation import (N_BINS, accuracy_by_frequency, evaluate, fit_temperature,
                               per_tag_scores, probability_scores, rescale, top_confusions)


PROBABILITY_SCORES = f"""\
how --report scores the UPOS probabilities p, over the words of the --eval file (g: a word's
gold tag; words whose gold tag never occurred in training are left out, as p(g) is 0 for them):
  NLL    mean over words of -ln p(g): at temperature 1, for a softmax model trained without label
         smoothing, the loss its UPOS layer trains on, here on other text, without dropout or
         --unk-alpha (a CRF's p are its per-word marginals)
  Brier  mean over words of the sum over all tags t of (p(t) - [t = g])^2, where [t = g] is 1
         for the gold tag and 0 for the others; 0 best, 2 worst
  ECE    expected calibration error: the words go into {N_BINS} bins of equal width by the
         confidence c = max over t of p(t): (0, 1/{N_BINS}], (1/{N_BINS}, 2/{N_BINS}], ...,
         ({N_BINS - 1}/{N_BINS}, 1]; ECE is the sum over bins of (words in the bin / all words)
         * |accuracy in the bin - mean c in the bin|
"""


def print_evaluation(model, vocab, args):
    """Print each tag set's accuracy, accuracy on unseen words and, with --report, the rest."""
    if args.fit_temperature:
        model.temperature = 1.0  # fit from the model's own scores, whatever was stored before
    results = evaluate(model, *read_tag_sets(args.eval, vocab.tag_sets), vocab, args.batch_size,
                       args.device)
    for name, result in results.items():
        print(f"{name} accuracy: {result.accuracy:.4f} ({result.total} tokens)")
    upos = results["upos"]
    if upos.unseen_total:
        print(f"unseen-word accuracy: {upos.unseen_accuracy:.4f} ({upos.unseen_total} tokens)")
    else:
        print("unseen-word accuracy: - (every word of the file occurs in training)")
    if args.fit_temperature:
        # the NLL would be nan, and so the fitted temperature
        if not bool((upos.gold_ix >= 0).any()):
            raise InputError(f"{args.eval}: no word has a UPOS tag that the model knows, so there "
                             f"is no temperature to fit; {args.model} is unchanged")
        print_probability_scores(upos, model.temperature)
        model.temperature = fit_temperature(upos.log_probs, upos.gold_ix)
        save_temperature(args.model, model.temperature)
        print(f"fitted temperature: {model.temperature:.4f} (minimum NLL on {args.eval}; saved in "
              f"{args.model})")
        upos.log_probs = rescale(upos.log_probs, model.temperature)  # the tags stay the same
    if args.report:
        print_report(results, vocab, model.temperature)
    elif args.fit_temperature:
        print_probability_scores(upos, model.temperature)


def print_probability_scores(result, temperature):
    """One line: NLL, Brier score and ECE of an Evaluation's probabilities."""
    scores = probability_scores(result.log_probs, result.gold_ix)
    if scores is None:
        print(f"probabilities at temperature {temperature:.4f}: - (no word has a UPOS tag that "
              "the model knows)")
        return
    print(f"probabilities at temperature {temperature:.4f}: NLL {scores['nll']:.4f} | Brier "
          f"{scores['brier']:.4f} | ECE {scores['ece']:.4f}")


def print_report(results, vocab, temperature):
    """--report: per-tag scores; for UPOS, probability scores, errors, accuracy by frequency."""
    for name, result in results.items():
        print(f"{name:<8}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for tag, (precision, recall, f1, support) in per_tag_scores(result.gold,
                                                                    result.predicted).items():
            print(f"{tag:<8}{precision:10.4f}{recall:10.4f}{f1:10.4f}{support:10d}")
    upos = results["upos"]
    print_probability_scores(upos, temperature)
    print("most frequent errors (gold -> predicted, count, share of all errors):")
    for gold, predicted, count, share in top_confusions(upos.gold, upos.predicted):
        print(f"  {gold:>6} -> {predicted:<6}{count:7d}{share:8.1%}")
    if vocab.word_counts is None:
        print("accuracy by training frequency: not known (the checkpoint has no word counts)")
        return
    print("accuracy by how often the word occurs in training:")
    for band, accuracy, tokens in accuracy_by_frequency(upos.words, upos.gold, upos.predicted,
                                                        vocab.training_count):
        shown = f"{accuracy:8.4f}" if tokens else f"{'-':>8}"  # no word in the band: no accuracy
        print(f"  {band:<14}{shown} ({tokens} tokens)")
