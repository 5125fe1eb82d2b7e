"""Serve a trained tagger over HTTP: POST /tag, GET /health, and a page to try it at /.

    python -m tagger.serve ewt.pt                  # http://127.0.0.1:8000/, Ctrl-C to stop
    curl -s --json '{"text": "I saw her duck."}' http://127.0.0.1:8000/tag

One thread owns the model: requests that arrive while it is busy wait, and are tagged together in
its next batch. FastAPI documents the request and the answer at /docs.
"""
import argparse
import asyncio
import concurrent.futures
import io
import itertools
import json
import queue
import signal
import socket
import sys
import threading
from pathlib import Path

import torch

from tagger.checkpoint import load_model
from tagger.cli import (AT_LEAST_ONE, add_device_option, check_device, limit_kernel_cache,
                        number_type, run, usable_cpus)
from tagger.conllu import conllu_sentence
from tagger.errors import InputError
from tagger.lines import LineReader
from tagger.tagging import (MAX_SENTENCE_WORDS, predict, tagged_line, text_lines,
                            tokenized_lines, words_of)
from tagger.tokenizer import Token

PAGE = Path(__file__).with_name("page.html")
BATCH_WORDS = 20_000  # words tagged in one call at the most, however many requests wait


class Batcher:
    """The model's own thread: it loads the model and tags every request waiting in its queue
    together. Torch runs in this thread alone: torch work in a second thread brings a second pool
    of CPU threads, and tagging ran three times slower beside it."""

    def __init__(self, model_path, device, batch_size, threads):
        self.device, self.batch_size, self.threads = device, batch_size, threads
        self.waiting = queue.Queue()
        loaded = concurrent.futures.Future()
        self.thread = threading.Thread(target=self.work, args=(model_path, loaded), name="tagger",
                                       daemon=True)
        self.thread.start()
        # a bad model file: its InputError, raised here
        self.model, self.vocab, self.threads = loaded.result()

    def submit(self, sentences):
        """A Future of [{tag set: (tags, each tag's probability)}, ...] for word lists."""
        answer = concurrent.futures.Future()
        self.waiting.put((sentences, answer))
        return answer

    def work(self, model_path, loaded):
        torch.set_num_threads(self.threads)
        try:
            model, vocab = load_model(model_path, self.device)
        except Exception as error:  # noqa: BLE001 (the main thread raises it)
            loaded.set_exception(error)
            return
        loaded.set_result((model, vocab, torch.get_num_threads()))
        while (request := self.waiting.get()) is not None:
            batch, words = [request], sum(map(len, request[0]))
            while words < BATCH_WORDS and not self.waiting.empty():
                request = self.waiting.get()
                if request is None:  # closing: the requests taken are still answered
                    self.waiting.put(None)
                    break
                batch.append(request)
                words += sum(map(len, request[0]))
            sentences = [sentence for wanted, _ in batch for sentence in wanted]
            try:
                # a few sentences of each length: padded batches are faster
                predictions = predict(model, sentences, vocab, self.batch_size, self.device,
                                      same_length=False)
            except Exception as error:  # noqa: BLE001 (each request hears of it; the thread goes on)
                for _, answer in batch:
                    answer.set_exception(error)
                continue
            chosen = {name: iter(probabilities(vocab.tag_sets[name], prediction))
                      for name, prediction in predictions.items()}
            tagged = [{name: (prediction.tags[i], list(itertools.islice(chosen[name],
                                                                        len(sentences[i]))))
                       for name, prediction in predictions.items()}
                      for i in range(len(sentences))]
            first = 0
            for request_sentences, answer in batch:
                answer.set_result(tagged[first:first + len(request_sentences)])
                first += len(request_sentences)

    def close(self):
        self.waiting.put(None)
        self.thread.join()


def probabilities(tag_to_ix, prediction):
    """Each word's probability of the tag it was given, to 4 decimals, for all the sentences."""
    given = torch.tensor([tag_to_ix[tag] for tags in prediction.tags for tag in tags])
    log_probs = torch.cat(prediction.log_probs)  # (words, tags)
    # float64: 0.9877 stays 0.9877 in the JSON (a float32 would print as 0.9876999855041504)
    p = log_probs.gather(1, given.unsqueeze(1)).squeeze(1).double().exp()
    return ((p * 10_000).round() / 10_000).tolist()


