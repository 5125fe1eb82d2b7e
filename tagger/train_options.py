"""The training command's options (python -m tagger.train --help): data, model, training."""
import argparse
from pathlib import Path

from tagger.cli import (AT_LEAST_ONE, BELOW_ONE, DIMENSION, LEARNING_RATE, SEED, UP_TO_A_MILLION,
                        UP_TO_ONE, RecipeParser, add_device_option, check_path, number_type,
                        same_file)

DEFAULT_TRAIN = Path(__file__).resolve().parent.parent / "train.csv"
DEFAULT_SENTENCE = "The dog ate the book"
DEFAULT_MAX_VECTORS = 100_000
VECTOR_COUNT = number_type(int, lambda n: 1 <= n <= 10**7, "from 1 to 10,000,000")


def parse_args(argv=None, description=None):
    """The command line; the defaults are main.py's Day-1 settings."""
    parser = RecipeParser(prog="python -m tagger.train", description=description,
                          epilog="Every number must be finite and in the range its help gives.")
    switch = dict(action=argparse.BooleanOptionalAction, default=False)  # --chars, and --no-chars
    data = parser.add_argument_group("data")
    data.add_argument("--train", default=str(DEFAULT_TRAIN),
                      help="training data, CSV (columns text,tag) or CoNLL-U (default: train.csv "
                           "next to main.py)")
    data.add_argument("--dev", help="development data (CSV or CoNLL-U), evaluated after every "
                                    "epoch; the best epoch's model is the one kept and saved")
    data.add_argument("--save", metavar="MODEL.pt",
                      help="write the trained model (the best on --dev, if given) here; an "
                           "existing file is replaced only if it is a model of this tagger")
    data.add_argument("--predict", default=DEFAULT_SENTENCE,
                      help="a sentence whose tag probabilities are printed before and after "
                           f"training, and its tags at the end (default: {DEFAULT_SENTENCE!r})")
    data.add_argument("--word-vectors", metavar="FILE",
                      help="pretrained word vectors, in GloVe's text format (a word, then its "
                           "numbers, one word a line) or word2vec's (the same after a first line "
                           "COUNT DIM); a word that comes twice keeps its first vector. They fill "
                           "a frozen table beside the trained one, and the model file keeps them")
    data.add_argument("--max-vectors", type=VECTOR_COUNT, metavar="N",
                      help="with --word-vectors: keep the vectors of the file's first N words "
                           "(the files list the frequent words first) and of every training "
                           f"word; from 1 to 10,000,000 (default: {DEFAULT_MAX_VECTORS:,})")

    model = parser.add_argument_group("model")
    model.add_argument("--loss", choices=["nll", "ce"], default="nll",
                       help="nll: the model outputs log_softmax, trained with NLLLoss; "
                            "ce: it outputs logits, trained with CrossEntropyLoss (default: nll)")
    model.add_argument("--embedding-dim", type=DIMENSION, default=6,
                       help="size of the word vectors, from 1 to 4096 (default: 6)")
    model.add_argument("--hidden-dim", type=DIMENSION, default=6,
                       help="size of the LSTM's hidden state, from 1 to 4096 (default: 6)")
    model.add_argument("--bidirectional", **switch, help="read each sentence in both directions")
    model.add_argument("--num-layers", type=DIMENSION, default=1,
                       help="number of stacked LSTM layers, from 1 to 4096 (default: 1)")
    model.add_argument("--dropout", type=BELOW_ONE, default=0.0,
                       help="dropout on the LSTM's inputs and outputs, and between its layers, in "
                            "[0, 1) (default: 0)")
    model.add_argument("--xpos", **switch,
                       help="also learn the treebank's own tags (CoNLL-U column 5, XPOS: Penn "
                            "Treebank tags in UD English) with a second output layer; the loss is "
                            "the sum of both")
    model.add_argument("--lowercase", **switch,
                       help="look words up in lower case (one vector for 'The' and 'the'); the "
                            "character LSTM still sees capitals")
    model.add_argument("--crf", **switch,
                       help="a CRF output layer (tagger/crf.py): scores whole tag sequences, "
                            "trained with their negative log-likelihood, decoded with Viterbi; "
                            "goes with --loss nll")
    model.add_argument("--chars", **switch, help="add character-level features: an LSTM over each "
                                                 "word's characters")
    model.add_argument("--char-embedding-dim", type=DIMENSION, default=32,
                       help="with --chars: size of the character vectors, from 1 to 4096 "
                            "(default: 32)")
    model.add_argument("--char-hidden-dim", type=DIMENSION, default=64,
                       help="with --chars: hidden size of the character LSTM, per direction, from "
                            "1 to 4096 (default: 64)")

    training = parser.add_argument_group("training")
    training.add_argument("--epochs", type=AT_LEAST_ONE, default=300,
                          help="passes over the training data, at least 1 (default: 300)")
    training.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd",
                          help="(default: sgd)")
    training.add_argument("--lr", type=LEARNING_RATE, default=0.1,
                          help="learning rate, above 0, at most 1000 (default: 0.1)")
    training.add_argument("--adam-beta2", type=BELOW_ONE,
                          help="with --optimizer adam: how slowly its average of squared "
                               "gradients forgets, in [0, 1); 0.99 adapts the step sizes faster "
                               "(default: 0.999)")
    training.add_argument("--ema", type=BELOW_ONE, metavar="DECAY",
                          help="evaluate and save an exponential moving average of the weights, "
                               "updated after every step with this decay, in [0, 1) (0.999 "
                               "averages about the last 1,000 steps) (default: off)")
    training.add_argument("--lr-decay", type=UP_TO_ONE, default=1.0,
                          help="multiply the learning rate by this after every epoch, in (0, 1] "
                               "(default: 1, constant)")
    training.add_argument("--batch-size", type=AT_LEAST_ONE, default=1,
                          help="sentences per training step, at least 1 (default: 1)")
    training.add_argument("--clip-grad", type=UP_TO_A_MILLION, default=0.0,
                          help="clip the gradient norm to this value, from 0 to 1e6; 0 turns "
                               "clipping off (default: 0)")
    training.add_argument("--label-smoothing", type=BELOW_ONE, metavar="EPS",
                          help="with --loss ce: train towards 1 - EPS + EPS/C on the gold tag and "
                               "EPS/C on each of the other tags, C tags in all; EPS in [0, 1) "
                               "(default: 0)")
    training.add_argument("--unk-alpha", type=UP_TO_A_MILLION, default=0.0,
                          help="replace each training word with <unk> with probability "
                               "a/(a+count), so <unk>'s vector is learned; a from 0 to 1e6, 0 "
                               "turns it off (default: 0)")
    training.add_argument("--log-every", type=AT_LEAST_ONE, default=50,
                          help="print the loss every N epochs, at least 1; with --dev every epoch "
                               "is printed (default: 50)")
    training.add_argument("--seed", type=SEED, default=1,
                          help="seed for random, numpy and torch, in [0, 2**32) (default: 1)")
    add_device_option(training)
    training.add_argument("--eval-batch-size", type=AT_LEAST_ONE, default=512,
                          help="sentences per batch when evaluating --dev, at least 1 (default: "
                               "512)")
    args = parser.parse_args(argv)
    if not args.predict.split():
        parser.error("--predict needs at least one word")
    for option in ("train", "dev", "save", "word_vectors"):
        check_path(parser, f"--{option.replace('_', '-')}", getattr(args, option))
    inputs = [("--train", args.train), ("--dev", args.dev), ("--word-vectors", args.word_vectors)
              ] + [(f"@{path}", path) for path in parser.recipes]
    for option, path in inputs:
        if args.save and path and same_file(args.save, path):
            parser.error(f"--save {args.save}: is the {option} file; saving there would replace it")
    if args.label_smoothing is not None and args.loss != "ce":
        parser.error("--label-smoothing needs --loss ce: NLLLoss takes log-probabilities and has "
                     "no label_smoothing option (main_example.py section 6)")
    if args.max_vectors is not None and not args.word_vectors:
        parser.error("--max-vectors goes with --word-vectors")
    if args.adam_beta2 is not None and args.optimizer != "adam":
        parser.error("--adam-beta2 goes with --optimizer adam")
    if args.crf and args.loss != "nll":
        parser.error("--crf has a loss of its own, the negative log-likelihood of the whole tag "
                     "sequence: use --loss nll (the default)")
    return args
