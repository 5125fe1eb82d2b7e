"""The recipe with and without a CRF output layer: accuracy over seeds, and what the CRF costs."""
import dataclasses
import functools
import random
import time

from benchmarks.harness import best_of
from benchmarks.study import study_command
from benchmarks.training import recipe_args, train_and_measure

# Trained rows: (description, seed, options over the recipe).
TRAINED = {"bilstm-chars": ("the recipe", 1, ["--seed", "1"]),
           "bilstm-chars-seed-2": ("the recipe", 2, ["--seed", "2"]),
           "crf": ("the recipe with a CRF (`--crf`)", 1, ["--crf", "--seed", "1"]),
           "crf-seed-2": ("the recipe with a CRF (`--crf`)", 2, ["--crf", "--seed", "2"])}
# crf-forward: the batched forward algorithm against a loop over one sentence and its tags.
# crf-cost: a trained recipe model (--model) with its own output layers and with CRFs.
ROWS = (*TRAINED, "crf-forward", "crf-cost")
MODEL_ROWS = ("crf-cost",)
TRAINS = True


def measure(row, args):
    """A trained row's figures, the forward algorithm's speed, or the CRF's cost."""
    if row == "crf-forward":
        return run_crf_forward_row(args.dev)
    if row == "crf-cost":
        return run_crf_cost_row(args.train, args.dev, args.model)
    return train_and_measure(TRAINED[row][2], args.train, args.dev, args.epochs)


def run_crf_forward_row(dev_path, n_sentences=512, n_tags=17):
    """log Z of the first 512 dev sentences' lengths (random scores, 17 tags): the CRF's batched
    forward algorithm against a loop over one sentence and, inside, over the next tag
    (benchmarks/crf_example.py)."""
    from tagger.data import read_tag_sets
    from benchmarks.crf_example import forward_algorithm_cost
    lengths = [len(words) for words in read_tag_sets(dev_path)[0][:n_sentences]]
    return dict(forward_algorithm_cost(lengths, n_tags), sentences=len(lengths), tags=n_tags)


def run_crf_cost_row(train_path, dev_path, model_path, repeats=3):
    """What a CRF output layer costs, on the recipe's trained model: the same model with its
    per-word softmax layers and with a CRF in their place (random transition scores: the cost does
    not depend on them). Seconds of one training epoch (the recipe's batches and optimizer, best of
    two) and of the dev evaluation after it; and words/s tagging dev as tagger.tag does (tags only)
    and as --eval does (with probabilities), best of `repeats`."""
    import torch
    from tagger import train as trainer
    from tagger.checkpoint import load_checkpoint
    from tagger.data import read_tag_sets
    from tagger.evaluation import evaluate
    from tagger.model import RealDataTagger
    from tagger.tagging import predict
    from tagger.vocabulary import make_batches, word_count_tensor
    trained, vocab = load_checkpoint(model_path)
    args = recipe_args([], train_path)
    sentences, gold = read_tag_sets(train_path, vocab.tag_sets)
    dev_sentences, dev_gold = read_tag_sets(dev_path, vocab.tag_sets)
    n_dev_words = sum(map(len, dev_sentences))
    # The same model built with CRF output layers (--crf), the trained weights loaded into it, and
    # random transition scores in its CRFs.
    with_crf = RealDataTagger(dataclasses.replace(trained.config, crf=True))
    missing = with_crf.load_state_dict(trained.state_dict(), strict=False).missing_keys
    assert missing and all(key.split(".")[0] in ("tag_output", "xpos_output") for key in missing)
    torch.manual_seed(0)
    with torch.no_grad():
        for _, crf in with_crf.tag_sets:
            crf.transitions.normal_()
    models = {"softmax": trained, "crf": with_crf}
    batches = make_batches(sentences, vocab, gold, args.batch_size)
    optimizers = {kind: trainer.make_optimizer(args, model) for kind, model in models.items()}
    result = {kind: {"epoch_seconds": float("inf")} for kind in models}
    # Each twice, taking turns, best of the two: the first epoch of a process also pays for warming
    # up.
    for kind in ("softmax", "crf", "softmax", "crf"):
        random.seed(0)
        start = time.perf_counter()
        trainer.train_epoch(models[kind], batches, optimizers[kind], args,
                            word_count_tensor(vocab))
        result[kind]["epoch_seconds"] = min(result[kind]["epoch_seconds"],
                                            time.perf_counter() - start)
    for kind, model in models.items():
        model.eval()
        evaluation_seconds, _ = best_of(repeats,
                                        functools.partial(evaluate, model, dev_sentences, dev_gold,
                                                          vocab))
        tags_seconds, _ = best_of(repeats,
                                  functools.partial(predict, model, dev_sentences, vocab,
                                                    probabilities=False))
        probabilities_seconds, _ = best_of(repeats,
                                           functools.partial(predict, model, dev_sentences, vocab))
        result[kind].update(evaluation_seconds=evaluation_seconds,
                            tags_words_per_s=n_dev_words / tags_seconds,
                            probabilities_words_per_s=n_dev_words / probabilities_seconds)
    return result


