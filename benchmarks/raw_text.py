"""The recipe's model from raw text, scored by the official UD scorer, against NLTK's tokenizer."""
import functools
import re
import tempfile
from pathlib import Path

from benchmarks.harness import best_of
from benchmarks.study import study_command

ROWS = ("raw-text",)
MODEL_ROWS = ("raw-text",)  # a trained model (--model) on dev's raw text, scored by udeval


def measure(row, args):
    """The model on dev's raw text, scored by udeval."""
    return run_raw_text_row(args.dev, args.model)


def udeval_f1(gold_path, system_path):
    """F1 (in %) of tokens, words and UPOS tags from udeval, the official UD scorer (udtools)."""
    from udtools.argparser import parse_args_scorer
    from udtools.udeval import evaluate_wrapper
    # The tagger predicts no tree: the files we score have HEAD 0 on every word, so many roots.
    scores = evaluate_wrapper(parse_args_scorer(["--multiple-roots-okay", str(gold_path),
                                                 str(system_path)]))
    return {name: 100 * scores[name].f1 for name in ("Tokens", "Words", "UPOS")}


def nltk_tokens(text):
    """NLTK's TreebankWordTokenizer as Tokens of one word each, located in the original text."""
    from nltk.tokenize import TreebankWordTokenizer
    from tagger.tokenizer import Token
    spans = list(TreebankWordTokenizer().span_tokenize(text))
    return [Token(text[start:end], [text[start:end]],
                  space_after=end == len(text) or text[end].isspace())
            for start, end in spans]


def run_raw_text_row(dev_path, model_path):
    """Score the recipe's model with udeval: on the treebank's tokens, and from raw text.

    From raw text, each dev sentence's `# text` line is tokenized (by tagger/tokenizer.py or by
    NLTK), tagged and written as CoNLL-U; the speed counts reading that text from a file,
    tokenizing, tagging and writing CoNLL-U, best of 3.
    """
    from tagger.checkpoint import load_checkpoint
    from tagger.data import read_tag_sets, read_text
    from tagger.tokenizer import tokenize
    from tagger.evaluation import evaluate
    model, vocab = load_checkpoint(model_path)
    dev_text = read_text(dev_path)
    result = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        texts = re.findall(r"^# text = (.*)$", dev_text, flags=re.M)
        (folder / "dev.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
        # Timed first, before the scoring below fills this process's memory.
        for name, tokenize_line in (("ours", tokenize), ("nltk", nltk_tokens)):
            seconds, n_words = best_of(3,
                                       functools.partial(tag_raw_text_file, model, vocab,
                                                         tokenize_line,
                                                            folder / "dev.txt",
                                                         folder / f"{name}.conllu"))
            result[name] = {"words_per_s": n_words / seconds}
        for name in ("ours", "nltk"):
            result[name].update(udeval_f1(dev_path, folder / f"{name}.conllu"))
        evaluation = evaluate(model, *read_tag_sets(dev_path), vocab)["upos"]
        result["accuracy"] = evaluation.accuracy * 100
        # evaluation.predicted holds every predicted tag in file order, as replace_tags takes them.
        gold_tokens = replace_tags(dev_text, {"upos": evaluation.predicted})
        (folder / "gold-tokens.conllu").write_text(gold_tokens, encoding="utf-8")
        result["gold_tokens_upos"] = udeval_f1(dev_path, folder / "gold-tokens.conllu")["UPOS"]
    return result


def replace_tags(conllu_text, tags):
    """conllu_text with the tag columns of each word line replaced by predicted tags.

    tags: {tag set name ("upos", "xpos"): the tags of every word, in file order}. Every other
    byte stays as it was (ConlluSentence.with_tags).
    """
    import io
    from tagger.conllu import TAG_COLUMNS, conllu_sentences
    from tagger.lines import LineReader
    reader = LineReader("CoNLL-U text", io.BytesIO(conllu_text.encode("utf-8")))
    tags = {TAG_COLUMNS[name]: iter(column_tags) for name, column_tags in tags.items()}
    return "".join(sentence.with_tags({column: [next(column_tags) for _ in sentence.words]
                                       for column, column_tags in tags.items()})
                   for sentence in conllu_sentences(reader, tags_required=False))


def tag_raw_text_file(model, vocab, tokenize_line, text_path, conllu_path):
    """Tokenize and tag each line of a text file, write CoNLL-U (HEAD 0); return the word count."""
    from tagger.conllu import conllu_sentence
    from tagger.lines import LineReader
    from tagger.tagging import tag_sentences, text_lines, words_of
    reader = LineReader(text_path)  # read as tagger.tag reads: only "\n" ends a line
    tokenized = [(line, tokenize_line(line)) for _, line, _ in text_lines(reader, [])]
    tagged = tag_sentences(model, vocab, [words_of(tokens) for _, tokens in tokenized])
    sentences = (conllu_sentence(line, tokens, tags, head="0")
                 for (line, tokens), tags in zip(tokenized, tagged) if tokens)
    conllu_path.write_text("".join(sentences), encoding="utf-8")
    return sum(len(words_of(tokens)) for _, tokens in tokenized)


def print_tables(rows):
    """The official scorer's figures from raw text, ours and NLTK's tokenizer."""
    if "raw-text" not in rows:
        return
    raw = rows["raw-text"]
    print()
    print("The recipe's model on dev, scored by udeval (the official UD scorer); on the "
          f"treebank's own tokens its UPOS F1 is {raw['gold_tokens_upos']:.2f}, our accuracy "
          f"{raw['accuracy']:.2f}.")
    print("From raw text (each sentence's `# text` line), read, tokenized, tagged and written as "
          "CoNLL-U:")
    print()
    print("| tokenizer | Tokens F1 | Words F1 | UPOS F1 | words/s |")
    print("| --- | --- | --- | --- | --- |")
    for name, description in (("ours", "tagger/tokenizer.py"),
                              ("nltk", "NLTK TreebankWordTokenizer")):
        r = raw[name]
        print(f"| {description} | {r['Tokens']:.2f} | {r['Words']:.2f} | {r['UPOS']:.2f} | "
              f"{r['words_per_s']:,.0f} |")


if __name__ == "__main__":
    study_command(__spec__.name)
