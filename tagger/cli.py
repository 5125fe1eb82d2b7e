"""What the two commands (tagger.train, tagger.tag) share: their argument parser (number options with their
ranges; recipe files for the training command), the device, the seed, and ending cleanly on bad input."""
import argparse
import math
import os
import random
import sys
from pathlib import Path

from tagger.errors import InputError


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with @FILE (a recipe) read as options, and every number option's range in --help.

    With option_files=True an argument @FILE where an option may stand is replaced by the
    options in FILE: separated by spaces or lines, a word that starts with '#' starting a
    comment (so `--save run#3.pt` keeps its '#'). An @ word that is an option's value
    (`--predict @john`) or follows `--` stays as it is; anywhere else, a positional slot
    included, it is read as a file. A recipe that cannot be read, is not UTF-8 or includes itself is a usage error.
    """

    def __init__(self, option_files=False, **kwargs):
        super().__init__(formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)
        self.option_files = option_files
        self.add_argument = add_range_to_help(self.add_argument)

    def add_argument_group(self, *args, **kwargs):
        group = super().add_argument_group(*args, **kwargs)
        group.add_argument = add_range_to_help(group.add_argument)
        return group

    def parse_known_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        if self.option_files:
            args = self.expand_option_files(args, including=())
        return super().parse_known_args(args, namespace)

    def expand_option_files(self, args, including):
        """args with each @FILE in an option's place replaced by FILE's options (`including`: the files above)."""
        expanded, value_expected = [], False
        for position, arg in enumerate(args):
            if arg == "--":  # everything after it is positional
                return expanded + args[position:]
            if arg.startswith("@") and not value_expected:
                expanded += self.expand_option_files(self.read_option_file(arg, including),
                                                     (*including, os.path.realpath(arg[1:])))
                continue
            expanded.append(arg)
            action = self._option_string_actions.get(arg) if arg.startswith("-") else None
            value_expected = action is not None and action.nargs != 0
        return expanded

    def read_option_file(self, arg, including):
        """The options in the file named by @FILE, as a list of words."""
        path = arg[1:]
        if os.path.realpath(path) in including:
            self.error(f"{arg}: the option file includes itself")
        try:
            text = Path(path).read_bytes().decode("utf-8").removeprefix("\ufeff")  # a byte order mark is no option
        except OSError as error:
            self.error(f"{arg}: cannot read the option file: {error.strerror}")
        except UnicodeDecodeError as error:
            self.error(f"{arg}: the option file is not UTF-8 (byte {error.start})")
        return [word for line in text.splitlines() for word in self.convert_arg_line_to_args(line)]

    def convert_arg_line_to_args(self, arg_line):
        words = []
        for word in arg_line.split():
            if word.startswith("#"):  # a comment runs to the end of the line
                break
            words.append(word)
        return words


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
# A temperature far outside this range makes the probabilities 0 and 1 in float32 (or all equal), and the scores
# of them nan or inf; fit_temperature searches within it.
TEMPERATURE = number_type(float, lambda x: 0.01 <= x <= 100, "from 0.01 to 100")
SEED = number_type(int, lambda n: 0 <= n < 2**32, "in [0, 2**32)")  # numpy's seeds are 32-bit


def add_device_option(parser):
    """--device, the same in both commands: the CPU by default, a GPU with cuda or mps."""
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps"], help="(default: cpu)")


def check_device(name):
    """The torch.device for --device; fail early, in one line, when the accelerator is not there."""
    import torch  # here, not at the top: `benchmark.py --show` prints stored figures without loading torch
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available on this machine")
    if name == "mps" and not torch.backends.mps.is_available():
        raise InputError("--device mps: MPS is not available on this machine")
    return torch.device(name)


def seed_everything(seed):
    """One seed for every source of randomness: Python's random, numpy and torch."""
    import numpy as np
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run_cleanly(work, when_interrupted=lambda: "nothing was saved"):
    """Run work(); bad input ends with one line on stderr and exit code 2, never a traceback.

    A closed output pipe (`python -m tagger.tag ... | head`) ends quietly with exit code 1, as other
    command-line tools do; output that cannot be written (a full disk), a closed standard output and
    memory that runs out each end with one line and exit code 1; a closed standard input is bad
    input (exit code 2). Ctrl-C ends with one
    line, "interrupted: " + when_interrupted() (what was saved), and exit code 130, as shells
    report a program stopped by Ctrl-C.
    """
    if sys.stdout is None or sys.stderr is None:  # started with `>&-` or `2>&-`
        print("error: standard output is closed", file=sys.stderr or sys.__stderr__ or open(os.devnull, "w"))
        sys.exit(1)
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
    except OSError as error:  # writing the output failed: a full disk, an I/O error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is left unwritten is lost anyway
        print(f"error: {error.filename or 'the output'}: {error.strerror or error}", file=sys.stderr)
        sys.exit(1)
    except MemoryError:
        print("error: out of memory: try smaller sizes or a smaller --batch-size", file=sys.stderr)
        sys.exit(1)
    except RuntimeError as error:  # torch's allocator reports running out of memory as a RuntimeError
        if "alloc" not in str(error).lower():
            raise
        print(f"error: out of memory ({str(error).splitlines()[0]}): try smaller sizes or a smaller --batch-size",
              file=sys.stderr)
        sys.exit(1)


def same_file(first, second):
    """Whether two paths name one file: the same spelling, another spelling, a symbolic or a hard link."""
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist (yet): compare where they lead
        return Path(first).resolve() == Path(second).resolve()


def show_path(path):
    """A path as the user typed it; the default (absolute) one relative to here if below it."""
    path = Path(path)
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)
