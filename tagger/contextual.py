"""Contextual word features from a frozen pretrained transformer (a Hugging Face model folder):
each word gets the mean over its pieces of the average of the last four layers (as UDPipe 2)."""
import collections
import hashlib
import sys
import tempfile
from pathlib import Path

import torch
from tqdm import tqdm

from tagger.errors import InputError

LAYERS = slice(-4, None)  # the hidden states averaged: the last four layers
BATCH_PIECES = 2_048  # pieces (rows x longest row) the transformer reads at once
WEIGHTS = "model.safetensors"
FILES = (WEIGHTS, "config.json", "tokenizer.json", "tokenizer_config.json",  # a checkpoint keeps
         "special_tokens_map.json", "vocab.txt")
INSTALL = "pip install -r requirements-contextual.txt"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class ContextualEncoder:
    """A frozen transformer and its tokenizer: word lists in, a vector per word out."""

    def __init__(self, files, source, device="cpu"):
        """files: {name: bytes} of FILES; source: where they came from."""
        try:
            import transformers
        except ImportError:
            raise InputError(f"contextual features need transformers: {INSTALL}") from None
        if WEIGHTS not in files or "config.json" not in files:
            raise InputError(f"{source}: no {WEIGHTS} and config.json: not a transformer's "
                             "folder")
        self.files, self.source, self.sha256 = files, source, sha256(files[WEIGHTS])
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        with tempfile.TemporaryDirectory() as folder:  # from_pretrained reads a folder
            for name, data in files.items():
                Path(folder, name).write_bytes(data)
            try:  # local files only: nothing is downloaded, and no code from the folder runs
                self.tokenizer = transformers.AutoTokenizer.from_pretrained(
                    folder, local_files_only=True)
                self.model = transformers.AutoModel.from_pretrained(
                    folder, local_files_only=True).to(device).eval()
            except (OSError, ValueError, KeyError) as error:
                raise InputError(f"{source}: not a transformer transformers can read: "
                                 f"{str(error).splitlines()[0]}") from None
        self.model.requires_grad_(False)
        self.device = device
        self.dim = self.model.config.hidden_size
        self.special = self.tokenizer.num_special_tokens_to_add()  # [CLS], [SEP]
        # RoBERTa's positions start after its padding's: its tokenizer says how many there are
        positions = min(self.model.config.max_position_embeddings,
                        self.tokenizer.model_max_length)
        self.max_pieces = positions - self.special

    @classmethod
    def from_folder(cls, folder, expected_sha256=None, device="cpu"):
        """The transformer in a local folder, whose weights have the SHA-256 expected (if any)."""
        path = Path(folder)
        if not path.is_dir():
            raise InputError(f"{folder}: not a folder (--contextual takes a transformer's "
                             "folder: config.json, model.safetensors, tokenizer files)")
        files = {name: (path / name).read_bytes() for name in FILES if (path / name).is_file()}
        encoder = cls(files, str(path.resolve()), device)
        if expected_sha256 and encoder.sha256 != expected_sha256:
            raise InputError(f"{folder}: its {WEIGHTS} has SHA-256 {encoder.sha256}, not the "
                             f"{expected_sha256} expected: another transformer")
        return encoder

    def fields(self):
        """What a checkpoint keeps: the files (as byte tensors), their source, the SHA-256."""
        return {"source": self.source, "sha256": self.sha256,
                "files": {name: torch.frombuffer(bytearray(data), dtype=torch.uint8)
                          for name, data in self.files.items()}}

    @classmethod
    def from_fields(cls, fields, device="cpu"):
        """The transformer a checkpoint keeps; a ValueError if the weights' SHA-256 differs."""
        files = {name: bytes(fields["files"][name].numpy()) for name in FILES  # never a path
                 if name in fields["files"]}
        if sha256(files.get(WEIGHTS, b"")) != fields["sha256"]:
            raise ValueError("its transformer's weights are not the ones it recorded")
        return cls(files, fields["source"], device)

    def windows(self, sentences):
        """(pieces, sentence, first word, end word) of parts that fit the model, cut between
        words (a word too long alone is cut short)."""
        windows = []
        encodings = self.tokenizer(sentences, is_split_into_words=True, add_special_tokens=False)
        for i, words in enumerate(sentences):
            pieces = collections.Counter(encodings.word_ids(i))
            first, size = 0, 0
            for j in range(len(words)):
                if size + pieces[j] > self.max_pieces and j > first:
                    windows.append((size, i, first, j))
                    first, size = j, 0
                size += pieces[j]
            windows.append((size, i, first, len(words)))
        return windows

    @torch.no_grad()
    def encode(self, sentences, description=None):
        """One (len(words), dim) CPU tensor per word list (zeros for a word of no piece)."""
        starts = [0]
        for words in sentences:
            starts.append(starts[-1] + len(words))
        sums = torch.zeros(starts[-1], self.dim)
        counts = torch.zeros(starts[-1])
        batches, batch = [], []
        for window in sorted(self.windows(sentences)):  # fewest pieces first: little padding
            if batch and (len(batch) + 1) * (window[0] + self.special) > BATCH_PIECES:
                batches.append(batch)
                batch = []
            batch.append(window[1:])
        batches += [batch] if batch else []
        for batch in tqdm(batches, desc=description, leave=False, file=sys.stderr,
                          disable=None if description else True):
            inputs = self.tokenizer([sentences[i][first:end] for i, first, end in batch],
                                    is_split_into_words=True, padding=True, truncation=True,
                                    max_length=self.max_pieces + self.special,
                                    return_tensors="pt")
            states = self.model(input_ids=inputs["input_ids"].to(self.device),
                                attention_mask=inputs["attention_mask"].to(self.device),
                                output_hidden_states=True).hidden_states
            layers = torch.stack(states[LAYERS]).mean(dim=0).float().cpu()  # (rows, len, dim)
            # each piece's word, counted over all the sentences; -1: [CLS], [SEP], padding
            word = torch.tensor([[-1 if j is None else starts[i] + first + j
                                  for j in inputs.word_ids(row)]
                                 for row, (i, first, _) in enumerate(batch)])
            real = word >= 0
            sums.index_add_(0, word[real], layers[real])
            counts.index_add_(0, word[real], torch.ones(int(real.sum())))
        features = sums / counts.clamp(min=1).unsqueeze(1)
        return list(features.split([len(words) for words in sentences]))
