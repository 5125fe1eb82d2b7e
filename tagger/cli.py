"""What the two commands (tagger.train, tagger.tag) share: the device, the seed, and ending cleanly on bad input."""
import argparse
import math
import os
import random
import sys
from pathlib import Path

import numpy as np
import torch

from tagger.errors import InputError


class ArgumentParser(argparse.ArgumentParser):
    """argparse, reading @FILE arguments (a recipe) as options separated by spaces, '#' starting a comment."""

    def __init__(self, **kwargs):
        super().__init__(fromfile_prefix_chars="@", formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)
        self.add_argument = add_range_to_help(self.add_argument)

    def add_argument_group(self, *args, **kwargs):
        group = super().add_argument_group(*args, **kwargs)
        group.add_argument = add_range_to_help(group.add_argument)
        return group

    def convert_arg_line_to_args(self, arg_line):
        return arg_line.split("#", 1)[0].split()


def add_range_to_help(add_argument):
    """Wrap an add_argument method: an option whose type is a number_type gets its range in its help."""
    def add(*args, **kwargs):
        requirement = getattr(kwargs.get("type"), "requirement", None)
        if requirement is not None:
            kwargs["help"] = (kwargs.get("help") or "").rstrip() + f"; must be {requirement}"
        return add_argument(*args, **kwargs)
    return add


def number_type(kind, is_valid, requirement):
    """An argparse type: a finite number of `kind` (int or float) for which is_valid(number) holds.

    Anything else is a usage error ("argument --lr: must be above 0, not nan"), found before
    any work starts.
    """
    def convert(text):
        try:
            number = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {'whole ' if kind is int else ''}number: {text!r}") from None
        if not (math.isfinite(number) and is_valid(number)):
            raise argparse.ArgumentTypeError(f"must be {requirement}, not {text}")
        return number
    convert.requirement = requirement  # ArgumentParser shows it in --help
    return convert


AT_LEAST_ONE = number_type(int, lambda n: n >= 1, "at least 1")
DIMENSION = number_type(int, lambda n: 1 <= n <= 4096, "from 1 to 4096")  # a layer's size, or the number of layers
ABOVE_ZERO = number_type(float, lambda x: x > 0, "above 0")
UP_TO_ONE = number_type(float, lambda x: 0 < x <= 1, "in (0, 1]")
ZERO_OR_MORE = number_type(float, lambda x: x >= 0, "0 or more")
BELOW_ONE = number_type(float, lambda x: 0 <= x < 1, "in [0, 1)")
SEED = number_type(int, lambda n: 0 <= n < 2**32, "in [0, 2**32)")  # numpy's seeds are 32-bit


def add_device_option(parser):
    """--device, the same in both commands: the CPU by default, a GPU with cuda or mps."""
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps"], help="(default: cpu)")


def check_device(name):
    """The torch.device for --device; fail early, in one line, when the accelerator is not there."""
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available on this machine")
    if name == "mps" and not torch.backends.mps.is_available():
        raise InputError("--device mps: MPS is not available on this machine")
    return torch.device(name)


def seed_everything(seed):
    """One seed for every source of randomness: Python's random, numpy and torch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run_cleanly(work, when_interrupted=lambda: "nothing was saved"):
    """Run work(); bad input ends with one line on stderr and exit code 2, never a traceback.

    A closed output pipe (`python -m tagger.tag ... | head`) ends quietly with exit code 1, as other
    command-line tools do. Ctrl-C ends with one line, "interrupted: " + when_interrupted()
    (what was saved), and exit code 130, as shells report a program stopped by Ctrl-C.
    """
    try:
        work()
        sys.stdout.flush()  # here, so that a closed pipe is caught below rather than at exit
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {when_interrupted()}", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        sys.exit(1)


def show_path(path):
    """A path as the user typed it; the default (absolute) one relative to here if below it."""
    path = Path(path)
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)
