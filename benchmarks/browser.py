"""The tagging page in headless Chromium, over the DevTools protocol: type, tag, read, screenshot.

    python -m benchmarks.browser ewt.pt figures/serve_page.png   # the docs' screenshot
"""
import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

SENTENCE = "I can't believe it's not butter!\nShe saw her duck under the table."
SHOWN = """[...document.querySelectorAll(".sentence")].map(line =>
    [...line.querySelectorAll(".word")].map(word => word.dataset.form + "/" + word.dataset.upos))"""


def find_chromium():
    """The path of Chromium (Debian's package) or Chrome, or None."""
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))),
                None)


class Browser:
    """Headless Chromium with one page, driven over its DevTools WebSocket."""

    def __init__(self, executable, seconds=60):
        from websockets.sync.client import connect
        # Chromium's helper processes may write here while they stop: what is left is let be.
        self.folder = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
        self.process = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-port=0", f"--user-data-dir={self.folder.name}",
             "--window-size=900,600", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)  # a process group: its helper processes stop with it
        port_file = Path(self.folder.name, "DevToolsActivePort")  # Chromium writes its port here
        for _ in range(seconds * 10):  # bounded
            if port_file.exists() and len(port_file.read_text().split()) == 2:
                break
            time.sleep(0.1)
        else:
            self.close()
            raise RuntimeError("Chromium did not start")
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=seconds) as info:
            page = next(target for target in json.load(info) if target["type"] == "page")
        self.connection = contextlib.ExitStack()
        self.socket = self.connection.enter_context(connect(page["webSocketDebuggerUrl"],
                                                            max_size=None))
        self.calls, self.seconds = 0, seconds

    def call(self, method, **params):
        """One DevTools command: its result."""
        self.calls += 1
        self.socket.send(json.dumps({"id": self.calls, "method": method, "params": params}))
        while True:  # events come in between; each recv is bounded
            message = json.loads(self.socket.recv(timeout=self.seconds))
            if message.get("id") == self.calls:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        return result["result"].get("value")

    def wait_for(self, expression):
        """Poll until the expression is true in the page (bounded)."""
        for _ in range(self.seconds * 10):
            if self.evaluate(expression):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the page never had {expression}")

    def close(self):
        if hasattr(self, "connection"):
            self.connection.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        self.folder.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def type_and_tag(browser, url, text, screenshot=None):
    """Open the page, type `text` into its box, press Tag: the words shown, sentence by sentence,
    as "form/UPOS"; a screenshot (PNG) saved at `screenshot` if given."""
    browser.call("Page.navigate", url=url)
    browser.wait_for("document.readyState === 'complete' && document.getElementById('text')"
                     " !== null")
    browser.evaluate("const box = document.getElementById('text'); box.value = ''; box.focus()")
    browser.call("Input.insertText", text=text)  # typed, as a person's keys would
    browser.evaluate("document.getElementById('tag').click()")
    browser.wait_for(f"document.body.dataset.tagged === {json.dumps(text)}")
    if screenshot is not None:
        data = browser.call("Page.captureScreenshot", format="png")["data"]
        Path(screenshot).write_bytes(base64.b64decode(data))
    return browser.evaluate(SHOWN)


def open_shared(browser, url, text):
    """The words shown by the page at url?text=...: a shared link, tagged as it opens."""
    browser.call("Page.navigate", url=f"{url}?text={urllib.parse.quote(text)}")
    browser.wait_for(f"document.body.dataset.tagged === {json.dumps(text)}")
    return browser.evaluate(SHOWN)


def main(argv=None):
    """Serve MODEL, type the example into the page, save its screenshot."""
    from benchmarks.serve import start_server
    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path, help="the PNG to write")
    args = parser.parse_args(argv)
    if find_chromium() is None:
        parser.error("no Chromium here: apt-get install chromium")
    process, port = start_server(args.model.resolve())
    try:
        with Browser(find_chromium()) as browser:
            shown = type_and_tag(browser, f"http://127.0.0.1:{port}/", SENTENCE, args.out)
    finally:
        process.terminate()
        process.wait(timeout=60)
    print(f"{args.out}: {' | '.join(' '.join(words) for words in shown)}")


if __name__ == "__main__":
    main()
