"""The tutorial's opening LSTM example, measured: one step at a time or the whole sequence at
once, what a loop of single steps costs, and why a tagger keeps no hidden state between calls."""
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from model_lstm_tagger import LSTMTagger


def lstm_step_by_step_and_whole(seed=1):
    """Section 0: the tutorial's nn.LSTM(3, 3) over five inputs, one step at a time and in one call.

    Both start from the same (h_0, c_0). Returns the largest differences between the ways,
    and between the step-by-step run and the tutorial's one-call run, which draws a new random
    (h_0, c_0) first (the random draws follow the tutorial's order, so with seed 1 they are its
    numbers).
    """
    torch.manual_seed(seed)
    lstm = nn.LSTM(3, 3)  # input size 3, hidden size 3, as in the tutorial
    inputs = torch.randn(5, 1, 3)  # (seq_len, batch, features): the default layout
    hidden_0 = (torch.randn(1, 1, 3), torch.randn(1, 1, 3))  # (layers, batch, hidden)

    # 1. Input by input, from (h_0, c_0), each later call handed the (h, c) the one before returned.
    hidden, step_outputs = hidden_0, []
    for element in inputs:
        out, hidden = lstm(element.view(1, 1, -1), hidden)
        step_outputs.append(out)
    stepped = torch.cat(step_outputs)  # (5, 1, 3)
    # The whole sequence in one call, from the same initial state.
    whole, (h_n, c_n) = lstm(inputs, hidden_0)
    # The tutorial instead draws a fresh random state here ("clean out hidden state"), so its
    # one-call run starts elsewhere and its outputs differ from the step-by-step run's.
    fresh_hidden = (torch.randn(1, 1, 3), torch.randn(1, 1, 3))
    whole_from_fresh, _ = lstm(inputs, fresh_hidden)

    # 3. Two calls, the second continuing from the first's (h_n, c_n): what `hidden` is for.
    first, first_hidden = lstm(inputs[:2], hidden_0)
    second, _ = lstm(inputs[2:], first_hidden)
    split = torch.cat([first, second])
    gradients = [torch.autograd.grad(output.sum(), list(lstm.parameters()))
                 for output in (whole, split)]

    # 4. batch_first=True (the real-data tagger's layout): the same weights, numbers transposed.
    batch_first = nn.LSTM(3, 3, batch_first=True)
    batch_first.load_state_dict(lstm.state_dict())
    # hidden stays (layers, batch, hidden)
    whole_batch_first, _ = batch_first(inputs.transpose(0, 1), hidden_0)
    return {
        "step_vs_whole": (stepped - whole).abs().max().item(),
        "step_vs_fresh_last": (stepped[-1] - whole_from_fresh[-1]).abs().max().item(),
        "last_out_vs_h_n": (whole[-1] - h_n[-1]).abs().max().item(),
        "split_vs_whole": (split - whole).abs().max().item(),
        "split_gradient_difference": max((a - b).abs().max().item() for a, b in zip(*gradients)),
        "shape": tuple(whole.shape), "batch_first_shape": tuple(whole_batch_first.shape),
        "batch_first_difference": (whole_batch_first.transpose(0, 1) - whole).abs().max().item(),
    }


def lstm_loop_and_call_seconds(steps=1000, seed=1):
    """Section 0: seconds for `steps` single steps in a Python loop, and one call (best of 3)."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(3, 3)
    inputs = torch.randn(steps, 1, 3)
    seconds = {}
    with torch.no_grad():
        for way in ("loop", "call"):
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                if way == "loop":
                    hidden = None  # None: start from zeros
                    for element in inputs:
                        _, hidden = lstm(element.view(1, 1, -1), hidden)
                else:
                    lstm(inputs)
                best = min(best, time.perf_counter() - start)
            seconds[way] = best
    return seconds


class StatefulTagger(nn.Module):
    """A tagger that keeps its LSTM's (h, c) in self.hidden between calls, as an older version of
    the tutorial did. For section 0 only: it shows why LSTMTagger keeps no state."""

    def __init__(self, vocab_size, tagset_size):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, 3)
        self.lstm = nn.LSTM(3, 3)
        self.hidden2tag = nn.Linear(3, tagset_size)
        self.hidden = None  # None: the next call starts from zeros

    def forward(self, sentence):
        lstm_out, self.hidden = self.lstm(self.word_embeddings(sentence).view(len(sentence), 1, -1),
                                          self.hidden)
        return F.log_softmax(self.hidden2tag(lstm_out.view(len(sentence), -1)), dim=1)


def why_the_tagger_keeps_no_state(seed=1):
    """Section 0: a kept hidden state changes the next sentence's scores and breaks backward."""
    torch.manual_seed(seed)
    first, second = torch.tensor([0, 1, 2]), torch.tensor([3, 1, 4])
    stateful = StatefulTagger(vocab_size=5, tagset_size=3)
    second_alone = stateful(second)
    stateful.hidden = None
    stateful(first)
    second_after_first = stateful(second)  # starts from the state the first sentence left

    stateful.hidden = None
    stateful(first).sum().backward()
    try:
        stateful(second).sum().backward()  # its graph reaches back into the first, already freed
        error = "no error"
    except RuntimeError as caught:
        error = str(caught).split(". ")[0]

    stateless = LSTMTagger(3, 3, vocab_size=5, tagset_size=3)
    alone = stateless(second)
    stateless(first)
    return {
        "stateful_difference": (second_after_first - second_alone).abs().max().item(),
        "error": error,
        "stateless_difference": (stateless(second) - alone).abs().max().item(),
    }
