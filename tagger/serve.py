"""Serve a trained tagger over HTTP: POST /tag, GET /health, and a page to try it at /.

    python -m tagger.serve ewt.pt                  # http://127.0.0.1:8000/, Ctrl-C to stop
    curl -s --json '{"text": "I saw her duck."}' http://127.0.0.1:8000/tag

A process of its own holds the model: requests that arrive while it is busy wait, and are tagged
together in its next batch. FastAPI documents the request and the answer at /docs.
"""
import argparse
import signal
import socket
import sys
from pathlib import Path

from tagger.batcher import Batcher
from tagger.cli import (AT_LEAST_ONE, add_device_option, check_device, limit_kernel_cache,
                        number_type, run)
from tagger.errors import InputError
from tagger.http_api import make_app
from tagger.tagging import MAX_SENTENCE_WORDS

KERNEL_CACHE = 256  # oneDNN kernels: requests meet more shapes than a stream does


def listening_socket(host, port):
    """A TCP socket on host:port, made as IPPROTO_TCP: asyncio then turns Nagle's algorithm off
    (which held every answer back ~40 ms)."""
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
    add = parser.add_argument
    add("model", metavar="MODEL", help="a saved (.pt) or exported (.onnx) model")
    add("--host", default="127.0.0.1", help="0.0.0.0 lets other machines in (default: 127.0.0.1)")
    add("--port", type=number_type(int, lambda n: 0 <= n < 65536, "0 to 65535"), default=8000,
        help="0: any free port (default: 8000)")
    add("--max-request-bytes", type=AT_LEAST_ONE, default=1_000_000, help="(default: 1,000,000)")
    add("--threads", type=AT_LEAST_ONE, default=1, help="CPU threads of the model's process "
        "(default: 1: a request's batches are small, and more threads mostly wait, busily)")
    add("--batch-size", type=AT_LEAST_ONE, default=128, help="sentences a batch (default: 128)")
    add_device_option(parser)
    return parser.parse_args(argv)


def main(argv=None):
    """Load the model and serve it until Ctrl-C or SIGTERM (exit 0); bad input: one line, exit 2."""
    args = parse_args(argv)
    limit_kernel_cache(KERNEL_CACHE)

    def work():
        try:
            import fastapi  # noqa: F401
            import uvicorn
        except ImportError:
            raise InputError("serving needs FastAPI and uvicorn: "
                             "pip install -r requirements-serve.txt") from None
        batcher = Batcher(args.model, check_device(args.device), args.batch_size, args.threads)
        try:
            listener = listening_socket(args.host, args.port)
        except OSError as error:
            raise InputError(f"--host {args.host} --port {args.port}: "
                             f"{error.strerror or error}") from None
        health = {"status": "ok", "model": Path(args.model).name,
                  "tag_sets": {name: len(tags) for name, tags in batcher.tag_sets.items()},
                  "settings": batcher.settings,
                  "max_request_bytes": args.max_request_bytes, "threads": batcher.threads,
                  "max_sentence_words": MAX_SENTENCE_WORDS}
        app = make_app(batcher, health, args.max_request_bytes)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))

        def stop(signal_number, frame):
            server.should_exit = True
        # Ctrl-C, SIGTERM: uvicorn answers the requests in flight, stops, then calls this (exit 0).
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, stop)
        host, port = listener.getsockname()[:2]
        host = f"[{host}]" if ":" in host else host  # an IPv6 address, as a URL writes it
        print(f"serving {args.model} ("
              + ", ".join(f"{name}: {len(tags)} tags" for name, tags in batcher.tag_sets.items())
              + f") at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
        try:
            server.run(sockets=[listener])
        finally:
            batcher.close()
        print("stopped", file=sys.stderr)

    run(work, lambda: f"{args.model} was not served")


if __name__ == "__main__":
    main()
