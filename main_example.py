"""The tutorial's opening LSTM example, then a numerical walk through softmax, log_softmax,
NLLLoss and CrossEntropyLoss.

    python main_example.py
    python main_example.py --figures figures     # the two figures of docs/losses.md

Every number printed is computed by this file or the three it imports from (lstm_example.py,
loss_examples.py, loss_figures.py); docs/losses.md quotes this output and a test checks that the
two agree.
"""
import argparse
import math

import torch
import torch.nn.functional as F

from loss_examples import (cross_entropy_is_kl_plus_entropy, first_overflowing_integer,
                           logsumexp_by_hand, naive_and_fused_loss, nll_equals_cross_entropy,
                           nll_worked_example, recover_probabilities,
                           subnormal_onset_and_first_wrong_gap, true_class_gradients,
                           where_equivalence_stops)
from lstm_example import (lstm_loop_and_call_seconds, lstm_step_by_step_and_whole,
                          why_the_tagger_keeps_no_state)


def heading(title):
    """Print a section heading."""
    print(f"\n== {title} ==")


def main():
    """Print section 0, the tutorial's LSTM example, and 1-6, the losses (7: the CRF example)."""
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
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--figures", metavar="DIR",
                        help="draw the losses page's two figures into DIR instead (needs "
                             "matplotlib: pip install -r requirements-dev.txt)")
    figures_folder = parser.parse_args().figures
    if figures_folder:
        from loss_figures import draw_figures  # matplotlib: only for the figures
        draw_figures(figures_folder)
    else:
        main()
