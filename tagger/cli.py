"""What the commands share: number options, @recipes, device, seed, one line on bad input."""
import argparse
import contextlib
import math
import os
import random
import signal
import stat
import sys

from tagger.errors import InputError


def number_type(kind, is_valid, requirement):
    """An argparse type: a finite int or float for which is_valid holds."""
    def convert(text):
        try:
            number = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a{' whole' if kind is int else ''} number: "
                                             f"{text!r}") from None
        if not (math.isfinite(number) and is_valid(number)):
            raise argparse.ArgumentTypeError(f"must be {requirement}, not {text}")
        return number
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


class RecipeParser(argparse.ArgumentParser):
    """argparse reading @FILE recipes: options split at whitespace, '#' to the line's end."""

    def __init__(self, **kwargs):
        super().__init__(fromfile_prefix_chars="@", allow_abbrev=False,
                         formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)

    def convert_arg_line_to_args(self, arg_line):
        words = arg_line.removeprefix("\ufeff").split()
        comment = next((i for i, word in enumerate(words) if word.startswith("#")), len(words))
        return words[:comment]

    def parse_args(self, args=None, namespace=None):
        try:
            return super().parse_args(args, namespace)
        except (UnicodeDecodeError, RecursionError) as error:  # argparse catches OSError only
            self.error(f"a recipe could not be read: {type(error).__name__}")


def add_device_option(parser):
    """--device: the CPU by default, a GPU with cuda or mps."""
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps"],
                        help="(default: cpu)")


def check_device(name):
    """The torch.device for --device; an InputError when the accelerator is not there."""
    import torch
    if name == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: no CUDA device is available on this machine")
    if name == "mps" and not torch.backends.mps.is_available():
        raise InputError("--device mps: MPS is not available on this machine")
    return torch.device(name)


def usable_cpus():
    """The CPUs this process may run on (taskset, cgroups' cpusets), or all the machine's."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def seed_everything(seed):
    """One seed for every source of randomness: Python's random, numpy and torch."""
    import numpy as np
    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run(work, when_interrupted=lambda: "nothing was saved"):
    """Run work(): bad input is one line and exit 2, Ctrl-C or SIGTERM one line and exit 130, a
    closed pipe quiet, an unwritable output one line and exit 1."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # timeout, SLURM, docker stop
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


def check_stdout_is_not(paths):
    """An InputError when standard output is one of the input files (`>> input`), as cat's."""
    try:
        out = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no file behind it (a test's buffer)
        return
    for path in filter(None, paths):
        try:
            info = os.fstat(sys.stdin.fileno()) if path == "-" else os.stat(path)
        except (OSError, ValueError, AttributeError, TypeError):
            continue
        if stat.S_ISREG(out.st_mode) and (info.st_dev, info.st_ino) == (out.st_dev, out.st_ino):
            raise InputError(f"{path}: is also the standard output; write to another file")


ONEDNN_KERNEL_CACHE = 32


def limit_kernel_cache(kernels=ONEDNN_KERNEL_CACHE):
    """Few oneDNN kernels kept (one a batch shape; tagging meets many): memory stays flat."""
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(kernels))  # the user's wins


@contextlib.contextmanager
def subnormals_flushed_to_zero():
    """Subnormal floats count as zero here: Adam's averages of rare words' gradients decay into
    them, which CPUs compute far more slowly. Enter before torch starts its threads."""
    import torch
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
