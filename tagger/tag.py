"""Tag text or CoNLL-U with a model that python -m tagger.train saved; evaluate, calibrate it.

    python -m tagger.tag ewt.pt "I saw her duck ."     # I/PRON/PRP saw/VERB/VBD ...
    python -m tagger.tag ewt.pt - < text.txt            # a sentence a line, a chunk at a time
    python -m tagger.tag ewt.pt - --conllu < text.txt > tagged.conllu
    python -m tagger.tag ewt.pt --tag-conllu FILE.conllu > tagged.conllu
    python -m tagger.tag ewt.pt --eval en_ewt-ud-dev.conllu --report
    python -m tagger.tag ewt.pt --eval en_ewt-ud-dev.conllu --fit-temperature   # calibrate
"""
import argparse
import sys

from tqdm import tqdm

from tagger.checkpoint import load_model
from tagger.cli import (AT_LEAST_ONE, TEMPERATURE, add_device_option, check_device,
                        check_stdout_is_not, limit_kernel_cache, run)
from tagger.lines import LineReader
from tagger.report import PROBABILITY_SCORES, print_evaluation
from tagger.tagging import tag_conllu, tag_text, text_lines


def parse_args(argv=None):
    """The command line: a saved model and one job (tag text, tag a CoNLL-U file, or evaluate)."""
    parser = argparse.ArgumentParser(prog="python -m tagger.tag", description=__doc__,
                                     epilog=PROBABILITY_SCORES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("model", metavar="MODEL", help="a MODEL.pt of tagger.train, a MODEL.onnx of tagger.export")
    add("text", nargs="?", help="one sentence to tag, split into tokens as EWT splits them; '-': "
        "each line of standard input; prints word/UPOS(/XPOS), a line per input line")
    add("--pretokenized", action="store_true", help="with TEXT: the words are split by spaces")
    add("--conllu", action="store_true", help="with TEXT: write CoNLL-U")
    add("--tag-conllu", metavar="FILE", help="retag the words of a CoNLL-U file ('-': stdin)")
    add("--eval", metavar="FILE", help="accuracy on FILE (.csv or .conllu), and on unseen words")
    add("--report", action="store_true", help="with --eval: per-tag and probability scores "
        "(below), the most frequent errors, accuracy by training frequency")
    add("--fit-temperature", action="store_true",
        help="with --eval: fit the temperature of the least UPOS NLL on FILE, store it in MODEL.pt")
    add("--temperature", type=TEMPERATURE, metavar="T",
        help="with --report: UPOS probabilities at temperature T (0.01 to 100)")
    add("--batch-size", type=AT_LEAST_ONE, default=512, help="sentences a batch (default: 512)")
    add_device_option(parser)
    args = parser.parse_intermixed_args(argv)  # TEXT may come after the options too
    if [args.text, args.tag_conllu, args.eval].count(None) != 2:
        parser.error("give one of TEXT (or '-'), --tag-conllu FILE or --eval FILE")
    if args.text is not None and args.text != "-" and not args.text.split():
        parser.error("TEXT needs at least one word (or '-' to read standard input)")
    if (args.conllu or args.pretokenized) and args.text is None:
        parser.error("--conllu and --pretokenized go with TEXT")
    if (args.report or args.fit_temperature) and args.eval is None:
        parser.error("--report and --fit-temperature go with --eval")
    if args.temperature is not None and (args.fit_temperature or not args.report):
        parser.error("--temperature goes with --report (not with --fit-temperature, which "
                     "fits its own)")
    if args.fit_temperature and args.model.lower().endswith(".onnx"):
        parser.error("--fit-temperature stores the temperature in MODEL.pt: fit, then export")
    return args


def main(argv=None):
    """Load the model and do the one job asked for; bad input ends in one line, exit 2."""
    args = parse_args(argv)
    limit_kernel_cache()

    def work():
        check_stdout_is_not([args.model, args.tag_conllu, args.eval,
                             "-" if args.text == "-" else None])
        model, vocab = load_model(args.model, check_device(args.device))
        if args.temperature is not None:
            model.temperature = args.temperature
        if args.eval is not None:
            print_evaluation(model, vocab, args)
            return
        if args.text is not None and args.text != "-":
            for _, text in tag_text(model, vocab, [(1, args.text, 0)], "TEXT", args.conllu,
                                    args.pretokenized, args.batch_size, args.device):
                sys.stdout.write(text)
            return
        path = args.tag_conllu or "-"
        reader = LineReader(path)
        warnings = []
        if args.tag_conllu:
            tagged = tag_conllu(model, vocab, reader, args.batch_size, args.device)
        else:
            tagged = tag_text(model, vocab, text_lines(reader, warnings), reader.name,
                              args.conllu, args.pretokenized, args.batch_size, args.device,
                              more_ready=reader.more_ready)
        typing = path == "-" and sys.stdin is not None and sys.stdin.isatty()  # then no bar
        with tqdm(unit=" sentences" if args.tag_conllu else " lines", file=sys.stderr,
                  disable=True if typing else None) as bar:
            for n_lines, text in tagged:
                for warning in warnings:
                    print(f"warning: {warning}", file=sys.stderr)
                warnings.clear()
                sys.stdout.write(text)
                sys.stdout.flush()  # a pipe's reader gets each chunk at once
                bar.update(n_lines)

    run(work, lambda: f"{args.model} is unchanged; the output holds every line tagged before")


if __name__ == "__main__":
    main()
