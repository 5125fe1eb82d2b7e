"""Tag text or CoNLL-U with a model that python -m tagger.train saved; evaluate, calibrate it.

    python -m tagger.tag ewt.pt "I saw her duck ."     # I/PRON/PRP saw/VERB/VBD ...
    python -m tagger.tag ewt.pt - < text.txt            # a sentence a line, a chunk at a time
    python -m tagger.tag ewt.pt - --conllu < text.txt > tagged.conllu
    python -m tagger.tag ewt.pt --tag-conllu FILE.conllu > tagged.conllu
    python -m tagger.tag ewt.pt --eval en_ewt-ud-dev.conllu --report
    python -m tagger.tag ewt.pt --eval en_ewt-ud-dev.conllu --fit-temperature   # calibrate
"""
import argparse
import os
import sys

from tqdm import tqdm

from tagger.checkpoint import load_checkpoint
from tagger.cli import (AT_LEAST_ONE, TEMPERATURE, add_device_option, check_device,
                        check_output_is_no_input, check_path, run_cleanly)
from tagger.conllu import TAG_COLUMNS, conllu_sentence, conllu_sentences
from tagger.errors import InputError
from tagger.lines import LineReader
from tagger.onnx_tagger import load_onnx_tagger
from tagger.predict import predict
from tagger.report import PROBABILITY_SCORES, print_evaluation
from tagger.tokenizer import split_on_whitespace, tokenize


def parse_args(argv=None):
    """The command line: a saved model and one job (tag text, tag a CoNLL-U file, or evaluate)."""
    parser = argparse.ArgumentParser(prog="python -m tagger.tag", description=__doc__,
                                     epilog=PROBABILITY_SCORES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", metavar="MODEL.pt",
                        help="a model saved by python -m tagger.train --save, or one exported by "
                             "python -m tagger.export (MODEL.onnx: run by ONNX Runtime, on the "
                             "CPU)")
    parser.add_argument("text", nargs="?",
                        help="text of one sentence to tag; '-' tags each line of standard input "
                             "as one sentence, streamed: each chunk is written as soon as it is "
                             "tagged. The text is split into tokens and words as UD English EWT "
                             "does (can't -> ca n't); prints word/UPOS for each word "
                             "(word/UPOS/XPOS for a model trained with --xpos), one line per "
                             "input line")
    parser.add_argument("--pretokenized", action="store_true",
                        help="with TEXT: the words are already separated by spaces; split on "
                             "spaces only")
    parser.add_argument("--conllu", action="store_true",
                        help="with TEXT: write CoNLL-U (ID, FORM, UPOS, XPOS for a model trained "
                             "with --xpos, SpaceAfter=No; '_' elsewhere), one sentence per input "
                             "line; empty input lines produce no sentence")
    parser.add_argument("--tag-conllu", metavar="FILE",
                        help="tag the words of a CoNLL-U file ('-': standard input), keeping its "
                             "tokenization, and write it to standard output with only the UPOS "
                             "column replaced (and the XPOS column, for a model trained with "
                             "--xpos)")
    parser.add_argument("--eval", metavar="FILE",
                        help="print the tagging accuracy on FILE (.csv or .conllu): UPOS, XPOS "
                             "for a model trained with --xpos and a .conllu file, and UPOS on "
                             "words never seen in training")
    parser.add_argument("--report", action="store_true",
                        help="with --eval: also per-tag precision, recall and F1; how good the "
                             "UPOS probabilities are (see below); the 10 most frequent errors "
                             "(gold tag -> predicted tag, count, share of all errors); and "
                             "accuracy by how often the word occurs in training")
    parser.add_argument("--fit-temperature", action="store_true",
                        help="with --eval: find the temperature T that minimises the mean NLL of "
                             "the UPOS probabilities on the --eval file (your dev data) and store "
                             "it in MODEL.pt; the XPOS probabilities stay at temperature 1")
    parser.add_argument("--temperature", type=TEMPERATURE, metavar="T",
                        help="report the UPOS probabilities at temperature T, log_softmax(log p / "
                             "T) of each word's probabilities p (for a softmax model: "
                             "softmax(logits / T)), instead of at the checkpoint's temperature (1 "
                             "unless --fit-temperature stored one); tags do not change; T from "
                             "0.01 to 100")
    parser.add_argument("--batch-size", type=AT_LEAST_ONE, default=512,
                        help="sentences per batch, at least 1 (default: 512)")
    add_device_option(parser)
    args = parser.parse_intermixed_args(argv)  # TEXT may come after the options too
    jobs = [args.text is not None, args.tag_conllu is not None, args.eval is not None]
    if sum(jobs) != 1:
        parser.error("give one of TEXT (or '-'), --tag-conllu FILE or --eval FILE")
    if (args.conllu or args.pretokenized) and args.text is None:
        parser.error("--conllu and --pretokenized go with TEXT")
    if args.text is not None and args.text != "-" and not args.text.split():
        parser.error("TEXT needs at least one word (or '-' to read standard input)")
    if (args.report or args.fit_temperature) and args.eval is None:
        parser.error("--report and --fit-temperature go with --eval")
    for option, path in (("MODEL.pt", args.model), ("--tag-conllu", args.tag_conllu),
                         ("--eval", args.eval)):
        check_path(parser, option, path)
    if args.model.endswith(".onnx") and args.fit_temperature:
        parser.error("--fit-temperature needs the MODEL.pt, where it stores the temperature; "
                     "export it again after fitting")
    if args.model.endswith(".onnx") and args.device != "cpu":
        parser.error(f"--device {args.device}: an exported MODEL.onnx runs on the CPU")
    if args.temperature is not None and args.fit_temperature:
        parser.error("--temperature does not go with --fit-temperature, which fits its own")
    return args