def checked_text(value, what):
    """`value`, or a ValueError when it holds a lone surrogate ("\\ud800": JSON allows it)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} holds a lone surrogate, which is no character") from None
    return value


def request_lines(text, sentences):
    """(text, offset, tokens) of each sentence of a request: its text's lines (not the empty
    ones), or its word lists as one token a word; a problem is a ValueError or an InputError."""
    if (text is None) == (sentences is None):
        raise ValueError('give "text" or "sentences", one of them')
    if text is not None:
        reader = LineReader('"text"', io.BytesIO(checked_text(text, '"text"').encode("utf-8")))
        lines = [line for line in tokenized_lines(text_lines(reader, []), reader.name) if line[2]]
        if not lines:
            raise ValueError('"text" holds no word')
        return lines
    if not sentences:
        raise ValueError('"sentences" holds no sentence')
    for i, words in enumerate(sentences):
        if not 1 <= len(words) <= MAX_SENTENCE_WORDS:
            raise ValueError(f"sentence {i}: {len(words):,} words; 1 to {MAX_SENTENCE_WORDS:,} "
                             "are allowed")
        if any(not word or any(char.isspace() for char in checked_text(word, f"sentence {i}"))
               for word in words):
            raise ValueError(f"sentence {i}: a word is empty or holds whitespace")
    return [(" ".join(words), None, [Token(word, [word]) for word in words])
            for words in sentences]


def as_json(line, offset, tokens, tagged):
    """One tagged sentence as the JSON answer gives it: its tokens, their places, and each word
    with its tag and that tag's probability in each tag set ("upos", "upos_p", ...)."""
    columns = [(name, f"{name}_p", tags, p) for name, (tags, p) in tagged.items()]
    i, answer = 0, []
    for token in tokens:
        entry = {"text": token.text}
        if offset is not None:
            entry["start"] = offset + token.start
            entry["end"] = entry["start"] + len(token.text)
        entry["words"] = []
        for word in token.words:
            tagged_word = {"form": word}
            for name, p_name, tags, p in columns:
                tagged_word[name], tagged_word[p_name] = tags[i], p[i]
            entry["words"].append(tagged_word)
            i += 1
        answer.append(entry)
    return {"text": line, "tokens": answer}


class BodyLimit:
    """ASGI middleware: a POST body over `limit` bytes is refused (413) before it is read, and
    one whose length is not given (411), so a request never holds more memory than that."""

    def __init__(self, app, limit):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "POST":
            length = dict(scope["headers"]).get(b"content-length")
            if length is None:
                return await refuse(send, 411, "a request body needs a Content-Length")
            if not length.isdigit():
                return await refuse(send, 400, "Content-Length is not a number")
            if int(length) > self.limit:
                return await refuse(send, 413, f"the body is over {self.limit:,} bytes, this "
                                               "server's --max-request-bytes")
        await self.app(scope, receive, send)


async def refuse(send, status, detail):
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def make_app(batcher, health, max_request_bytes):
    """The FastAPI application: POST /tag, GET /health, GET /."""
    from typing import Literal

    import orjson
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
    from pydantic import BaseModel, ConfigDict, Field
    from starlette.exceptions import HTTPException as AnyHTTPException  # FastAPI's own raise it

    class TagRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        text: str | None = Field(None, description="raw text, one sentence a line; tokenized as "
                                                   "UD English EWT is")
        sentences: list[list[str]] | None = Field(None, description="sentences already split "
                                                                   "into words, never split again")
        format: Literal["json", "conllu"] = Field("json", description="conllu: what "
                                                  "python -m tagger.tag --conllu writes")

    class Word(BaseModel):
        form: str
        upos: str
        upos_p: float = Field(description="the UPOS tag's probability")
        xpos: str | None = Field(None, description="for a model trained with --xpos")
        xpos_p: float | None = None

    class TaggedToken(BaseModel):
        text: str
        start: int | None = Field(None, description="its first character in the request's text")
        end: int | None = Field(None, description="one past its last character")
        words: list[Word]

    class Sentence(BaseModel):
        text: str
        tokens: list[TaggedToken]

    class Tagged(BaseModel):
        sentences: list[Sentence]

    app = FastAPI(title="LSTM tagger", version="1", description=__doc__.split("\n\n")[-1])
    app.add_middleware(BodyLimit, limit=max_request_bytes)

    @app.exception_handler(AnyHTTPException)
    async def said_in_full(request, error):
        """FastAPI's answer, but a body that is not UTF-8 is named as such."""
        detail, cause = error.detail, error.__cause__
        if isinstance(cause, UnicodeDecodeError):
            detail = (f"the body is not valid UTF-8 (byte 0x{cause.object[cause.start]:02x} at "
                      f"{cause.start})")
        return JSONResponse({"detail": detail}, error.status_code, headers=error.headers)

    @app.post("/tag", response_model=None,
              responses={200: {"model": Tagged, "description": "the tags (or CoNLL-U)"}})
    async def tag(request: TagRequest):
        """Tag raw text or word lists: tags and probabilities as JSON, or CoNLL-U."""
        try:
            lines = request_lines(request.text, request.sentences)
        except (ValueError, InputError) as error:
            raise HTTPException(422, str(error)) from None
        tagged = await asyncio.wrap_future(batcher.submit([words_of(tokens)
                                                           for _, _, tokens in lines]))
        if request.format == "conllu":
            tags = [{name: tags for name, (tags, _) in sentence.items()} for sentence in tagged]
            if request.text is not None:  # as tagger.tag writes it, byte for byte
                text = "".join(tagged_line(*line, sentence_tags, conllu=True)
                               for line, sentence_tags in zip(lines, tags))
            else:
                text = "".join(conllu_sentence(line, tokens, sentence_tags)
                               for (line, _, tokens), sentence_tags in zip(lines, tags))
            return PlainTextResponse(text)
        # orjson: a large answer's JSON in a tenth of the time the json module takes (measured)
        return Response(orjson.dumps({"sentences": [as_json(*line, sentence)
                                                    for line, sentence in zip(lines, tagged)]}),
                        media_type="application/json")

    @app.get("/health")
    def health_check():
        """The model's tag sets and settings."""
        return health

    @app.get("/", response_class=HTMLResponse)
    def page():
        """A page to tag text in a browser (/?text=... opens it tagged)."""
        return PAGE.read_text(encoding="utf-8")

    return app


