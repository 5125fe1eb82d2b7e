"""What the commands share: number options, @recipe files, the device, the seed, and ending in
one line on bad input."""
import argparse
import math
import os
import random
import stat
import sys
from pathlib import Path

from tagger.errors import InputError


def number_type(kind, is_valid, requirement):
    """An argparse type: a finite int or float for which is_valid holds."""
    def convert(text):
        try:
            number = kind(text)
        except ValueError:
            whole = "whole " if kind is int else ""
            raise argparse.ArgumentTypeError(f"not a {whole}number: {text!r}") from None
        if not (math.isfinite(number) and is_valid(number)):
            raise argparse.ArgumentTypeError(f"must be {requirement}, not {text}")
        return number
    convert.requirement = requirement
    return convert


AT_LEAST_ONE = number_type(int, lambda n: n >= 1, "at least 1")
DIMENSION = number_type(int, lambda n: 1 <= n <= 4096, "from 1 to 4096")  # a size, or a layer count
LEARNING_RATE = number_type(float, lambda x: 0 < x <= 1000, "above 0, at most 1000")
UP_TO_ONE = number_type(float, lambda x: 0 < x <= 1, "in (0, 1]")
BELOW_ONE = number_type(float, lambda x: 0 <= x < 1, "in [0, 1)")
UP_TO_A_MILLION = number_type(float, lambda x: 0 <= x <= 1e6, "from 0 to 1e6")
# Far outside this range the probabilities are 0 and 1 in float32 (or all equal).
TEMPERATURE = number_type(float, lambda x: 0.01 <= x <= 100, "from 0.01 to 100")
SEED = number_type(int, lambda n: 0 <= n < 2**32, "in [0, 2**32)")  # numpy's seeds are 32-bit


def check_path(parser, option, path):
    """A usage error for a path that cannot name a file: empty, or with a NUL byte in it."""
    if path is not None and (not path.strip() or "\0" in path):
        parser.error(f"{option}: "
                     f"{'a NUL byte' if path.strip() else 'an empty path (an unset variable?)'}")


class RecipeParser(argparse.ArgumentParser):
    """argparse with @FILE recipes: options separated by spaces or lines, '#' starts a comment."""

    def __init__(self, **kwargs):
        super().__init__(fromfile_prefix_chars="@", allow_abbrev=False,
                         formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)

    def convert_arg_line_to_args(self, arg_line):
        words = arg_line.removeprefix("\ufeff").split()  # a byte order mark is no option
        comment = next((i for i, word in enumerate(words) if word.startswith("#")), len(words))
        return words[:comment]

    def parse_args(self, args=None, namespace=None):
        args = sys.argv[1:] if args is None else list(args)
        self.recipes = check_recipes(self, args)  # before argparse reads them
        return super().parse_args(args, namespace)


MAX_RECIPE_BYTES = 1 << 16
MAX_RECIPE_WORDS = 10_000  # words after every recipe is expanded, repeats included


def check_recipes(parser, args, including=(), counted=None):
    """The recipe paths of args' @FILE words: regular UTF-8 files of at most 64 KiB, none
    including itself, MAX_RECIPE_WORDS words in all, or a usage error."""
    counted = counted if counted is not None else [0]
    recipes = []
    for arg in args:
        counted[0] += 1
        if counted[0] > MAX_RECIPE_WORDS:
            parser.error(f"the recipes expand to more than {MAX_RECIPE_WORDS:,} words")
        if not arg.startswith("@"):
            continue
        path = arg[1:]
        check_path(parser, arg, path)
        try:
            info = os.stat(path)
        except OSError as error:
            parser.error(f"{arg}: cannot read the recipe: {error.strerror}")
        if not stat.S_ISREG(info.st_mode):
            parser.error(f"{arg}: not a regular file")
        if info.st_size > MAX_RECIPE_BYTES:
            parser.error(f"{arg}: a recipe of over {MAX_RECIPE_BYTES // 1024} KiB; is it a recipe?")
        if os.path.realpath(path) in including:
            parser.error(f"{arg}: the recipe includes itself")
        try:
            text = Path(path).read_bytes()[:MAX_RECIPE_BYTES + 1].decode("utf-8")
        except OSError as error:
            parser.error(f"{arg}: cannot read the recipe: {error.strerror}")
        except UnicodeDecodeError as error:
            parser.error(f"{arg}: the recipe is not UTF-8 (byte {error.start})")
        words = [word for line in text.splitlines()
                 for word in parser.convert_arg_line_to_args(line)]
        recipes += [path,
                    *check_recipes(parser, words, (*including, os.path.realpath(path)), counted)]
    return recipes


def add_device_option(parser):
    """--device, the same in both commands: the CPU by default, a GPU with cuda or mps."""
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps"],
                        help="(default: cpu)")


def check_device(name):
    """The torch.device for --device; an InputError when the accelerator is not there."""
    import torch  # here: `benchmark.py --show` prints stored figures without loading torch
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


def is_out_of_memory(error):
    """Whether an exception says that memory ran out (torch's CPU allocator raises RuntimeError)."""
    return isinstance(error, MemoryError) or (
        isinstance(error, RuntimeError) and "DefaultCPUAllocator" in str(error)
        or type(error).__name__ == "OutOfMemoryError")


def run_cleanly(work, when_interrupted=lambda: "nothing was saved"):
    """Run work(); what would end in a traceback ends in one line on stderr. Exit codes: 2 bad
    input; 1 unwritable output or no memory; 130 Ctrl-C; 1, quietly, a closed pipe."""
    if sys.stdout is None or sys.stderr is None:  # started with `>&-` or `2>&-`
        print("error: standard output is closed",
              file=sys.stderr or sys.__stderr__ or open(os.devnull, "w"))
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
    except OSError as error:  # writing the output failed: a closed pipe, a full disk
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush
        if not isinstance(error, BrokenPipeError):
            print(f"error: {error.filename or 'the output'}: {error.strerror or error}",
                  file=sys.stderr)
        sys.exit(1)
    except (MemoryError, RuntimeError) as error:
        if not is_out_of_memory(error):
            raise
        print("error: out of memory", file=sys.stderr)
        sys.exit(1)


def same_file(first, second):
    """Whether two paths name one file (in any spelling, or through a symbolic or hard link)."""
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist (yet): compare where they lead
        return Path(first).resolve() == Path(second).resolve()


def check_output_is_no_input(paths):
    """An InputError when standard output is one of the input files (`>> input`, as cat refuses)."""
    try:
        out = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file behind it (a test's buffer)
        return
    for name, path in paths:
        if path is None:
            continue
        try:
            info = os.fstat(sys.stdin.fileno()) if path == "-" else os.stat(path)
        except (OSError, ValueError, AttributeError):
            continue
        if stat.S_ISREG(out.st_mode) and (info.st_dev, info.st_ino) == (out.st_dev, out.st_ino):
            raise InputError(f"{name} {path}: is also the standard output; write to another file")


def show_path(path):
    """A path as the user typed it; the default (absolute) one relative to here if below it."""
    path = Path(path)
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)