def words_of(tokens):
    """The words of a list of tokens, in order (a contraction's token gives two)."""
    return [word for token in tokens for word in token.words]


# words tagged at a time when streaming (docs/tagging.md: the speed of other sizes)
CHUNK_WORDS = 200_000
# Words in one sentence at the most: the LSTM reads a sentence whole, so its memory follows the
# longest one. No sentence of EWT comes near it; a longer "sentence" is text that was not split into
# lines.
MAX_SENTENCE_WORDS = 10_000


def tokenized_lines(numbered_lines, tokenize_line, source):
    """(line, tokens) for each (line number, line); too many words is an InputError."""
    for line_number, line in numbered_lines:
        tokens = tokenize_line(line)
        if sum(len(token.words) for token in tokens) > MAX_SENTENCE_WORDS:
            raise InputError(f"{source} line {line_number}: more than {MAX_SENTENCE_WORDS:,} "
                             "words in one line, which is tagged as one sentence: put each "
                             "sentence on a line of its own")
        yield line, tokens


def tag_lines(model, tokenized, vocab, batch_size=512, device="cpu"):
    """Tag the words of tokenized lines [(line, tokens), ...]: one (tokens, {tag set: tags}) per
    line.

    A line with no words gives ([], {tag set: []}).
    """
    tokens_per_line = [tokens for _, tokens in tokenized]
    sentences = [words_of(tokens) for tokens in tokens_per_line]
    predictions = predict(model, [words for words in sentences if words], vocab, batch_size, device,
                          probabilities=False)  # tags only
    tagged = {name: iter(prediction.tags) for name, prediction in predictions.items()}
    return [(tokens, {name: next(tags) if words else [] for name, tags in tagged.items()})
            for tokens, words in zip(tokens_per_line, sentences)]


def chunks(items, n_words, more_ready, chunk_words):
    """Group a stream of items into lists of about chunk_words words, in order.

    n_words(item) counts an item's words. A list also ends when more_ready() says the input
    has nothing more for now (a person typing, a producer that pauses), so that what has
    arrived is tagged and written at once instead of waiting for the rest.
    """
    chunk, words = [], 0
    for item in items:
        chunk.append(item)
        words += n_words(item)
        if words >= chunk_words or not more_ready():
            yield chunk
            chunk, words = [], 0
    if chunk:
        yield chunk


def progress_bar(unit):
    """A tqdm bar on stderr: shown on a terminal, but not to a person typing the input."""
    return tqdm(unit=f" {unit}", file=sys.stderr,
                # None: if a terminal
                disable=True if sys.stdin is None or sys.stdin.isatty() else None)


def text_lines(reader):
    """The lines of a LineReader as (line number, text); a line that is not UTF-8 is tagged with
    U+FFFD for each invalid byte sequence, and a warning naming it goes to stderr."""
    for line_number, raw in reader:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            print(f"warning: {reader.name} line {line_number}: not valid UTF-8 (byte "
                  f"0x{raw[error.start]:02x}); tagged with U+FFFD in place of each invalid "
                  "sequence", file=sys.stderr)
            line = raw.decode("utf-8", errors="replace")
        yield line_number, line.rstrip("\r\n")


