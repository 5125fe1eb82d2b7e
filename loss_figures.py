"""The losses page's two figures: the loss as the true class falls behind, and its gradient."""
import io
import os
import sys
import tempfile
from pathlib import Path

from loss_examples import naive_and_fused_loss, true_class_gradients


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