def listening_socket(host, port):
    """A TCP socket listening on host:port. Made as IPPROTO_TCP: asyncio then turns Nagle's
    algorithm off on each connection, which would otherwise hold every answer back ~40 ms."""
    family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                            proto=socket.IPPROTO_TCP)[0]
    listener = socket.socket(family, kind, protocol)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(address)
    listener.listen(1024)
    return listener


def parse_args(argv=None):
    """The command line: a model, where to listen, and the request limit."""
    parser = argparse.ArgumentParser(prog="python -m tagger.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", metavar="MODEL", help="a saved (.pt) or exported (.onnx) model")
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on; 0.0.0.0 lets other machines in "
                             "(default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=number_type(int, lambda n: 0 <= n < 65536, "0 to 65535"),
                        default=8000, help="0: any free port (default: 8000)")
    parser.add_argument("--max-request-bytes", type=AT_LEAST_ONE, default=1_000_000,
                        help="the largest request body taken (default: 1,000,000)")
    parser.add_argument("--threads", type=AT_LEAST_ONE,
                        help="CPU threads of the model (default: half the CPUs this process may "
                             "use; the others answer HTTP)")
    parser.add_argument("--batch-size", type=AT_LEAST_ONE, default=64,
                        help="sentences per batch, at least 1 (default: 64)")
    add_device_option(parser)
    return parser.parse_args(argv)


def main(argv=None):
    """Load the model and serve it until Ctrl-C or SIGTERM (exit 0); bad input: one line, exit 2."""
    args = parse_args(argv)
    limit_kernel_cache(256)  # requests meet more shapes than a stream: a larger cache pays

    def work():
        try:  # not in requirements.txt: only serving needs them
            import fastapi  # noqa: F401
            import uvicorn
        except ImportError:
            raise InputError("serving needs FastAPI and uvicorn: "
                             "pip install -r requirements-serve.txt") from None
        threads = args.threads or max(1, usable_cpus() // 2)
        batcher = Batcher(args.model, check_device(args.device), args.batch_size, threads)
        model, vocab = batcher.model, batcher.vocab
        try:
            listener = listening_socket(args.host, args.port)
        except OSError as error:
            raise InputError(f"--host {args.host} --port {args.port}: "
                             f"{error.strerror or error}") from None
        config = getattr(model, "config", None)
        health = {"status": "ok", "model": Path(args.model).name,
                  "tag_sets": {name: len(tags) for name, tags in vocab.tag_sets.items()},
                  "settings": vars(config) if config is not None else None,
                  "max_request_bytes": args.max_request_bytes, "threads": batcher.threads,
                  "max_sentence_words": MAX_SENTENCE_WORDS}
        app = make_app(batcher, health, args.max_request_bytes)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))

        def stop(signal_number, frame):
            server.should_exit = True
        # Ctrl-C or SIGTERM: uvicorn stops once the requests in flight are answered, and then
        # raises the signal again for the handler it found (this one: the exit is 0). One that
        # comes before uvicorn listens for it stops it as soon as it starts.
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, stop)
        host, port = listener.getsockname()[:2]
        print(f"serving {args.model} ("
              + ", ".join(f"{name}: {len(tags)} tags" for name, tags in vocab.tag_sets.items())
              + f") at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
        try:
            server.run(sockets=[listener])
        finally:
            batcher.close()
        print("stopped", file=sys.stderr)

    run(work, lambda: f"{args.model} was not served")


if __name__ == "__main__":
    main()
