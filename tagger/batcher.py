"""The model's own process: requests wait in a queue, and those waiting are tagged together."""
import concurrent.futures
import multiprocessing
import queue
import signal
import threading

import torch

from tagger.checkpoint import load_model
from tagger.errors import InputError
from tagger.tagging import predict

BATCH_WORDS = 20_000  # requests are taken into a call until it holds this many words or more


class ModelStopped(RuntimeError):
    """The model's process is gone (killed for memory, say): no request can be tagged."""


class Batcher:
    """Tags word lists in a process of its own (beside the event loop's GIL, tagging ran many
    times slower), sending it every request waiting as one batch."""

    def __init__(self, model_path, device, batch_size, threads):
        # spawn, not fork: a forked child of a process with threads may hang, and CUDA needs it
        context = multiprocessing.get_context("spawn")
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=tag_batches, name="tagger-model", daemon=True,
                                       args=(child_end, model_path, device, batch_size, threads))
        # Ctrl-C reaches the terminal's whole group, systemd's SIGTERM the service's: the server,
        # not its model, decides when to stop (it then closes the pipe). The child keeps SIG_IGN.
        handlers = {number: signal.signal(number, signal.SIG_IGN)
                    for number in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.process.start()
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)
        child_end.close()
        try:
            loaded = self.connection.recv()
        except EOFError:  # it died first (out of memory while loading, say)
            loaded = InputError(f"{model_path}: the model's process stopped while loading it")
        except BaseException:  # Ctrl-C while it loads: it ignores signals but SIGKILL
            self.process.kill()
            raise
        if isinstance(loaded, Exception):  # a bad model file: its InputError, raised here
            self.process.join()
            raise loaded
        self.tag_sets, self.settings, self.threads = loaded  # threads: torch's own count
        self.waiting = queue.Queue()
        self.thread = threading.Thread(target=self.send_batches, name="batcher", daemon=True)
        self.thread.start()

    def submit(self, sentences):
        """A Future of [{tag set: (tags, each tag's probability)}, ...] for word lists."""
        answer = concurrent.futures.Future()
        self.waiting.put((sentences, answer))
        return answer

    def send_batches(self):
        """Send the requests waiting to the model's process, and give each its own answers."""
        while (request := self.waiting.get()) is not None:
            batch, words = [], 0
            while request is not None:
                if request[1].set_running_or_notify_cancel():  # a cancelled one is dropped
                    batch.append(request)
                    words += sum(map(len, request[0]))
                if words >= BATCH_WORDS or self.waiting.empty():
                    break
                request = self.waiting.get()
                if request is None:  # closing: the requests taken are still answered
                    self.waiting.put(None)
            if not batch:
                continue
            try:
                self.connection.send([sentence for wanted, _ in batch for sentence in wanted])
                tagged = self.connection.recv()
            except (EOFError, OSError):  # the process was killed (out of memory, say)
                tagged = ModelStopped("the model's process stopped; restart the server")
            first = 0
            for sentences, answer in batch:
                if isinstance(tagged, Exception):  # each request hears of it; serving goes on
                    answer.set_exception(tagged)
                else:
                    answer.set_result(tagged[first:first + len(sentences)])
                first += len(sentences)

    def close(self):
        """Answer the requests taken, then stop the model's process."""
        self.waiting.put(None)
        self.thread.join()
        self.connection.close()  # the process reads the end of the pipe, and returns
        self.process.join()


def tag_batches(connection, model_path, device, batch_size, threads):
    """The model's process: load the model, tag each list of sentences until the pipe closes."""
    torch.set_num_threads(threads)
    try:
        model, vocab = load_model(model_path, device)
    except Exception as error:  # noqa: BLE001 (the server raises it)
        connection.send(error)
        return
    connection.send((vocab.tag_sets, model.config and vars(model.config),
                     torch.get_num_threads()))
    char_cache = {}  # character vectors kept between calls: most words come again
    while True:
        try:
            sentences = connection.recv()
        except EOFError:
            return
        try:
            # a few sentences of each length: padded batches are faster
            predictions = predict(model, sentences, vocab, batch_size, device, same_length=False,
                                  char_cache=char_cache)
            chosen = {name: iter(probabilities(vocab.tag_sets[name], prediction))
                      for name, prediction in predictions.items()}
            tagged = [{name: (prediction.tags[i], [next(chosen[name]) for _ in sentences[i]])
                       for name, prediction in predictions.items()}
                      for i in range(len(sentences))]
        except Exception as error:  # noqa: BLE001 (each request hears of it)
            tagged = error
        connection.send(tagged)


def probabilities(tag_to_ix, prediction):
    """Each word's probability of the tag it was given, to 4 decimals, for all the sentences."""
    given = torch.tensor([tag_to_ix[tag] for tags in prediction.tags for tag in tags])
    log_probs = torch.cat(prediction.log_probs)  # (words, tags)
    # float64: 0.9877 stays 0.9877 in the JSON (a float32 would print as 0.9876999855041504)
    p = log_probs.gather(1, given.unsqueeze(1)).squeeze(1).double().exp()
    return ((p * 10_000).round() / 10_000).tolist()
