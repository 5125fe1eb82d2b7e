"""Every claim that main_example.py prints (lstm_example.py, loss_examples.py), the losses
page, and its figures."""
import math
import re
import struct

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import loss_examples as losses
import lstm_example
from conftest import (ROOT, NUMBER, assert_same_output, doc_text, readme_block, run_script,
                      script_output)


def test_lstm_step_by_step_equals_one_call_and_split_calls_continue_it():
    zero = lstm_example.lstm_step_by_step_and_whole()
    assert zero["step_vs_whole"] < 1e-6 and zero["last_out_vs_h_n"] < 1e-6
    assert zero["split_vs_whole"] < 1e-6 and zero["split_gradient_difference"] < 1e-6
    assert zero["shape"] == (5, 1, 3) and zero["batch_first_shape"] == (1, 5, 3)
    assert zero["batch_first_difference"] < 1e-6
    # The tutorial draws a new (h_0, c_0) before its one-call run, so its two runs disagree.
    assert zero["step_vs_fresh_last"] > 1e-3


def test_a_kept_hidden_state_leaks_and_breaks_backward_and_the_tagger_keeps_none():
    state = lstm_example.why_the_tagger_keeps_no_state()
    assert state["stateful_difference"] > 1e-3
    assert state["error"].startswith("Trying to backward through the graph a second time")
    assert state["stateless_difference"] == 0.0


def test_nll_worked_example():
    one = losses.nll_worked_example()
    assert one["mean"] == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2, abs=1e-6)
    assert round(one["mean"], 4) == 0.3670 and round(one["sum"], 4) == 0.7340
    assert one["by_hand"] == pytest.approx(one["mean"], abs=1e-7)


def test_nll_loss_does_not_check_its_input():
    one = losses.nll_worked_example()
    assert one["arbitrary"] == one["arbitrary_by_hand"] == -2.5


def test_nll_of_log_softmax_equals_cross_entropy_with_its_gradient_formula():
    two = losses.nll_equals_cross_entropy()
    assert two["nll"] == pytest.approx(two["ce"], abs=1e-6)
    assert two["gradient_difference"] < 1e-6 and two["formula_difference"] < 1e-6


def test_probabilities_recovered_both_ways_sum_to_one():
    three = losses.recover_probabilities()
    assert three["difference"] < 1e-6
    torch.testing.assert_close(three["row_sums"], torch.ones(3))


def test_overflow_limits_of_exp():
    assert losses.first_overflowing_integer(torch.float32) == 89
    assert losses.first_overflowing_integer(torch.float64) == 710
    assert math.log(torch.finfo(torch.float32).max) == pytest.approx(88.72, abs=0.005)
    assert math.log(torch.finfo(torch.float64).max) == pytest.approx(709.78, abs=0.005)


def test_log_of_softmax_fails_where_cross_entropy_stays_exact():
    assert losses.naive_and_fused_loss(88.0) == (88.0, True, 88.0, True)
    naive, naive_ok, fused, fused_ok = losses.naive_and_fused_loss(89.0)
    assert not naive_ok and fused_ok and fused == 89.0      # the gradient breaks first
    naive, naive_ok, fused, fused_ok = losses.naive_and_fused_loss(100.0)
    assert abs(naive - 100.0) > 0.01 and fused == 100.0    # then the loss itself is off
    naive, naive_ok, fused, fused_ok = losses.naive_and_fused_loss(104.0)
    assert naive == math.inf and fused == 104.0 and fused_ok


def test_subnormal_probabilities_start_at_87_and_rounding_shows_first_at_96():
    gap, first_wrong = losses.subnormal_onset_and_first_wrong_gap()
    assert gap == pytest.approx(-math.log(torch.finfo(torch.float32).tiny)) and round(gap,
                                                                                      2) == 87.34
    p_at_88 = F.softmax(torch.tensor([0.0, 88.0]), dim=-1)[0].item()
    assert 0 < p_at_88 < torch.finfo(torch.float32).tiny  # subnormal already ...
    assert losses.naive_and_fused_loss(88.0)[0] == 88.0       # ... while the loss is still exact
    assert first_wrong == 96
    shown = [f"{losses.naive_and_fused_loss(gap)[0]:.4f}" for gap in (95.0, 96.0)]
    assert shown[0] == "95.0000" != shown[1]


def test_logsumexp_by_hand_matches_torch_where_the_naive_formula_overflows():
    x = torch.tensor([1000.0, 999.0, 10.0])
    torch.testing.assert_close(losses.logsumexp_by_hand(x), torch.logsumexp(x, dim=-1))
    assert torch.isinf(x.exp().sum().log())


