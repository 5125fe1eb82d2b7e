"""The one error type the commands catch: a problem with what the user gave, said in one line."""


class InputError(Exception):
    """A problem with an input (a file, a checkpoint, an option), said in one line."""
