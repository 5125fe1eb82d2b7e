"""python -m tagger.serve as a real process on 127.0.0.1: tagger.tag's tags, offsets and CoNLL-U,
every bad request a 4xx with the server still serving, concurrent clients, SIGTERM, the page."""
import concurrent.futures
import http.client
import json
import os
import shlex
import signal
import time
import urllib.parse
from pathlib import Path

import pytest

from benchmarks import browser
from benchmarks import serve as serve_study
from conftest import doc_blocks, doc_text, run_tag, saved_rows
from tagger import serve
from tagger.batcher import BATCH_WORDS, Batcher

from tagger.cli import ONEDNN_KERNEL_CACHE
from tagger.tagging import CHAR_CACHE_WORDS, MAX_SENTENCE_WORDS
from tagger.checkpoint import load_checkpoint
from tagger.errors import InputError


TEXT = "\ufeffI can't believe it's not butter!\n\n  The dog ate, didn't it?\r\nThe end\n"


@pytest.fixture(scope="module")
def server(rich_model):
    process, port = serve_study.start_server(rich_model, "--max-request-bytes", "100000",
                                             "--threads", "2")
    assert port != 8000  # --port 0: any free port
    yield port
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


def request(port, method, path, body=None, headers=None):
    """(status, content type, body) of one request, on a connection of its own."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = {"content-type": "application/json", **(headers or {})}
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("content-type"), response.read()
    finally:
        connection.close()


def tagged_json(port, body):
    status, _, answer = request(port, "POST", "/tag", body)
    assert status == 200, answer
    return json.loads(answer)["sentences"]


def tag_command(model, text, *options):
    """What python -m tagger.tag MODEL - prints for `text` on standard input."""
    return run_tag([model, "-", *options], text.encode())


def test_text_gets_tagger_tags_tags_offsets_and_conllu_byte_for_byte(server, rich_model):
    sentences = tagged_json(server, {"text": TEXT})
    expected = [line.split() for line in tag_command(rich_model, TEXT).splitlines() if line]
    assert [[f"{word['form']}/{word['upos']}/{word['xpos']}"
             for token in sentence["tokens"] for word in token["words"]]
            for sentence in sentences] == expected
    tokens = [token for sentence in sentences for token in sentence["tokens"]]
    assert all(TEXT[token["start"]:token["end"]] == token["text"] for token in tokens)
    assert tokens[1]["text"] == "can't" and [word["form"] for word in tokens[1]["words"]] == [
        "ca", "n't"]
    assert all(0 < word[p] <= 1 for token in tokens for word in token["words"]
               for p in ("upos_p", "xpos_p"))
    status, content_type, conllu = request(server, "POST", "/tag",
                                           {"text": TEXT, "format": "conllu"})
    assert status == 200 and content_type.startswith("text/plain")
    assert conllu == tag_command(rich_model, TEXT, "--conllu").encode()


def test_sentences_are_never_split_again(server, rich_model):
    sentences = [["I", "can't", "go"], ["The", "U.S.", "dog", "."]]
    answer = tagged_json(server, {"sentences": sentences})
    assert [[token["text"] for token in sentence["tokens"]] for sentence in answer] == sentences
    assert "start" not in answer[0]["tokens"][0]  # no text, no places in it
    printed = tag_command(rich_model, "\n".join(map(" ".join, sentences)), "--pretokenized")
    assert [[f"{token['text']}/{token['words'][0]['upos']}/{token['words'][0]['xpos']}"
             for token in sentence["tokens"]]
            for sentence in answer] == [line.split() for line in printed.splitlines()]


@pytest.mark.parametrize("body, headers, status, said", [
    (b'{"text": "a"', {"content-type": "application/json"}, 422, "JSON decode error"),
    ({"text": 3}, None, 422, "Input should be a valid string"),
    ({"sentences": [["a", 1]]}, None, 422, "Input should be a valid string"),
    ({"text": "a", "extra": 1}, None, 422, "Extra inputs are not permitted"),
    ({"text": "a", "format": "xml"}, None, 422, "Input should be 'json' or 'conllu'"),
    ({"text": "  \n\n"}, None, 422, '"text" holds no word'),
    ({}, None, 422, 'give "text" or "sentences"'),
    ({"text": "a", "sentences": [["a"]]}, None, 422, 'give "text" or "sentences"'),
    ({"sentences": [["a", ""]]}, None, 422, "sentence 0: a word is empty or holds whitespace"),
    ({"sentences": [["a b"]]}, None, 422, "sentence 0: a word is empty or holds whitespace"),
    ({"sentences": [["a"], []]}, None, 422, "sentence 1: 0 words"),
    ({"text": "a " * 10_001}, None, 422, '"text" line 1: more than 10,000 words'),
    (b'{"text": "\\ud800"}', {"content-type": "application/json"}, 422, "lone surrogate"),
    (b'{"text": "caf\xe9"}', {"content-type": "application/json"}, 400,
     "the body is not valid UTF-8 (byte 0xe9 at 13)"),
    (b"x" * 100_001, {"content-type": "application/json"}, 413, "over 100,000 bytes"),
], ids=lambda value: repr(value)[:40] if isinstance(value, (bytes, dict)) else None)
def test_a_bad_request_is_a_4xx_naming_it_and_the_next_one_is_served(server, body, headers,
                                                                     status, said):
    got, content_type, answer = request(server, "POST", "/tag", body, headers)
    detail = json.loads(answer)["detail"]  # FastAPI's own: a list of problems
    detail = detail if isinstance(detail, str) else " ".join(item["msg"] for item in detail)
    assert got == status and content_type == "application/json" and said in detail
    assert tagged_json(server, {"text": "The dog"})[0]["text"] == "The dog"


def test_a_body_without_its_length_a_get_and_clients_that_leave(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=120)
    connection.putrequest("POST", "/tag")
    connection.putheader("transfer-encoding", "chunked")
    connection.endheaders()
    connection.send(b"4\r\n{}  \r\n0\r\n\r\n")
    assert connection.getresponse().status == 411
    connection.close()
    assert request(server, "GET", "/tag")[0] == 405
    for body in (b'{"text": "The', json.dumps({"text": "The dog ate\n" * 2000}).encode()):
        leaving = http.client.HTTPConnection("127.0.0.1", server, timeout=120)
        leaving.putrequest("POST", "/tag")  # half a body, or a whole one, then gone
        leaving.putheader("content-type", "application/json")
        leaving.putheader("content-length", str(len(json.dumps({"text": "The dog ate\n" * 2000}))))
        leaving.endheaders(body)
        leaving.close()
    assert tagged_json(server, {"text": "The dog"})[0]["text"] == "The dog"


def test_concurrent_clients_each_get_their_own_tags(server, rich_model):
    texts = [f"The dog ate {i} apples .\nI saw her {'duck' if i % 2 else 'book'} ." * (1 + i % 3)
             for i in range(24)]
    with concurrent.futures.ThreadPoolExecutor(12) as clients:
        answers = list(clients.map(lambda text: request(server, "POST", "/tag",
                                                        {"text": text, "format": "conllu"}),
                                   texts))
    for text, (status, _, answer) in zip(texts, answers):
        assert status == 200 and answer == tag_command(rich_model, text, "--conllu").encode()


def test_a_request_cancelled_while_it_waits_is_dropped_and_the_next_answered(toy_model):
    """asyncio cancels a request's future on a timeout: the batcher must go on."""
    batcher = Batcher(str(toy_model), "cpu", 128, 1)
    try:
        waiting = [batcher.submit([["The", "dog"]] * 2000) for _ in range(3)]
        cancelled = [answer.cancel() for answer in waiting]  # those not yet taken
        assert batcher.submit([["The", "dog"]]).result(timeout=120)[0]["upos"][0] == ["DET", "NN"]
        assert all(answer.cancelled() == was for answer, was in zip(waiting, cancelled))
    finally:
        batcher.close()


