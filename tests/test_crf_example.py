"""benchmarks/crf_example.py: each claim of section 7 of the losses page, and its printed output."""
import math

import pytest

import benchmarks.crf_example as ce
from conftest import assert_same_output, readme_block, script_output


def test_the_crf_is_a_softmax_over_enumerated_paths_and_viterbi_is_its_argmax():
    paths = ce.crf_is_a_softmax_over_paths()
    assert paths["n_paths"] == 3 ** 4
    assert paths["log_z_forward"] == pytest.approx(paths["log_z_enumerated"], abs=1e-5)
    assert paths["viterbi_path"] == paths["argmax_path"]


def test_a_crf_without_transition_scores_is_the_per_word_softmax():
    zero = ce.crf_without_transitions_is_the_per_word_softmax()
    assert zero["log_z"] == pytest.approx(zero["sum_of_logsumexp"], abs=1e-5)
    assert zero["crf_loss"] == pytest.approx(zero["cross_entropy"], abs=1e-6)


def test_products_of_exponentials_overflow_where_the_log_space_forward_algorithm_does_not():
    long = ce.long_sentence_overflow()
    assert (long["first_inf"] < long["n_words"] and math.isfinite(long["log_z"])
            and long["log_z"] > 88.73)


def test_viterbi_picks_a_likelier_sequence_than_the_per_word_argmax():
    choice = ce.viterbi_against_the_per_word_argmax()
    assert choice["per_word"] != choice["viterbi"]
    assert choice["viterbi_probability"] > 10 * choice["per_word_probability"]


def test_the_batched_forward_algorithm_agrees_with_the_loop():
    cost = ce.forward_algorithm_cost([3, 9, 1, 12], repeats=1)
    # speeds: printed, not asserted
    assert cost["difference"] < 1e-4 and cost["batched"] > 0 and cost["loop"] > 0


def test_the_script_prints_what_the_losses_page_shows():
    assert_same_output(readme_block("python -m benchmarks.crf_example"),
                       script_output("-m", "benchmarks.crf_example"))
