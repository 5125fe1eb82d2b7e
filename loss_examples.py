"""softmax, log_softmax, NLLLoss and CrossEntropyLoss on numbers: what each computes, where
log(softmax(x)) fails in float32 and cross_entropy does not, and where the two losses differ."""
import math

import torch
import torch.nn.functional as F


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
