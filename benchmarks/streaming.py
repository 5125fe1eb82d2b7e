"""python -m tagger.tag on inputs of growing size: memory, speed, chunk sizes, long token, pause."""
import functools
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.harness import best_of, measured_run, repeated_to_size
from benchmarks.study import study_command
from benchmarks.training import ROOT


STREAMING_MB = (5, 100)  # sizes of the generated inputs, raw text and CoNLL-U


# words per chunk, timed on the smallest input
CHUNK_SIZES = (20_000, 50_000, 100_000, 200_000, 500_000)


LONG_TOKEN_CHARS = 2_000_000  # one "word" with no space in it


PAUSE_SENTENCES = 20_000  # a producer writes this many sentences and then waits


ROWS = ("streaming",)
MODEL_ROWS = ("streaming",)


def measure(row, args):
    """python -m tagger.tag with a trained model (--model) on growing inputs."""
    return run_streaming_row(args.dev, args.model.resolve())  # tagger.tag runs from ROOT


def seconds_until_tags_during_a_pause(model_path, lines):
    """A producer writes `lines` to tagger.tag and waits: seconds until all their tags come back."""
    process = subprocess.Popen([sys.executable, "-m", "tagger.tag", str(model_path), "-"], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)

    def produce():
        process.stdin.write("".join(lines).encode())
        process.stdin.flush()  # and then wait: the input stays open
    start = time.perf_counter()
    writer = threading.Thread(target=produce)  # writes while this thread reads the tags
    writer.start()
    for _ in lines:
        process.stdout.readline()  # the input is still open: only streaming gets us past this
    seconds = time.perf_counter() - start
    writer.join()
    process.stdin.close()
    process.stdout.read()
    process.wait()
    return seconds


def accuracy_with_and_without_the_word_bound(model, vocab, dev_path):
    """Dev UPOS and XPOS accuracy with the character LSTM reading at most MAX_WORD_CHARS characters
    of a word, and reading all of them; and how many dev tokens are longer than that."""
    import dataclasses
    from tagger.data import read_tag_sets
    from tagger.evaluation import evaluate
    from tagger.vocabulary import MAX_WORD_CHARS
    sentences, gold = read_tag_sets(dev_path, vocab.tag_sets)
    figures = {"chars": MAX_WORD_CHARS,
               "longer_tokens": sum(len(word) > MAX_WORD_CHARS
                                    for words in sentences for word in words)}
    for name, max_chars in (("with", MAX_WORD_CHARS), ("without", 10**9)):
        results = evaluate(model, sentences, gold,
                           dataclasses.replace(vocab, max_word_chars=max_chars))
        figures[name] = {tag_set: result.accuracy for tag_set, result in results.items()}
    return figures


