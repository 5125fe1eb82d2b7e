"""tagger.tag run on each file in turn (a process a file) against local Dask clusters of 1 and
2 workers, on the same files."""
import logging
import re
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import measured_run, peak_memory_mb, repeated_to_size
from benchmarks.study import study_command
from benchmarks.training import ROOT

ROWS = ("corpus",)
MODEL_ROWS = ("corpus",)
TEXT_MB = 5  # dev's raw text repeated to this size, in FILES files
FILES = 4
WORKER_COUNTS = (1, 2)


def measure(row, args):
    """Tag the same files with a tagger.tag process a file, and with each local cluster."""
    return run_corpus_row(args.dev, args.model.resolve())


def run_corpus_row(dev_path, model_path, text_mb=TEXT_MB, files=FILES,
                   worker_counts=WORKER_COUNTS):
    """Words/s and peak memory: python -m tagger.tag - on each file in turn, then tag_files on a
    local cluster of each size in worker_counts (its start-up timed apart)."""
    from distributed import Client, LocalCluster

    from tagger.dask_tagging import tag_files
    from tagger.data import read_text
    from tagger.tagging import words_of
    from tagger.tokenizer import tokenize
    texts = re.findall(r"^# text = (.*)$", read_text(dev_path), flags=re.M)
    words_per_copy = sum(len(words_of(tokenize(line))) for line in texts)
    result = {"text_mb": text_mb, "files": files, "runs": []}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        paths = [folder / f"part-{i}.txt" for i in range(files)]
        words = sum(repeated_to_size("\n".join(texts) + "\n", text_mb / files, path)
                    for path in paths) * words_per_copy
        seconds, peak = 0.0, 0.0
        for path in paths:
            one_seconds, one_peak = measured_run([sys.executable, "-m", "tagger.tag",
                                                  str(model_path), "-"], path, ROOT)
            seconds, peak = seconds + one_seconds, max(peak, one_peak)
        result["runs"].append({"workers": 0, "words": words, "seconds": seconds,
                               "words_per_s": words / seconds, "peaks_mb": [peak],
                               "start_seconds": 0.0})
        for workers in worker_counts:
            out = folder / f"out-{workers}"
            out.mkdir()
            start = time.perf_counter()
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
                    Client(cluster) as client:
                started = time.perf_counter()
                status = tag_files(client, model_path, [str(p) for p in paths], out)
                seconds = time.perf_counter() - started
                if set(status.values()) != {"tagged"}:
                    raise RuntimeError(f"tagging failed: {status}")
                peaks = sorted(client.run(peak_memory_mb).values())  # each worker's own
            result["runs"].append({"workers": workers, "words": words, "seconds": seconds,
                                   "words_per_s": words / seconds, "peaks_mb": peaks,
                                   "start_seconds": started - start})
    return result


def print_tables(rows):
    """One line per way of tagging."""
    if "corpus" not in rows:
        return
    row = rows["corpus"]
    print()
    print(f"Dev's raw text repeated to {row['text_mb']} MB in {row['files']} files, tagged with "
          "the recipe's model (word/UPOS/XPOS lines):")
    print()
    print("| how | cluster start | tagging time | words/s | peak memory per process |")
    print("| --- | --- | --- | --- | --- |")
    for run in row["runs"]:
        how = ("python -m tagger.tag - (one file after another)" if run["workers"] == 0
               else f"local Dask cluster, {run['workers']} worker{'s' * (run['workers'] > 1)}")
        start = "-" if run["workers"] == 0 else f"{run['start_seconds']:.1f} s"
        peaks = ", ".join(f"{peak:,.0f} MB" for peak in run["peaks_mb"])
        print(f"| {how} | {start} | {run['seconds']:.1f} s | {run['words_per_s']:,.0f} | "
              f"{peaks} |")


if __name__ == "__main__":
    study_command(__spec__.name)
