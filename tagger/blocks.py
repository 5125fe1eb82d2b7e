"""Files cut into blocks of whole lines, and one block tagged on a Dask worker."""
import dataclasses
import functools
import io

from tagger.errors import InputError
from tagger.lines import MAX_LINE_BYTES, without_bom

BLOCK_BYTES = 1 << 20  # 1 MiB of text a task: about 180,000 words of English


@dataclasses.dataclass(frozen=True)
class Block:
    """Bytes [start, end) of a file, whole lines; first_line: the number of its first line."""
    path: str
    start: int
    end: int
    first_line: int


def plan_blocks(path, block_bytes=BLOCK_BYTES):
    """Cut a file into Blocks of about block_bytes, each ending at a line end (or the file's).

    Reads the file once, a block at a time; a line of over MAX_LINE_BYTES is an InputError.
    """
    blocks, offset, line = [], 0, 1
    try:
        with open(path, "rb") as file:
            while data := file.read(block_bytes):
                rest = b""
                while not (data + rest).endswith(b"\n"):  # finish the line the read cut
                    more = file.readline(MAX_LINE_BYTES + 1)
                    if not more:
                        break
                    rest += more
                    if len(rest) > MAX_LINE_BYTES:
                        long_line = line + data.count(b"\n")
                        raise InputError(f"{path} line {long_line}: over "
                                         f"{MAX_LINE_BYTES >> 20} MiB without a line break")
                size = len(data) + len(rest)
                blocks.append(Block(str(path), offset, offset + size, line))
                offset, line = offset + size, line + data.count(b"\n") + rest.count(b"\n")
    except OSError as error:
        raise InputError(f"{path}: cannot read it: {error.strerror or error}") from None
    return blocks


@functools.cache
def loaded_model(model_path):
    """The model and vocabulary at model_path, loaded once per worker process, one torch thread."""
    import torch
    from tagger.checkpoint import load_checkpoint
    torch.set_num_threads(1)  # one worker a core: N workers do not fight over the cores
    return load_checkpoint(model_path)


def tag_block(model_path, block, conllu=False, batch_size=512):
    """The tagged text of one Block, exactly as python -m tagger.tag MODEL - writes it."""
    from tagger.tag import tag_lines, tokenized_lines, write_tagged_lines
    from tagger.tokenizer import tokenize
    model, vocab = loaded_model(model_path)
    with open(block.path, "rb") as file:
        file.seek(block.start)
        data = file.read(block.end - block.start)
    raw_lines = data.split(b"\n")
    if raw_lines[-1] == b"":  # the block's last line ends with "\n"
        raw_lines.pop()
    numbered = []
    for number, raw in enumerate(raw_lines, block.first_line):
        try:
            text = (without_bom(raw) if number == 1 else raw).decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"{block.path} line {number}: not valid UTF-8 (byte "
                             f"0x{raw[error.start]:02x})") from None
        numbered.append((number, text.rstrip("\r")))
    tokenized = list(tokenized_lines(numbered, tokenize, block.path))
    output = io.StringIO()
    write_tagged_lines([line for _, line in numbered],
                       tag_lines(model, tokenized, vocab, batch_size), conllu, output)
    return output.getvalue()
