"""What python -m tagger.tag --eval prints (with --report, --fit-temperature)."""
from tagger.checkpoint import save_temperature
from tagger.data import read_tag_sets
from tagger.errors import InputError
from tagger.evaluation import (N_BINS, accuracy_by_frequency, evaluate, fit_temperature,
                               per_tag_scores, probability_scores, rescale, top_confusions)

PROBABILITY_SCORES = (f"--report scores the UPOS probabilities with NLL, Brier and ECE ({N_BINS} "
                      "bins), on words whose gold tag occurs in training (docs/probabilities.md)")


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
        if not bool((upos.gold_ix >= 0).any()):  # the NLL, and so T, would be nan
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