def print_tables(rows):
    """The recipe with and without a CRF, two seeds each, and the forward algorithm's speed."""
    present = [name for name in TRAINED if "unseen_bigrams" in rows.get(name, {})]
    if any(name.startswith("crf") for name in present):
        print()
        print("The recipe with and without a CRF output layer, on dev (NLL and ECE of the UPOS "
              "probabilities: for the CRF, its marginals, so ECE scores each word's most probable "
              "tag, which need not be Viterbi's; unseen bigrams: predicted tag bigrams never seen "
              "in the training data, UPOS / XPOS):")
        print()
        print("| model | seed | dev UPOS | dev XPOS | NLL | ECE | training time | training "
              "tokens/s | tagging tokens/s | unseen bigrams |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name in present:
            r, (description, seed, _) = rows[name], TRAINED[name]
            p = r["probabilities"]["as_trained"]
            print(f"| {description} | {seed} | {r['accuracy']:.2%} | {r['xpos_accuracy']:.2%} | "
                  f"{p['nll']:.4f} | {p['ece']:.4f} | {r['train_seconds']:.0f} s | "
                  f"{r['train_tokens_per_s']:,.0f} | {r['tag_tokens_per_s']:,.0f} | "
                  f"{r['unseen_bigrams']['upos']} / {r['unseen_bigrams']['xpos']} |")
        gold = rows[present[0]]["unseen_gold_bigrams"]
        print()
        print(f"Dev's own gold tags hold {gold['upos']} / {gold['xpos']} bigrams never seen in "
              "training.")
        if len(present) == len(TRAINED):
            print(crf_summary(rows))
    if "crf-cost" in rows:
        softmax, crf = rows["crf-cost"]["softmax"], rows["crf-cost"]["crf"]
        per_epoch = {kind: r["epoch_seconds"] + r["evaluation_seconds"]
                     for kind, r in (("softmax", softmax), ("crf", crf))}
        print()
        print("The recipe's trained model, its output layers as trained and replaced by CRFs: a "
              f"training epoch and the dev evaluation after it {per_epoch['softmax']:.1f} s and "
              f"{per_epoch['crf']:.1f} s (the CRF adds "
              f"{per_epoch['crf'] / per_epoch['softmax'] - 1:.0%}); tagging dev, tags only "
              f"(tagger.tag) {softmax['tags_words_per_s']:,.0f} and "
              f"{crf['tags_words_per_s']:,.0f} words/s "
              f"({crf['tags_words_per_s'] / softmax['tags_words_per_s']:.0%}), with probabilities "
              f"(--eval) {softmax['probabilities_words_per_s']:,.0f} and "
              f"{crf['probabilities_words_per_s']:,.0f} words/s "
              f"({crf['probabilities_words_per_s'] / softmax['probabilities_words_per_s']:.0%}).")
    if "crf-forward" in rows:
        f = rows["crf-forward"]
        print()
        print(f"log Z of the first {f['sentences']} dev sentences ({f['tags']} tags, random "
              f"scores): batched forward algorithm {f['batched']:.4f} s, one sentence and one tag "
              f"at a time {f['loop']:.2f} s ({f['loop'] / f['batched']:.0f}x), largest difference "
              f"{f['difference']:.1e}")


def mean_of(rows, names, key):
    """The mean of one figure over some rows (the seeds of one model)."""
    return sum(rows[name][key] for name in names) / len(names)


def crf_summary(rows):
    """Mean accuracies of two seeds, the recipe's seed-to-seed spread, the CRF's cost in speed."""
    softmax, crf = ("bilstm-chars", "bilstm-chars-seed-2"), ("crf", "crf-seed-2")
    spread = {key: abs(rows[softmax[0]][key] - rows[softmax[1]][key])
              for key in ("accuracy", "xpos_accuracy")}
    speeds = {key: mean_of(rows, crf, key) / mean_of(rows, softmax, key)
              for key in ("train_tokens_per_s", "tag_tokens_per_s")}
    return ("Mean of the two seeds, UPOS / XPOS: the recipe "
            f"{mean_of(rows, softmax, 'accuracy'):.2%} / "
            f"{mean_of(rows, softmax, 'xpos_accuracy'):.2%}, with a CRF "
            f"{mean_of(rows, crf, 'accuracy'):.2%} / {mean_of(rows, crf, 'xpos_accuracy'):.2%}; "
            f"the recipe's two seeds differ by {100 * spread['accuracy']:.2f} / "
            f"{100 * spread['xpos_accuracy']:.2f} points. With a CRF, training runs at "
            f"{speeds['train_tokens_per_s']:.0%} of the recipe's tokens/s and tagging at "
            f"{speeds['tag_tokens_per_s']:.0%}.")


if __name__ == "__main__":
    study_command(__spec__.name)