def tag_text(model, vocab, args, device, chunk_words=None, stdin=None, stdout=None):
    """Tag TEXT, or every line of stdin with '-', chunk by chunk; print word/UPOS(/XPOS) or CoNLL-U.

    chunk_words: words tagged at a time (None: CHUNK_WORDS); stdin: a binary stream read in place of
    standard input; stdout: a text stream written in place of standard output.
    """
    chunk_words = chunk_words or CHUNK_WORDS
    stdout = stdout or sys.stdout
    tokenize_line = split_on_whitespace if args.pretokenized else tokenize
    if args.text != "-":
        tokenized = list(tokenized_lines([(1, args.text)], tokenize_line, "TEXT"))
        write_tagged_lines([args.text], tag_lines(model, tokenized, vocab, args.batch_size, device),
                           args.conllu,
                           stdout)
        return
    reader = LineReader("-", stream=stdin, max_line_words=MAX_SENTENCE_WORDS)
    lines = tokenized_lines(text_lines(reader), tokenize_line, reader.name)
    with progress_bar("lines") as progress:
        # A chunk counts the words the tokenizer makes (a-b-c is five), not the spaces.
        for chunk in chunks(lines, lambda item: sum(len(token.words) for token in item[1]),
                            reader.more_ready,
                            chunk_words):
            write_tagged_lines([line for line, _ in chunk],
                               tag_lines(model, chunk, vocab, args.batch_size, device),
                               args.conllu, stdout)
            progress.update(len(chunk))


def write_tagged_lines(lines, tagged, conllu, stdout):
    """Write tag_lines' output for `lines` to the text stream `stdout`, as word/UPOS(/XPOS) lines or
    CoNLL-U, and flush it."""
    for line, (tokens, tags) in zip(lines, tagged):
        if conllu:
            if tokens:  # an empty line is no sentence
                stdout.write(conllu_sentence(line, tokens, tags))
        else:
            # An empty input line gives an empty output line, so outputs line up with inputs.
            stdout.write(" ".join("/".join(word_tags) for word_tags in zip(words_of(tokens),
                                                                           *tags.values())) + "\n")
    stdout.flush()  # a reader at the other end of a pipe gets each chunk as soon as it is tagged


def tag_conllu_file(model, path, vocab, args, device):
    """Write the CoNLL-U file at `path` ('-': stdin) to stdout with its tag columns replaced by
    predicted tags.

    The file is read once, chunk by chunk: each chunk is tagged and written before the next is read.
    """
    columns = {name: TAG_COLUMNS[name] for name in vocab.tag_sets}
    reader = LineReader(path)
    # one-line errors
    sentences = conllu_sentences(reader, tags_required=False, max_words=MAX_SENTENCE_WORDS)
    with progress_bar("sentences") as progress:
        for chunk in chunks(sentences, lambda sentence: len(sentence.words), reader.more_ready,
                            CHUNK_WORDS):
            predictions = predict(model, [sentence.words for sentence in chunk if sentence.words],
                                  vocab,
                                  args.batch_size, device, probabilities=False)
            tags = {name: iter(prediction.tags) for name, prediction in predictions.items()}
            # (the last "sentence" may be the file's final blank lines, with no words)
            for sentence in chunk:
                new_tags = {columns[name]: next(name_tags) if sentence.words else []
                            for name, name_tags in tags.items()}
                sys.stdout.write(sentence.with_tags(new_tags))
            sys.stdout.flush()
            progress.update(len(chunk))


# oneDNN, which runs the LSTM on the CPU, keeps a compiled kernel for every batch shape it meets, up
# to a large default limit: streaming a large corpus meets many shapes, and memory would grow until
# that cache is full. A small cache keeps it flat.
ONEDNN_KERNEL_CACHE = 32


def main(argv=None):
    """Load the model and do the one job asked for; bad input ends in one line, exit 2."""
    args = parse_args(argv)
    # Read by oneDNN when it first runs, not when torch is imported; a value the user set wins.
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(ONEDNN_KERNEL_CACHE))

    def work():
        check_output_is_no_input([("MODEL.pt", args.model), ("--tag-conllu", args.tag_conllu),
                                  ("--eval", args.eval),
                                  ("TEXT", "-" if args.text == "-" else None)])
        device = check_device(args.device)
        if args.model.endswith(".onnx"):
            model, vocab = load_onnx_tagger(args.model)
        else:
            model, vocab = load_checkpoint(args.model, device)
        if args.temperature is not None:
            model.temperature = args.temperature
        if args.eval is not None:
            print_evaluation(model, vocab, args, device)
        elif args.tag_conllu is not None:
            tag_conllu_file(model, args.tag_conllu, vocab, args, device)
        else:
            tag_text(model, vocab, args, device)

    run_cleanly(work, lambda: f"{args.model} is unchanged; the output so far holds every line "
                              "tagged before the stop")


if __name__ == "__main__":
    main()
