"""The tutorial's opening LSTM example, then a numerical walk through softmax, log_softmax,
NLLLoss and CrossEntropyLoss.

    python main_example.py
    python main_example.py --figures figures     # the two figures of docs/losses.md

Every number printed here is computed here; docs/losses.md quotes this output and a test
checks that the two agree.
"""
import argparse
import io
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from model_lstm_tagger import LSTMTagger


def heading(title):
    """Print a section heading."""
    print(f"\n== {title} ==")


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


def nll_worked_example():
    """Section 1: what F.nll_loss computes on the probabilities [[0.8, 0.2], [0.6, 0.4]]."""
    probabilities = torch.tensor([[0.8, 0.2], [0.6, 0.4]])
    target = torch.tensor([0, 0])
    log_probs = probabilities.log()
    n = len(target)
    # NLLLoss does not check that its input holds log-probabilities: feed it anything.
    not_log_probs = torch.tensor([[2.0, -1.0], [0.5, 3.0]])
    not_target = torch.tensor([0, 1])
    return {
        "log_probs": log_probs,
        "mean": F.nll_loss(log_probs, target).item(),
        "sum": F.nll_loss(log_probs, target, reduction="sum").item(),
        "by_hand": (-log_probs[range(n), target].mean()).item(),
        "arbitrary": F.nll_loss(not_log_probs, not_target).item(),
        "arbitrary_by_hand": (-not_log_probs[range(n), not_target].mean()).item(),
    }


def nll_equals_cross_entropy(n=4, classes=5, seed=0):
    """Section 2: NLL(log_softmax(x)) vs cross_entropy(x): values and gradients agree."""
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, classes, generator=generator) * 3
    target = torch.randint(classes, (n,), generator=generator)

    x_nll = logits.clone().requires_grad_()
    nll = F.nll_loss(F.log_softmax(x_nll, dim=-1), target)
    nll.backward()
    x_ce = logits.clone().requires_grad_()
    ce = F.cross_entropy(x_ce, target)
    ce.backward()
    # The gradient of the mean cross entropy is (softmax(x) - one_hot(target)) / n.
    formula = (F.softmax(logits, dim=-1) - F.one_hot(target, classes)) / n
    return {
        "nll": nll.item(), "ce": ce.item(),
        "loss_difference": abs(nll.item() - ce.item()),
        "gradient_difference": (x_nll.grad - x_ce.grad).abs().max().item(),
        "formula_difference": (x_ce.grad - formula).abs().max().item(),
    }


def recover_probabilities(seed=0):
    """Section 3: exp(log_softmax(x)) and softmax(x, dim=-1) give the same rows, summing to 1."""
    logits = torch.randn(3, 4, generator=torch.Generator().manual_seed(seed)) * 3
    from_log = F.log_softmax(logits, dim=-1).exp()
    direct = F.softmax(logits, dim=-1)
    return {"from_log": from_log, "direct": direct,
            "difference": (from_log - direct).abs().max().item(), "row_sums": direct.sum(dim=-1)}


def first_overflowing_integer(dtype):
    """The smallest whole number whose exp is inf in `dtype`."""
    x = 1
    while not torch.isinf(torch.exp(torch.tensor(float(x), dtype=dtype))):
        x += 1
    return x


def naive_and_fused_loss(gap, dtype=torch.float32):
    """Loss and gradient of -log(softmax(x))[0] and cross_entropy(x, 0) for logits [0, gap].

    The true class trails the other by `gap`; both losses should equal about `gap`.
    Returns (naive_loss, naive_gradient_finite, fused_loss, fused_gradient_finite).
    """
    x_naive = torch.tensor([[0.0, gap]], dtype=dtype, requires_grad=True)
    naive = -torch.log(F.softmax(x_naive, dim=-1))[0, 0]
    naive.backward()
    x_fused = torch.tensor([[0.0, gap]], dtype=dtype, requires_grad=True)
    fused = F.cross_entropy(x_fused, torch.tensor([0]))
    fused.backward()
    return (naive.item(), bool(x_naive.grad.isfinite().all()),
            fused.item(), bool(x_fused.grad.isfinite().all()))


def subnormal_onset_and_first_wrong_gap(dtype=torch.float32):
    """Where log(softmax(x)) starts to lose precision, for logits [0, gap].

    Returns (gap, first_wrong): from `gap` = -log(smallest normal float) on, the true class's
    probability is a subnormal float, which has fewer significant bits the smaller it gets;
    `first_wrong` is the first whole gap at which -log(softmax(x))[t], printed to 4 decimals,
    is no longer the gap itself.
    """
    gap = -math.log(torch.finfo(dtype).tiny)
    first_wrong = math.ceil(gap)
    while f"{naive_and_fused_loss(float(first_wrong), dtype)[0]:.4f}" == f"{first_wrong:.4f}":
        first_wrong += 1
    return gap, first_wrong


