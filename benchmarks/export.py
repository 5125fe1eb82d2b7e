"""The recipe's model tagging with PyTorch, ONNX Runtime, and ONNX Runtime on int8 weights."""
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import best_of, measured_run, repeated_to_size
from benchmarks.study import study_command
from benchmarks.training import ROOT

ROWS = ("export",)
MODEL_ROWS = ("export",)
TEXT_MB = 5  # dev's raw text, repeated to this size, is what each runtime tags
START_UP_RUNS = 3  # tagging one sentence, the fastest of this many


def measure(row, args):
    """Export --model to fp32 and int8 ONNX; tag the same text with each and with PyTorch."""
    return run_export_row(args.dev, args.model.resolve())


def command(*argv):
    """Run python -m ... from the repository's folder; its standard output, or a RuntimeError."""
    result = subprocess.run([sys.executable, "-m", *map(str, argv)], cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed: {result.stderr}")
    return result.stdout


def dev_accuracy(model_path, dev_path):
    """{tag set: accuracy} on dev of a .pt or an exported .onnx model, as --eval computes it."""
    from tagger.checkpoint import load_model
    from tagger.data import read_tag_sets
    from tagger.evaluation import evaluate
    model, vocab = load_model(model_path)
    results = evaluate(model, *read_tag_sets(dev_path, vocab.tag_sets), vocab)
    return {name: result.accuracy for name, result in results.items()}


def start_up_seconds(model_path, runs=START_UP_RUNS):
    """Wall time of tagging one short sentence, the fastest of `runs`: mostly imports and
    loading the model."""
    return best_of(runs, lambda: command("tagger.tag", model_path, "The dog ate the apple ."))[0]


def run_export_row(dev_path, model_path, text_mb=TEXT_MB, start_up_runs=START_UP_RUNS,
                   runtimes=("pytorch", "onnx", "onnx-int8")):
    """Each runtime's figures: file size, start-up, words/s and peak memory of tagging dev's raw
    text repeated to `text_mb` MB (`- --conllu`), and dev accuracy."""
    from tagger.data import read_text
    from tagger.tagging import words_of
    from tagger.tokenizer import tokenize
    texts = re.findall(r"^# text = (.*)$", read_text(dev_path), flags=re.M)
    words_per_copy = sum(len(words_of(tokenize(line))) for line in texts)
    result = {"text_mb": text_mb, "start_up_runs": start_up_runs, "runtimes": []}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        text = folder / "text.txt"
        words = repeated_to_size("\n".join(texts) + "\n", text_mb, text) * words_per_copy
        models = {name: path for name, path in (("pytorch", model_path),
                                                ("onnx", folder / "model.onnx"),
                                                ("onnx-int8", folder / "model-int8.onnx"))
                  if name in runtimes}
        export_seconds = {}
        for name, options in (("onnx", []), ("onnx-int8", ["--int8"])):
            if name not in models:
                continue
            start = time.perf_counter()
            command("tagger.export", model_path, models[name], *options)
            export_seconds[name] = time.perf_counter() - start
        for name, path in models.items():
            seconds, peak = measured_run([sys.executable, "-m", "tagger.tag", str(path), "-",
                                          "--conllu"], text, ROOT)
            result["runtimes"].append({
                "runtime": name, "file_mb": path.stat().st_size / 2**20,
                "export_seconds": export_seconds.get(name, 0.0),
                "start_up_seconds": start_up_seconds(path, start_up_runs), "words": words,
                "seconds": seconds, "words_per_s": words / seconds, "peak_mb": peak,
                "dev": dev_accuracy(path, dev_path)})
    return result


LABELS = {"pytorch": "PyTorch (ewt.pt)", "onnx": "ONNX Runtime, fp32",
          "onnx-int8": "ONNX Runtime, int8 weights"}


def print_tables(rows):
    """One line per runtime: size, start-up, speed, memory, accuracy."""
    if "export" not in rows:
        return
    row = rows["export"]
    print()
    print(f"python -m tagger.tag MODEL - --conllu on dev's raw text repeated to {row['text_mb']} "
          "MB (words/s: over the whole run, start-up included); start-up: tagging one sentence "
          f"(the fastest of {row['start_up_runs']}); dev accuracy as --eval computes it:")
    print()
    print("| runtime | model file | start-up | words/s | peak memory | dev UPOS | dev XPOS |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for runtime in row["runtimes"]:
        print(f"| {LABELS[runtime['runtime']]} | {runtime['file_mb']:.1f} MiB | "
              f"{runtime['start_up_seconds']:.1f} s | {runtime['words_per_s']:,.0f} | "
              f"{runtime['peak_mb']:,.0f} MB | {runtime['dev']['upos']:.2%} | "
              f"{runtime['dev']['xpos']:.2%} |")
    exports = {runtime["runtime"]: runtime["export_seconds"] for runtime in row["runtimes"]}
    if {"onnx", "onnx-int8"} <= set(exports):
        print()
        print(f"Exporting took {exports['onnx']:.0f} s (fp32) and {exports['onnx-int8']:.0f} s "
              "(int8, quantizing included).")


if __name__ == "__main__":
    study_command(__spec__.name)
