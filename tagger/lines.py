"""Reading a file or standard input once, a line at a time, as it arrives, in bounded memory."""
import select
import sys

from tagger.errors import InputError


READ_BYTES = 1 << 16  # how much LineReader asks for at a time: whatever has arrived, up to this
MAX_LINE_BYTES = 1 << 22  # 4 MiB: room for a 2-million-character token, not for a whole file


class LineReader:
    """The lines of a file, or of standard input for "-", read once, as they arrive; only "\n"
    ends a line (as the output's lines must line up with the input's)."""

    def __init__(self, path, stream=None, max_line_bytes=MAX_LINE_BYTES, read_bytes=READ_BYTES,
                 first_line=1):
        """stream: read instead of opening `path`, from its line first_line."""
        self.max_line_bytes = max_line_bytes
        self.read_bytes = read_bytes
        self.path = path
        self.name = "standard input" if path == "-" else str(path)
        self.pending = bytearray()  # read but not yet handed out
        self.start = 0  # where the next line starts in pending
        self.stream = stream
        self.opened_here = stream is None and path != "-"
        self.first_line = first_line
        self.bom = False  # whether the first line began with one

    def __iter__(self):
        """Yield (line number, line as bytes with its ending)."""
        if self.path == "-" and self.stream is None:
            if sys.stdin is None:  # started with `<&-`
                raise InputError("standard input is closed")
            self.stream = sys.stdin.buffer
        elif self.opened_here:
            try:
                self.stream = open(self.path, "rb")  # closed below, even if the caller stops
            except OSError as error:
                raise InputError(f"{self.path}: {error.strerror.lower()}") from None
        try:
            line_number, searched = self.first_line - 1, 0  # pending[start:searched]: no "\n"
            while True:
                end = self.pending.find(b"\n", max(self.start, searched))
                if end == -1:
                    del self.pending[:self.start]  # once per read: linear in the input
                    self.start, searched = 0, len(self.pending)  # what is left has no "\n"
                    if len(self.pending) > self.max_line_bytes:
                        raise InputError(f"{self.name} line {line_number + 1}: over "
                                         f"{self.max_line_bytes >> 20} MiB without a line break")
                    block = self.stream.read1(self.read_bytes)  # what has arrived, or wait
                    if not block:
                        break
                    self.pending += block
                    continue
                line_number, line = line_number + 1, bytes(self.pending[self.start:end + 1])
                self.start = end + 1  # before the yield, so that more_ready() looks past this line
                yield line_number, self.first(line) if line_number == 1 else line
            if self.pending:  # a last line without "\n"
                last = bytes(self.pending)
                yield line_number + 1, self.first(last) if line_number + 1 == 1 else last
                self.pending.clear()
        finally:
            if self.opened_here:
                self.stream.close()

    def first(self, line):
        """The first line without its byte order mark, if any (self.bom says)."""
        self.bom = line.startswith(BOM)
        return without_bom(line)

    def more_ready(self):
        """Whether another line may be had now, without waiting (for a person, a slow pipe)."""
        if self.pending.find(b"\n", self.start) != -1:
            return True
        try:
            readable, _, _ = select.select([self.stream], [], [], 0)
        except (OSError, ValueError):  # no select() here (in memory; pipes on Windows)
            return True
        return bool(readable)


BOM = b"\xef\xbb\xbf"  # a byte order mark, which some editors put at the start of a UTF-8 file


def without_bom(raw):
    return raw[len(BOM):] if raw.startswith(BOM) else raw