def logsumexp_by_hand(x):
    """log(sum(exp(x))) over the last dimension without overflow: subtract the max first."""
    biggest = x.max(dim=-1, keepdim=True).values
    return (biggest + (x - biggest).exp().sum(dim=-1, keepdim=True).log()).squeeze(-1)


def true_class_gradients(p_true):
    """Section 5: d loss / d (true-class logit) for cross entropy and for MSE on softmax.

    Two classes, with logits chosen so that softmax gives the true class probability p_true.
    """
    gradients = []
    for loss_name in ("ce", "mse"):
        logits = torch.tensor([[math.log(p_true), math.log(1 - p_true)]], dtype=torch.float64,
                              requires_grad=True)
        target = torch.tensor([0])
        if loss_name == "ce":
            loss = F.cross_entropy(logits, target)
        else:
            loss = F.mse_loss(F.softmax(logits, dim=-1), F.one_hot(target, 2).double())
        loss.backward()
        gradients.append(logits.grad[0, 0].item())
    return tuple(gradients)


def cross_entropy_is_kl_plus_entropy(seed=0):
    """Section 5: with soft targets q, cross_entropy(x, q) = KL(q || softmax(x)) + H(q)."""
    logits = torch.randn(1, 3, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    q = torch.tensor([[0.7, 0.2, 0.1]], dtype=torch.float64)
    ce = F.cross_entropy(logits, q).item()  # a float target is read as class probabilities
    kl = F.kl_div(F.log_softmax(logits, dim=-1), q, reduction="batchmean").item()
    entropy = -(q * q.log()).sum().item()
    return {"ce": ce, "kl": kl, "entropy": entropy}


def where_equivalence_stops():
    """Section 6: label smoothing (cross entropy only) and class weights (a weighted mean)."""
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0], [1.5, -0.5, 0.3]])
    target = torch.tensor([0, 1, 2])
    log_probs = F.log_softmax(logits, dim=-1)
    eps, classes = 0.1, logits.size(1)
    smoothed = F.cross_entropy(logits, target, label_smoothing=eps).item()
    # Label smoothing mixes the one-hot target with a uniform one:
    # (1 - eps) * CE + eps * mean(-log p).
    uniform_part = (-log_probs.mean(dim=-1)).mean()
    smoothed_by_hand = ((1 - eps) * F.nll_loss(log_probs, target) + eps * uniform_part).item()
    weight = torch.tensor([1.0, 2.0, 5.0])
    per_token = F.nll_loss(log_probs, target, reduction="none")
    return {
        "plain": F.cross_entropy(logits, target).item(),
        "smoothed": smoothed, "smoothed_by_hand": smoothed_by_hand, "classes": classes,
        "weighted_nll": F.nll_loss(log_probs, target, weight=weight).item(),
        "weighted_ce": F.cross_entropy(logits, target, weight=weight).item(),
        "weighted_by_hand": ((weight[target] * per_token).sum() / weight[target].sum()).item(),
        "weighted_over_n": ((weight[target] * per_token).sum() / len(target)).item(),
    }


