"""A file that appears whole under its name, or not at all: written beside it, then renamed."""
import os
import tempfile
from pathlib import Path


class AtomicFile:
    """A new file beside `target` (mkstemp); commit() makes it `target`, discard() removes it."""

    def __init__(self, target):
        self.target = Path(target)
        descriptor, self.temporary = tempfile.mkstemp(dir=self.target.parent,
                                                      prefix=f".{self.target.name}.",
                                                      suffix=".tmp")
        self.file = os.fdopen(descriptor, "wb")

    def write(self, data):
        self.file.write(data)

    def commit(self):
        """On disk, then renamed; with the old file's mode, or open()'s (mkstemp makes 0600)."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        umask = os.umask(0)
        os.umask(umask)
        mode = self.target.stat().st_mode & 0o7777 if self.target.exists() else 0o666 & ~umask
        os.chmod(self.temporary, mode)
        os.replace(self.temporary, self.target)

    def discard(self):
        self.file.close()
        Path(self.temporary).unlink(missing_ok=True)
