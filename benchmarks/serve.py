"""The recipe's model over HTTP: words/s and latency of concurrent clients, beside tagger.tag.

Each configuration is a bounded loop: CLIENTS threads, each on a connection of its own, send
requests of one sentence (or of 100) from dev's raw text, one after another, until the
configuration's sentences are sent. The server is a process of its own (python -m tagger.serve),
started once; its memory is read after each configuration.
"""
import concurrent.futures
import http.client
import json
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import measured_run
from benchmarks.study import study_command
from benchmarks.training import ROOT

ROWS = ("serve",)
MODEL_ROWS = ("serve",)
# (clients, sentences a request); each configuration sends SENTENCES sentences in all.
CONFIGURATIONS = ((1, 1), (8, 1), (32, 1), (1, 100), (8, 100), (32, 100))
SENTENCES = 3200
TAG_COPIES = 4


def measure(row, args):
    """Serve --model and measure every configuration, and tagger.tag on the same text."""
    return run_serve_row(args.dev, args.model.resolve())


def start_server(model_path, *options):
    """python -m tagger.serve on a free port of 127.0.0.1: (process, port), once it listens."""
    process = subprocess.Popen([sys.executable, "-m", "tagger.serve", str(model_path), "--port",
                                "0", *map(str, options)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([process.stdout], [], [], 300)  # bounded
    line = process.stdout.readline() if ready else ""
    if not line.startswith("serving "):
        process.kill()
        raise RuntimeError(f"the server did not start: {line}{process.stderr.read()}")
    return process, int(re.search(r":(\d+)/", line).group(1))


def memory_mb(pid, field):
    """A process's VmRSS (now) or VmHWM (its peak) in MB, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, flags=re.M).group(1)) / 2**10


def client(port, requests):
    """Send each body in turn on one connection: the seconds each took, answer and all."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    seconds = []
    for body in requests:
        start = time.perf_counter()
        connection.request("POST", "/tag", body=body,
                           headers={"content-type": "application/json"})
        response = connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"the server answered {response.status}: {answer[:200]}")
        seconds.append(time.perf_counter() - start)
    connection.close()
    return seconds


def run_configuration(port, sentences, clients, per_request, n_sentences=SENTENCES):
    """`clients` clients sending `n_sentences` sentences, `per_request` a request: words/s and
    latency percentiles (ms)."""
    requests = []
    for first in range(0, n_sentences, per_request):
        chosen = [sentences[(first + i) % len(sentences)] for i in range(per_request)]
        requests.append((json.dumps({"text": "\n".join(text for text, _ in chosen)}).encode(),
                         sum(words for _, words in chosen)))
    shares = [requests[i::clients] for i in range(clients)]
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        latencies = [seconds for share in pool.map(lambda share: client(port, [body for body, _
                                                                                in share]),
                                                   shares) for seconds in share]
    elapsed = time.perf_counter() - start
    latencies.sort()
    words = sum(n for _, n in requests)
    return {"clients": clients, "sentences_per_request": per_request, "requests": len(requests),
            "words": words, "seconds": elapsed, "words_per_s": words / elapsed,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]}


def run_serve_row(dev_path, model_path, configurations=CONFIGURATIONS, n_sentences=SENTENCES):
    """tagger.tag's words/s on dev's raw text (4 times; start-up taken off), then each
    configuration on the same sentences against one server process, with its memory after each."""
    from tagger.data import read_text
    from tagger.tagging import words_of
    from tagger.tokenizer import tokenize
    texts = re.findall(r"^# text = (.*)$", read_text(dev_path), flags=re.M)
    sentences = [(text, len(words_of(tokenize(text)))) for text in texts]
    result = {"sentences": n_sentences, "configurations": []}
    with tempfile.TemporaryDirectory() as folder:
        text_file, one_line = Path(folder, "dev.txt"), Path(folder, "one.txt")
        # dev's text 4 times: a run long enough that its start-up can be taken off
        text_file.write_text("\n".join(texts * TAG_COPIES) + "\n", encoding="utf-8")
        one_line.write_text(texts[0] + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "tagger.tag", str(model_path), "-"]
        start_up = min(measured_run(command, one_line, ROOT)[0] for _ in range(3))
        seconds = min(measured_run(command, text_file, ROOT)[0] for _ in range(3))
    words = TAG_COPIES * sum(n for _, n in sentences)
    result["tag_command"] = {"words": words, "seconds": seconds, "start_up_seconds": start_up,
                             "words_per_s": words / (seconds - start_up)}
    process, port = start_server(model_path)
    try:
        result["start_mb"] = memory_mb(process.pid, "VmRSS")
        for clients, per_request in configurations:
            figures = run_configuration(port, sentences, clients, per_request, n_sentences)
            figures["rss_mb"] = memory_mb(process.pid, "VmRSS")
            result["configurations"].append(figures)
        result["peak_mb"] = memory_mb(process.pid, "VmHWM")
    finally:
        process.terminate()
        process.wait(timeout=120)
    return result


def print_tables(rows):
    """One line per configuration, then tagger.tag's line and what batching gained."""
    if "serve" not in rows:
        return
    row = rows["serve"]
    tag_command = row["tag_command"]
    print()
    print(f"python -m tagger.serve ewt.pt on 127.0.0.1; {row['sentences']:,} sentences of dev's "
          "raw text sent by each row's clients (threads of one process on the same machine, a "
          "connection each):")
    print()
    print("| clients | sentences a request | words/s | p50 latency | p99 latency | server memory "
          "after |")
    print("| --- | --- | --- | --- | --- | --- |")
    for figures in row["configurations"]:
        print(f"| {figures['clients']} | {figures['sentences_per_request']} | "
              f"{figures['words_per_s']:,.0f} | {figures['p50_ms']:.1f} ms | "
              f"{figures['p99_ms']:.1f} ms | {figures['rss_mb']:,.0f} MB |")
    by = {(figures["clients"], figures["sentences_per_request"]): figures
          for figures in row["configurations"]}
    print()
    many, one = by[32, 1]["words_per_s"], by[1, 1]["words_per_s"]
    print(f"python -m tagger.tag ewt.pt - on the same text: {tag_command['words_per_s']:,.0f} "
          f"words/s (its {tag_command['start_up_seconds']:.1f} s of start-up taken off). "
          f"32 clients of one sentence a request: {many / one:.1f}x the words/s of one; 8 clients "
          f"of 100 sentences: {by[8, 100]['words_per_s'] / tag_command['words_per_s']:.2f}x "
          "tagger.tag's. The "
          f"server's memory: {row['start_mb']:,.0f} MB after loading, {row['peak_mb']:,.0f} MB "
          "at its peak.")


if __name__ == "__main__":
    study_command(__spec__.name)