def test_ctrl_c_while_the_model_loads_stops_its_process_at_once(toy_model, monkeypatch):
    """It ignores Ctrl-C and SIGTERM: the server must end it, not wait for it to load."""
    import multiprocessing.connection
    loading = []

    def interrupted(connection):  # Ctrl-C while the server waits for its model
        loading.extend(child.pid for child in multiprocessing.active_children()
                       if child.name == "tagger-model")
        raise KeyboardInterrupt
    monkeypatch.setattr(multiprocessing.connection.Connection, "recv", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Batcher(str(toy_model), "cpu", 128, 1)
    (pid,) = loading
    _, status = os.waitpid(pid, 0)  # left alone, it would load, then fail to report
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
def test_a_model_process_that_dies_while_loading_is_one_line(toy_model):
    with pytest.raises(InputError, match="the model's process stopped while loading it"):
        Batcher(str(toy_model), "cpu", 128, 0)  # torch refuses 0 threads: the process ends


def test_health_the_page_and_the_schema(server, rich_model):
    status, _, health = request(server, "GET", "/health")
    health = json.loads(health)
    tag_sets = load_checkpoint(rich_model)[1].tag_sets
    assert status == 200 and health["tag_sets"] == {name: len(tags) for name, tags in
                                                    tag_sets.items()}
    assert health["settings"]["num_layers"] == 2 and health["max_request_bytes"] == 100_000
    assert health["threads"] == 2  # torch's own count, in the model's process
    status, content_type, page = request(server, "GET", "/")
    assert status == 200 and content_type.startswith("text/html") and b"<textarea" in page
    schema = json.loads(request(server, "GET", "/openapi.json")[2])
    assert {"text", "sentences", "format"} <= set(schema["components"]["schemas"]["TagRequest"]
                                                  ["properties"])


def test_sigterm_answers_or_refuses_the_request_in_flight_and_exits_0(toy_model):
    process, port = serve_study.start_server(toy_model)
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        (model_process,) = [pid for pid in children
                            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        os.kill(int(model_process), signal.SIGINT)  # Ctrl-C, which reaches the terminal's group
        os.kill(int(model_process), signal.SIGTERM)  # and systemd's stop: the service's
        assert request(port, "POST", "/tag", {"text": "A dog"})[0] == 200  # the model is there
        with concurrent.futures.ThreadPoolExecutor(1) as client:
            answer = client.submit(request, port, "POST", "/tag", {"text": "The dog ate\n" * 3000})
            process.send_signal(signal.SIGTERM)
            try:
                status = answer.result(timeout=120)[0]
            except (ConnectionError, http.client.HTTPException):
                status = "refused"  # it came after the server stopped listening
        assert process.wait(timeout=60) == 0 and status in (200, "refused")
    finally:
        process.kill()  # a failed check leaves no server behind (its model then reads the end)
    assert process.stderr.read().strip() == "stopped"
    assert not Path(f"/proc/{model_process}").exists()  # the model's process stopped too


def test_a_model_process_that_dies_is_said_by_health_and_each_request(toy_model):
    process, port = serve_study.start_server(toy_model)
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        for pid in children:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(int(pid), signal.SIGKILL)  # as the out-of-memory killer would
        for _ in range(600):  # bounded: until the server sees it
            status, _, body = request(port, "GET", "/health")
            if status != 200:
                break
            time.sleep(0.05)
        assert status == 503 and json.loads(body)["status"] == "the model's process stopped"
        status, _, body = request(port, "POST", "/tag", {"text": "A dog"})
        assert status == 503 and "restart the server" in json.loads(body)["detail"]
    finally:
        process.kill()
        process.wait(timeout=60)


def shown_words(port, text):
    """The words of /tag's answer for `text`, sentence by sentence, as the page shows them."""
    return [[f"{word['form']}/{word['upos']}" for token in sentence["tokens"]
             for word in token["words"]] for sentence in tagged_json(port, {"text": text})]


def test_the_page_in_a_real_browser_shows_what_tag_answers(server, tmp_path):
    chromium = browser.find_chromium()
    if chromium is None:
        pytest.skip("no Chromium: apt-get install chromium (.ci/run installs it where missing)")
    url = f"http://127.0.0.1:{server}/"
    with browser.Browser(chromium) as page:
        shown = browser.type_and_tag(page, url, browser.SENTENCE, tmp_path / "page.png")
        shared = browser.open_shared(page, url, "The dog ran home .")
        big = json.dumps("The dog ate the apple .\n" * 2000)  # sent first, answered last
        last = page.evaluate(f"Promise.all([tagText({big}), tagText('The dog')])"
                             ".then(() => document.body.dataset.tagged)")
        after_last = page.evaluate(browser.SHOWN)
        refused = page.evaluate("tagText('   ').then(() => [document.getElementById('error')"
                                ".textContent, document.querySelectorAll('.word').length])")
        checks = page.evaluate("post('a', 'xml').catch((error) => error.message)")
    assert last == "The dog" and after_last == shown_words(server, "The dog")
    assert refused == ['"text" holds no word', 0]  # no tags of the text before beside it
    assert checks == "Input should be 'json' or 'conllu'"
    assert shown == shown_words(server, browser.SENTENCE) and len(shown) == 2
    assert shared == shown_words(server, "The dog ran home .")
    assert (tmp_path / "page.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_serve_study_measures_its_clients_against_a_real_server(server):
    sentences = [("The dog ate the apple .", 6), ("I saw her duck .", 5)]
    one = serve_study.run_configuration(server, sentences, 1, 1, n_sentences=8)
    many = serve_study.run_configuration(server, sentences, 4, 2, n_sentences=8)
    assert (one["requests"], many["requests"]) == (8, 4) and one["words"] == many["words"] == 44
    assert all(0 < figures["p50_ms"] <= figures["p99_ms"] and figures["words_per_s"] > 0
               for figures in (one, many))


def without_tags(answer, conllu):
    """An answer with its tags and probabilities left out (the docs show the recipe's)."""
    if conllu:
        return [line.split("\t")[:3] + line.split("\t")[5:] for line in answer.splitlines()]
    return [[{key: value for key, value in token.items() if key != "words"}
             | {"words": [word["form"] for word in token["words"]]}
             for token in sentence["tokens"]] for sentence in json.loads(answer)["sentences"]]


def test_the_docs_curl_examples_are_the_servers_answers_but_the_tags(server):
    blocks = {command: shown for command, (_, shown) in doc_blocks().items()
              if command.startswith("curl ")}
    assert len(blocks) == 2
    for command, shown in blocks.items():
        argv = shlex.split(command)
        body = json.loads(argv[argv.index("--json") + 1])
        status, _, answer = request(server, "POST", urllib.parse.urlsplit(argv[-1]).path, body)
        conllu = body.get("format") == "conllu"
        assert status == 200
        assert without_tags(answer.decode(), conllu) == without_tags(shown.rstrip("\n") + (
            "\n\n" if conllu else ""), conllu)


def test_the_serving_prose_says_what_the_code_and_the_saved_study_say():
    row = saved_rows("serve")["serve"]
    by = {(run["clients"], run["sentences_per_request"]): run for run in row["passes"][-1]}
    first, second = ([run["rss_mb"] for run in runs] for runs in row["passes"])
    page = " ".join(doc_text("docs/tagging.md").split())
    options = serve.parse_args(["m.pt"])
    assert len(row["passes"]) == 2
    for said in (f"reached {by[32, 1]['words_per_s'] / by[1, 1]['words_per_s']:.1f} times one "
                 "client's words/s",
                 f"reached {by[8, 100]['words_per_s'] / row['tag_command']['words_per_s']:.2f} "
                 "times the words/s of `tagger.tag`",
                 f"first pass ({first[0]:,.0f} to {first[-1]:,.0f} MB) "
                 f"and stayed within {min(second):,.0f} to {max(second):,.0f} MB over the second",
                 f"sending {row['sentences']:,} sentences", f"tags the same {row['sentences']:,} "
                 "lines", "then the six again",
                 f"until they hold {BATCH_WORDS:,} words",
                 f"uses {'one CPU thread' if options.threads == 1 else options.threads} for torch",
                 f"padded batches of {options.batch_size} sentences",
                 f"once they are over {CHAR_CACHE_WORDS:,} words",
                 f"at most {serve.KERNEL_CACHE} compiled kernels (`tagger.tag`: "
                 f"{ONEDNN_KERNEL_CACHE};",
                 f"over `--max-request-bytes` ({options.max_request_bytes:,} bytes",
                 f"more than {MAX_SENTENCE_WORDS:,} words (422)"):
        assert said in page, said


def test_the_options_reach_the_model_process_and_the_socket(toy_model, monkeypatch, capsys):
    import torch
    seen = {}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # torch.device only: no GPU used
    monkeypatch.setattr(serve, "Batcher", lambda *args: seen.setdefault("batcher", args))

    def no_socket(host, port):
        seen["socket"] = (host, port)
        raise OSError(99, "Cannot assign requested address")
    monkeypatch.setattr(serve, "listening_socket", no_socket)
    with pytest.raises(SystemExit) as exit_info:
        serve.main([str(toy_model), "--host", "::1", "--port", "0", "--batch-size", "7",
                    "--threads", "3", "--device", "cuda"])
    assert exit_info.value.code == 2
    assert "--host ::1 --port 0: Cannot assign" in capsys.readouterr().err
    assert seen == {"batcher": (str(toy_model), torch.device("cuda"), 7, 3), "socket": ("::1", 0)}


def test_an_ipv6_address_is_said_as_a_url_writes_it(toy_model, monkeypatch, capsys):
    import types

    import uvicorn
    batcher = types.SimpleNamespace(tag_sets={"upos": {"X": 0}}, settings=None, threads=1,
                                    close=lambda: None)
    monkeypatch.setattr(serve, "Batcher", lambda *args: batcher)
    monkeypatch.setattr(serve, "listening_socket", lambda host, port: types.SimpleNamespace(
        getsockname=lambda: ("::1", 8123, 0, 0)))
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, sockets: None)
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        serve.main([str(toy_model), "--host", "::1", "--port", "8123"])
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert "at http://[::1]:8123/ (Ctrl-C to stop)" in capsys.readouterr().out