def pyplot():
    """matplotlib's pyplot, drawing to files (no window); imported only to draw the figures."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_loss_against_gap(path):
    """-log(softmax(x))[t] and cross_entropy(x) in float32 as the true class falls behind."""
    gaps = [g / 2 for g in range(0, 241)]  # 0 to 120 in steps of 0.5
    naive, fused, first_inf = [], [], None
    for gap in gaps:
        naive_loss, _, fused_loss, _ = naive_and_fused_loss(gap)
        if naive_loss == float("inf") and first_inf is None:
            first_inf = gap
        # matplotlib skips nan
        naive.append(naive_loss if naive_loss != float("inf") else float("nan"))
        fused.append(fused_loss)
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 4))
    axes.plot(gaps, fused, label="cross_entropy(x)  (log-sum-exp inside)", linewidth=3, alpha=0.5)
    axes.plot(gaps, naive, label="-log(softmax(x))[t]", linestyle="--", color="black")
    axes.axvline(first_inf, color="red", linewidth=1)
    axes.annotate(f"-log(softmax) = inf from gap {first_inf:g}", (first_inf, 20), xytext=(-5, 0),
                  textcoords="offset points", ha="right", color="red")
    axes.set_xlabel("logit gap: how far the true class trails the other (float32)")
    axes.set_ylabel("loss")
    axes.set_title("The naive loss overflows; the fused one stays exact")
    axes.legend(loc="upper left")
    figure.tight_layout()
    save_png(figure, path)


def plot_gradients(path):
    """|d loss / d true-class logit| for cross entropy and for MSE on softmax, against p(true)."""
    probabilities = [10 ** (k / 20) for k in range(-80, 0)]  # 1e-4 to 0.89, evenly on a log scale
    ce, mse = zip(*(true_class_gradients(p) for p in probabilities))
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 4))
    axes.plot(probabilities, [abs(g) for g in ce], label="cross entropy")
    axes.plot(probabilities, [abs(g) for g in mse], label="MSE on softmax probabilities")
    axes.set_xscale("log")
    axes.set_xlabel("predicted probability of the true class")
    axes.set_ylabel("|gradient| w.r.t. the true-class logit")
    axes.set_title("Confidently wrong: the MSE gradient vanishes")
    axes.legend()
    figure.tight_layout()
    save_png(figure, path)


def save_png(figure, path):
    """Write a figure as PNG to a new file beside `path`, then rename it to `path`.

    A link or file someone planted at `path` is replaced, never written through.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    pyplot().close(figure)
    temporary = None
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                                 suffix=".tmp")
        with os.fdopen(descriptor, "wb") as file:
            file.write(buffer.getvalue())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as open() would make it (mkstemp makes 0600)
        os.replace(temporary, path)
    except OSError as error:
        sys.exit(f"error: {path}: cannot write it: {error.strerror}")
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def draw_figures(folder):
    """The losses page's two figures (sections 4 and 5), as PNG files in `folder`."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        sys.exit(f"error: --figures {folder}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        sys.exit(f"error: --figures {folder}: cannot make the folder: {error.strerror}")
    for name, draw in (("loss_vs_gap.png", plot_loss_against_gap),
                       ("gradient_vs_probability.png", plot_gradients)):
        draw(folder / name)
        print(f"wrote {folder / name}")


def main():
    """Print section 0, the tutorial's LSTM example, and 1-6, the losses (7: crf_example.py)."""
    heading("0. An LSTM one step at a time, or the whole sequence at once")
    zero = lstm_step_by_step_and_whole()
    print("nn.LSTM(3, 3), 5 random inputs, the same (h_0, c_0) both ways")
    print(f"max |out, one step at a time - out, one call|:  {zero['step_vs_whole']:.1e}")
    print(f"max |last row of out - h_n|:                    {zero['last_out_vs_h_n']:.1e}")
    print("the tutorial's one call starts from a new random (h_0, c_0): its last row of out "
          f"differs by {zero['step_vs_fresh_last']:.4f}")
    print("two calls, the second from the first's (h_n, c_n), vs one call: "
          f"{zero['split_vs_whole']:.1e} (gradients: {zero['split_gradient_difference']:.1e})")
    print(f"out: {zero['shape']} (seq_len, batch, features); with batch_first=True: "
          f"{zero['batch_first_shape']}, the same numbers transposed (difference "
          f"{zero['batch_first_difference']:.1e})")
    seconds = lstm_loop_and_call_seconds()
    print(f"1000 steps: a Python loop of single steps {seconds['loop']:.4f} s, one call "
          f"{seconds['call']:.4f} s ({seconds['loop'] / seconds['call']:.0f}x)")
    state = why_the_tagger_keeps_no_state()
    print(f"a tagger that keeps self.hidden: the second sentence's scores change by up to"
          f" {state['stateful_difference']:.4f} after the first")
    print(f"  and backward on the second sentence fails: RuntimeError: {state['error']}")
    print(f"LSTMTagger (no kept state): change {state['stateless_difference']:.1e}")

    heading("1. What F.nll_loss really computes")
    one = nll_worked_example()
    print("probabilities [[0.8, 0.2], [0.6, 0.4]], targets [0, 0]")
    print(f"log-probabilities: {one['log_probs'].tolist()[0][0]:.4f} "
          f"{one['log_probs'].tolist()[0][1]:.4f} / {one['log_probs'].tolist()[1][0]:.4f} "
          f"{one['log_probs'].tolist()[1][1]:.4f}")
    print(f"nll_loss (reduction='mean'): {one['mean']:.4f}")
    print(f"nll_loss (reduction='sum'):  {one['sum']:.4f}   (the textbook negative log-likelihood)")
    print(f"-log_probs[range(n), target].mean(): {one['by_hand']:.4f}")
    print("NLLLoss checks nothing: on [[2.0, -1.0], [0.5, 3.0]] with targets [0, 1], not "
          "log-probabilities,")
    print(f"nll_loss = {one['arbitrary']:.4f} = -mean(x[i, target[i]]) = "
          f"{one['arbitrary_by_hand']:.4f} (a negative 'loss'): a gather, a negation and a mean")

    heading("2. nll_loss(log_softmax(x)) == cross_entropy(x)")
    two = nll_equals_cross_entropy()
    print(f"random logits, 4 rows x 5 classes: nll_loss(log_softmax(x)) = {two['nll']:.6f},"
          f" cross_entropy(x) = {two['ce']:.6f}")
    print(f"max |difference| in the loss:             {two['loss_difference']:.1e}")
    print(f"max |difference| in d loss / d logits:    {two['gradient_difference']:.1e}")
    print(f"max |gradient - (softmax(x) - one_hot)/n|: {two['formula_difference']:.1e}")

    heading("3. Probabilities back from each output")
    three = recover_probabilities()
    print(f"max |exp(log_softmax(x)) - softmax(x, dim=-1)|: {three['difference']:.1e}")
    print("row sums: " + " ".join(f"{s:.6f}" for s in three["row_sums"].tolist()))

    heading("4. Why not log(softmax(x))")
    for dtype, name in ((torch.float32, "float32"), (torch.float64, "float64")):
        print(f"{name}: exp overflows above log(max) = {math.log(torch.finfo(dtype).max):.2f};"
              f" first integer with exp(x) = inf: {first_overflowing_integer(dtype)}")
    big = torch.tensor([1000.0, 0.0])
    naive_softmax = big.exp() / big.exp().sum()
    print(f"logits [1000, 0]: exp(x) / exp(x).sum() = {naive_softmax.tolist()};"
          f" torch.softmax = {F.softmax(big, dim=-1).tolist()} (it subtracts the max first)")
    print("true class trails by gap (float32):  -log(softmax(x))[t]  grad ok   cross_entropy  "
          "grad ok")
    for gap in (10.0, 88.0, 89.0, 96.0, 100.0, 103.0, 104.0):
        naive, naive_ok, fused, fused_ok = naive_and_fused_loss(gap)
        print(f"  gap {gap:5.0f}                     {naive:18.4f}  {str(naive_ok):>7}   "
              f"{fused:13.4f}  {str(fused_ok):>7}")
    subnormal_gap, first_wrong = subnormal_onset_and_first_wrong_gap()
    print(f"p = exp(-gap) is subnormal (below {torch.finfo(torch.float32).tiny:.4e}) from gap "
          f"{subnormal_gap:.2f}; -log(softmax(x))[t] first prints wrong at gap {first_wrong}")
    x = torch.tensor([1000.0, 999.0, 10.0])
    print(f"log-sum-exp by hand on [1000, 999, 10]: {logsumexp_by_hand(x).item():.4f};"
          f" torch.logsumexp: {torch.logsumexp(x, dim=-1).item():.4f};"
          f" naive log(exp(x).sum()): {x.exp().sum().log().item()}")

    heading("5. Why cross entropy rather than MSE")
    print("p(true class)   d CE / d logit   d MSE(softmax) / d logit")
    for p in (0.001, 0.01, 0.1, 0.5, 0.9, 0.99):
        ce_grad, mse_grad = true_class_gradients(p)
        print(f"{p:13.3f}   {ce_grad:14.4f}   {mse_grad:24.6f}")
    print("MLE: minimising cross entropy maximises the log-likelihood of the training tags.")
    print("KL: cross entropy = KL(target || predicted) + entropy(target); the entropy does not "
          "depend on the model.")
    five = cross_entropy_is_kl_plus_entropy()
    print(f"soft target [0.7, 0.2, 0.1]: cross_entropy = {five['ce']:.6f}, KL = {five['kl']:.6f},"
          f" entropy = {five['entropy']:.6f}, KL + entropy = {five['kl'] + five['entropy']:.6f}")

    heading("6. Where the equivalence stops")
    six = where_equivalence_stops()
    print(f"cross_entropy: {six['plain']:.4f}; with label_smoothing=0.1: {six['smoothed']:.4f} = "
          f"0.9 * nll + 0.1 * mean(-log p) = {six['smoothed_by_hand']:.4f} (nll_loss has no such "
          "option)")
    print(f"class weights [1, 2, 5], targets [0, 1, 2]: nll_loss = {six['weighted_nll']:.4f},"
          f" cross_entropy = {six['weighted_ce']:.4f}")
    print(f"  = sum(w[t] * loss) / sum(w[t]) = {six['weighted_by_hand']:.4f},"
          f" not sum(w[t] * loss) / n = {six['weighted_over_n']:.4f}")


if __name__ == "__main__":
    from main import run_cleanly  # a closed pipe, a full disk, Ctrl-C: one line, no traceback
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figures", metavar="DIR", help="draw the losses page's two figures into "
                                                         "DIR instead (needs matplotlib: pip "
                                                         "install -r requirements-dev.txt)")
    figures_folder = parser.parse_args().figures
    if figures_folder is not None and not figures_folder.strip():
        parser.error("--figures: an empty path (an unset variable?)")
    run_cleanly(lambda: draw_figures(figures_folder) if figures_folder else main())
