"""Draw the README's two figures from the functions in main_example.py.

    python figures.py --out figures      # needs matplotlib (pip install -r requirements-dev.txt)
"""
import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw to files; no window, no display needed
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen before this import)

from main_example import naive_and_fused_loss, true_class_gradients  # noqa: E402


def plot_loss_against_gap(path):
    """Loss of -log(softmax(x))[t] and cross_entropy(x) in float32 as the true class falls behind."""
    gaps = [g / 2 for g in range(0, 241)]  # 0 to 120 in steps of 0.5
    naive, fused, first_inf = [], [], None
    for gap in gaps:
        naive_loss, _, fused_loss, _ = naive_and_fused_loss(gap)
        if naive_loss == float("inf") and first_inf is None:
            first_inf = gap
        naive.append(naive_loss if naive_loss != float("inf") else float("nan"))  # matplotlib skips nan
        fused.append(fused_loss)
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
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_gradients(path):
    """|d loss / d true-class logit| for cross entropy and for MSE on softmax, against p(true)."""
    probabilities = [10 ** (k / 20) for k in range(-80, 0)]  # 1e-4 to 0.89, evenly on a log scale
    ce, mse = zip(*(true_class_gradients(p) for p in probabilities))
    figure, axes = plt.subplots(figsize=(6.4, 4))
    axes.plot(probabilities, [abs(g) for g in ce], label="cross entropy")
    axes.plot(probabilities, [abs(g) for g in mse], label="MSE on softmax probabilities")
    axes.set_xscale("log")
    axes.set_xlabel("predicted probability of the true class")
    axes.set_ylabel("|gradient| w.r.t. the true-class logit")
    axes.set_title("Confidently wrong: the MSE gradient vanishes")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv=None):
    """Write loss_vs_gap.png and gradient_vs_probability.png into --out."""
    parser = argparse.ArgumentParser(description="Draw the README's figures.")
    parser.add_argument("--out", default="figures", help="folder to write the PNG files to (default: figures)")
    out = Path(parser.parse_args(argv).out)
    out.mkdir(parents=True, exist_ok=True)
    plot_loss_against_gap(out / "loss_vs_gap.png")
    plot_gradients(out / "gradient_vs_probability.png")
    print(f"wrote {out / 'loss_vs_gap.png'} and {out / 'gradient_vs_probability.png'}")


if __name__ == "__main__":
    main()
