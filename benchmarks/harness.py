"""Timing and peak memory: of a function, of a function in a fresh process, of a command; inputs
of a given size."""
import multiprocessing
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def peak_memory_mb():
    """This process's peak resident memory in MB since it started its program.

    On Linux it is VmHWM, which starts again at exec: a spawned child's ru_maxrss also counts the
    parent's memory (up to its peak when it started the child). Elsewhere ru_maxrss (bytes on
    macOS).
    """
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"^VmHWM:\s+(\d+) kB", status, flags=re.M).group(1)) / 2**10
    except (OSError, AttributeError):  # not Linux
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def best_of(repeats, function):
    """Run `function` `repeats` times; return (fastest seconds, its last result)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def _run_and_send(connection, function, args):
    """In the child process: run function(*args), send back (result, peak MB) or the error."""
    try:
        connection.send(("ok", function(*args), peak_memory_mb()))
    except BaseException as error:  # noqa: B036 (sent to the parent, which raises it)
        connection.send(("error", f"{type(error).__name__}: {error}", None))
    connection.close()


def in_fresh_process(function, *args):
    """function(*args) in a new Python process ("spawn": it starts with nothing of this one):
    (result, peak MB of that process, by peak_memory_mb). function must be importable."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_run_and_send, args=(sender, function, args))
    process.start()
    sender.close()
    try:
        status, result, peak = receiver.recv()
    except EOFError:  # the child died without a word (killed, or out of memory)
        status, result, peak = "error", "the process ended without a result", None
    process.join()
    if status != "ok":
        raise RuntimeError(f"{function.__name__}{args}: {result}")
    return result, peak


def measured_run(argv, stdin_path, cwd):
    """Run a command with standard input from a file and its output thrown away: (seconds, peak MB
    of it).

    The peak is the child's own high-water mark (VmHWM in /proc, read as it runs): the rusage of a
    child also counts the memory this process had when it started the child.
    """
    with open(stdin_path, "rb") as stdin, tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr,
                                   cwd=cwd)
        peak_kb = 0
        while process.poll() is None:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
                peak_kb = max(peak_kb,
                              int(re.search(r"^VmHWM:\s+(\d+) kB", status, flags=re.M).group(1)))
            except (OSError, AttributeError):  # just ended, or not Linux
                pass
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            stderr.seek(0)
            raise RuntimeError(f"{' '.join(argv)} failed: {stderr.read().decode()}")
    return seconds, peak_kb / 2**10


def repeated_to_size(text, megabytes, path):
    """Write `text` over and over to `path` until it holds `megabytes` MB; return the copies."""
    copies = max(1, round(megabytes * 2**20 / len(text.encode("utf-8"))))
    with open(path, "w", encoding="utf-8") as file:
        for _ in range(copies):
            file.write(text)
    return copies


def tag_command_speed(model_path, lines, words, cwd):
    """python -m tagger.tag MODEL - on `lines` (texts, one sentence each; `words` words in all):
    its words/s with its start-up (a run on the first line alone) taken off, and its peak memory
    in MB; the fastest of 3 runs each."""
    with tempfile.TemporaryDirectory() as folder:
        text_file, one_line = Path(folder, "lines.txt"), Path(folder, "one.txt")
        text_file.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        one_line.write_text(lines[0] + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "tagger.tag", str(model_path), "-"]
        start_up = min(measured_run(command, one_line, cwd)[0] for _ in range(3))
        runs = [measured_run(command, text_file, cwd) for _ in range(3)]
    seconds = min(seconds for seconds, _ in runs)
    return {"words": words, "seconds": seconds, "start_up_seconds": start_up,
            "words_per_s": words / (seconds - start_up), "peak_mb": max(peak for _, peak in runs)}
