"""The model's own thread: requests wait in its queue, and those waiting are tagged together."""
import concurrent.futures
import itertools
import queue
import threading

import torch

from tagger.checkpoint import load_model
from tagger.tagging import predict

BATCH_WORDS = 20_000  # words tagged in one call at the most, however many requests wait


class Batcher:
    """The model's own thread: it loads the model and tags every request waiting in its queue
    together. Torch runs in this thread alone: torch work in a second thread brings a second pool
    of CPU threads, and tagging ran three times slower beside it."""

    def __init__(self, model_path, device, batch_size, threads):
        self.device, self.batch_size = device, batch_size
        self.waiting = queue.Queue()
        loaded = concurrent.futures.Future()
        self.thread = threading.Thread(target=self.work, args=(model_path, threads, loaded),
                                       name="tagger", daemon=True)
        self.thread.start()
        # torch's own count of its threads; a bad model file: its InputError, raised here
        self.model, self.vocab, self.threads = loaded.result()

    def submit(self, sentences):
        """A Future of [{tag set: (tags, each tag's probability)}, ...] for word lists."""
        answer = concurrent.futures.Future()
        self.waiting.put((sentences, answer))
        return answer

    def work(self, model_path, threads, loaded):
        torch.set_num_threads(threads)
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
            except Exception as error:  # noqa: BLE001 (each request hears of it; the thread lives)
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
