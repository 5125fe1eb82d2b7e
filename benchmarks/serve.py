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
import time
from pathlib import Path

from benchmarks.harness import tag_command_speed
from benchmarks.study import study_command
from benchmarks.training import ROOT

ROWS = ("serve",)
MODEL_ROWS = ("serve",)
# (clients, sentences a request); each configuration sends SENTENCES sentences in all.
CONFIGURATIONS = ((1, 1), (8, 1), (32, 1), (1, 100), (8, 100), (32, 100))
SENTENCES = 6400
PASSES = 2  # the table is the second's; the first pass warms the server up


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
    """VmRSS (now) or VmHWM (the peak) in MB of a process and its children together, from /proc:
    the server's model runs in a child process, multiprocessing's resource tracker in another."""
    status = Path(f"/proc/{pid}/status").read_text()
    mb = int(re.search(rf"^{field}:\s+(\d+) kB", status, flags=re.M).group(1)) / 2**10
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return mb + sum(memory_mb(int(child), field) for child in children)


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
    sent, requests = served_text(sentences, n_sentences), []
    for first in range(0, n_sentences, per_request):
        chosen = sent[first:first + per_request]
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


def served_text(sentences, n_sentences):
    """The first `n_sentences` of dev's sentences, from the start again at its end."""
    return [sentences[i % len(sentences)] for i in range(n_sentences)]


def run_serve_row(dev_path, model_path, configurations=CONFIGURATIONS, n_sentences=SENTENCES,
                  passes=PASSES):
    """tagger.tag's words/s on the text the clients send (start-up taken off), then every
    configuration on one server process, `passes` times over, with its memory after each."""
    from tagger.data import read_text
    from tagger.tagging import words_of
    from tagger.tokenizer import tokenize
    texts = re.findall(r"^# text = (.*)$", read_text(dev_path), flags=re.M)
    sentences = [(text, len(words_of(tokenize(text)))) for text in texts]
    sent = served_text(sentences, n_sentences)
    result = {"sentences": n_sentences, "passes": []}
    result["tag_command"] = tag_command_speed(model_path, [text for text, _ in sent],
                                              sum(n for _, n in sent), ROOT)
    process, port = start_server(model_path)
    try:
        result["start_mb"] = memory_mb(process.pid, "VmRSS")
        for _ in range(passes):  # the second pass: does memory grow under the same load?
            result["passes"].append([])
            for clients, per_request in configurations:
                figures = run_configuration(port, sentences, clients, per_request, n_sentences)
                figures["rss_mb"] = memory_mb(process.pid, "VmRSS")
                result["passes"][-1].append(figures)
        result["peak_mb"] = memory_mb(process.pid, "VmHWM")
    finally:
        process.terminate()
        process.wait(timeout=120)
    return result


def print_tables(rows):
    """One line per configuration (the last pass), then tagger.tag's line and what batching
    gained."""
    if "serve" not in rows:
        return
    row = rows["serve"]
    tag_command, passes = row["tag_command"], row["passes"]
    print()
    print(f"python -m tagger.serve ewt.pt on 127.0.0.1; {row['sentences']:,} sentences of dev's "
          "raw text sent by each row's clients (threads of one process on the same machine, a "
          f"connection each); pass {len(passes)} of {len(passes)}, and the server's memory (all "
          "its processes) after the row in each pass:")
    print()
    print("| clients | sentences a request | words/s | p50 latency | p99 latency | memory after "
          "the row, each pass |")
    print("| --- | --- | --- | --- | --- | --- |")
    for i, figures in enumerate(passes[-1]):
        memory = " / ".join(f"{done[i]['rss_mb']:,.0f}" for done in passes)
        print(f"| {figures['clients']} | {figures['sentences_per_request']} | "
              f"{figures['words_per_s']:,.0f} | {figures['p50_ms']:.1f} ms | "
              f"{figures['p99_ms']:.1f} ms | {memory} MB |")
    by = {(figures["clients"], figures["sentences_per_request"]): figures
          for figures in passes[-1]}
    print()
    many, one = by[32, 1]["words_per_s"], by[1, 1]["words_per_s"]
    print(f"python -m tagger.tag ewt.pt - on the same text: {tag_command['words_per_s']:,.0f} "
          f"words/s (its {tag_command['start_up_seconds']:.1f} s of start-up taken off). "
          f"32 clients of one sentence a request: {many / one:.1f}x the words/s of one; 8 clients "
          f"of 100 sentences: {by[8, 100]['words_per_s'] / tag_command['words_per_s']:.2f}x "
          f"tagger.tag's. The server's memory: {row['start_mb']:,.0f} MB after loading, "
          f"{row['peak_mb']:,.0f} MB at its peak (each process's peak, added: at most that).")


if __name__ == "__main__":
    study_command(__spec__.name)