def run_streaming_row(dev_path, model_path, sizes_mb=STREAMING_MB, chunk_sizes=CHUNK_SIZES,
                      long_token_chars=LONG_TOKEN_CHARS, pause_sentences=PAUSE_SENTENCES):
    """python -m tagger.tag on dev's raw text and on dev's CoNLL-U, each repeated to every size of
    `sizes_mb` (in child processes: wall time, words/s, peak memory); `chunk_sizes` against speed; a
    token of `long_token_chars` characters; and how soon a producer that writes `pause_sentences`
    sentences and then waits gets their tags."""
    from tagger.checkpoint import load_checkpoint
    from tagger.data import read_tag_sets, read_text
    from tagger.lines import LineReader
    from tagger.tagging import tag_text, text_lines, words_of
    from tagger.tokenizer import tokenize
    tag_command = ["-m", "tagger.tag"]  # run from this folder (measured_run's cwd)
    dev_conllu = read_text(dev_path)
    texts = re.findall(r"^# text = (.*)$", dev_conllu, flags=re.M)
    raw_text = "\n".join(texts) + "\n"
    words = {"raw": sum(len(words_of(tokenize(line))) for line in texts),
             "conllu": sum(map(len, read_tag_sets(dev_path)[0]))}
    result = {"runs": [], "chunks": []}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for megabytes in sizes_mb:
            for kind, text, options in (("raw", raw_text, ["-", "--conllu"]),
                                        ("conllu", dev_conllu, ["--tag-conllu", "-"])):
                path = folder / f"{kind}-{megabytes}.txt"
                copies = repeated_to_size(text, megabytes, path)
                command = [sys.executable, *tag_command, str(model_path), *options]
                seconds, peak = measured_run(command, path, ROOT)
                result["runs"].append({"input": kind, "mb": path.stat().st_size / 2**20,
                                       "words": copies * words[kind],
                                       "seconds": seconds,
                                       "words_per_s": copies * words[kind] / seconds,
                                       "peak_mb": peak})
        path = folder / f"raw-{sizes_mb[0]}.txt"
        n_words = result["runs"][0]["words"]
        model, vocab = load_checkpoint(model_path)
        def tag_file(chunk_words):  # as tagger.tag MODEL - --conllu does, output thrown away
            for _ in tag_text(model, vocab, text_lines(LineReader(path), []), str(path),
                              conllu=True, chunk_words=chunk_words):
                pass
        for chunk_words in chunk_sizes:
            seconds, _ = best_of(1, functools.partial(tag_file, chunk_words))
            result["chunks"].append({"chunk_words": chunk_words, "words_per_s": n_words / seconds})
        result["word_bound"] = accuracy_with_and_without_the_word_bound(model, vocab, dev_path)
        (folder / "long.txt").write_text("a" * long_token_chars + "\n", encoding="utf-8")
        seconds, peak = measured_run([sys.executable, *tag_command, str(model_path), "-"],
                                     folder / "long.txt", ROOT)
        result["long_token"] = {"chars": long_token_chars, "seconds": seconds, "peak_mb": peak}
        lines = [texts[i % len(texts)] + "\n" for i in range(pause_sentences)]
        result["pause"] = {"sentences": pause_sentences,
                           "seconds": seconds_until_tags_during_a_pause(model_path, lines)}
    return result


def print_tables(rows):
    """The streaming row: memory and speed by input size, chunk size, a long token, a pause."""
    if "streaming" not in rows:
        return
    row = rows["streaming"]
    print()
    print("python -m tagger.tag with the recipe's model on dev's raw text (`- --conllu`) and on "
          "dev's CoNLL-U (`--tag-conllu -`), repeated to size, read from standard input:")
    print()
    print("| input | size | words | wall time | words/s | peak memory |")
    print("| --- | --- | --- | --- | --- | --- |")
    for run in row["runs"]:
        kind = "raw text" if run["input"] == "raw" else "CoNLL-U"
        print(f"| {kind} | {run['mb']:,.0f} MB | {run['words']:,} | {run['seconds']:,.0f} s | "
              f"{run['words_per_s']:,.0f} | {run['peak_mb']:,.0f} MB |")
    print()
    print("Words per chunk against speed (raw text, the smallest size): "
          + ", ".join(f"{c['chunk_words']:,}: {c['words_per_s']:,.0f} words/s"
                      for c in row["chunks"]))
    bound = row["word_bound"]
    print(f"The character LSTM reads at most {bound['chars']} characters of a word "
          f"({bound['longer_tokens']} dev tokens are longer): dev UPOS "
          f"{bound['with']['upos']:.2%}, XPOS {bound['with']['xpos']:.2%}; reading every "
          f"character: UPOS {bound['without']['upos']:.2%}, XPOS {bound['without']['xpos']:.2%}.")
    long_token, pause = row["long_token"], row["pause"]
    print(f"One token of {long_token['chars']:,} characters: {long_token['seconds']:.1f} s,"
          f" peak memory {long_token['peak_mb']:,.0f} MB.")
    print(f"A producer writes {pause['sentences']:,} sentences and waits: all their tags are back "
          f"after {pause['seconds']:.1f} s, while it still waits.")


if __name__ == "__main__":
    study_command(__spec__.name)