def test_cross_entropy_gradient_stays_large_when_mse_vanishes():
    ce, mse = losses.true_class_gradients(0.001)
    assert ce == pytest.approx(0.001 - 1)             # softmax - one_hot
    assert mse == pytest.approx(-2 * 0.001 * 0.999 ** 2)  # d/dz of mean((p - y)^2) over 2 classes
    assert abs(mse) < 0.01 * abs(ce)


def test_cross_entropy_is_kl_plus_entropy():
    five = losses.cross_entropy_is_kl_plus_entropy()
    assert five["ce"] == pytest.approx(five["kl"] + five["entropy"], abs=1e-12)


def test_label_smoothing_and_class_weights():
    six = losses.where_equivalence_stops()
    assert six["smoothed"] == pytest.approx(six["smoothed_by_hand"], abs=1e-6)
    assert six["smoothed"] > six["plain"]
    assert six["weighted_nll"] == pytest.approx(six["weighted_ce"], abs=1e-6)
    assert six["weighted_nll"] == pytest.approx(six["weighted_by_hand"], abs=1e-6)
    assert six["weighted_over_n"] != pytest.approx(six["weighted_by_hand"], abs=1e-3)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 6), classes=st.integers(2, 6), extra=st.sampled_from([None, 1, 3]),
       dtype=st.sampled_from([torch.float32, torch.float64]),
       reduction=st.sampled_from(["mean", "sum", "none"]),
       scale=st.sampled_from([1.0, 30.0, 1e4]), use_weight=st.booleans(), ignore=st.booleans(),
       seed=st.integers(0, 2**31 - 1))
def test_property_nll_of_log_softmax_equals_cross_entropy(n, classes, extra, dtype, reduction,
                                                          scale,
                                                          use_weight, ignore, seed):
    generator = torch.Generator().manual_seed(seed)
    shape = (n, classes) if extra is None else (n, classes, extra)
    logits = (torch.randn(shape, generator=generator) * scale).to(dtype)
    target = torch.randint(classes, (n,) if extra is None else (n, extra), generator=generator)
    options = {"reduction": reduction}
    if use_weight:
        options["weight"] = (torch.rand(classes, generator=generator) + 0.1).to(dtype)
    if ignore:
        options["ignore_index"] = 0
        target.view(-1)[0] = 1  # keep at least one counted target, so 'mean' is defined

    x_nll = logits.clone().requires_grad_()
    nll = F.nll_loss(F.log_softmax(x_nll, dim=1), target, **options)
    nll.sum().backward()
    x_ce = logits.clone().requires_grad_()
    ce = F.cross_entropy(x_ce, target, **options)
    ce.sum().backward()

    assert torch.isfinite(ce).all() and torch.isfinite(x_ce.grad).all()
    gaps = logits.amax(dim=1) - logits.amin(dim=1)
    if (gaps > 800).any():  # exp(-800) is 0 even in float64, so log(softmax) hits -inf there
        assert not torch.isfinite(torch.log(F.softmax(logits, dim=1))).all()
    torch.testing.assert_close(nll, ce)
    torch.testing.assert_close(x_nll.grad, x_ce.grad)
    if ignore:
        assert (x_ce.grad.movedim(1, -1)[target == 0] == 0).all()  # ignored targets get no gradient


def test_script_matches_the_losses_page():
    output = script_output("main_example.py")
    assert_same_output(readme_block("python main_example.py"), output.lstrip("\n"))


def test_every_number_quoted_in_the_losses_page_is_printed():
    """The prose quotes numbers in `backticks`; each must appear in main_example.py's output
    (or, for section 7, in benchmarks/crf_example.py's)."""
    section = doc_text("docs/losses.md").split("\n## Reproduce", 1)[0]
    output = script_output("main_example.py") + script_output("-m", "benchmarks.crf_example")
    printed = set(NUMBER.findall(output))
    quoted = [n for code in re.findall(r"`([^`\n]+)`", section)
              if not re.search(r"[A-Za-z_(]", code) for n in NUMBER.findall(code)]
    assert len(quoted) >= 10
    assert [n for n in quoted if n not in printed] == []


@pytest.mark.parametrize("command, names", [
    (["main_example.py", "--figures"], ("loss_vs_gap.png", "gradient_vs_probability.png")),
    (["figures.py", "--out"],
     ("reliability.png", "confusions.png", "training_curves.png", "learning_curve.png"))])
def test_figure_commands_write_valid_pngs(tmp_path, command, names):
    result = run_script(*command, tmp_path)
    assert result.returncode == 0, result.stderr
    for name in names:
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert width >= 400 and height >= 300
        assert (ROOT / "figures" / name).exists()  # the README embeds the committed copy
