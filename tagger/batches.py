"""Padded index tensors for groups of sentences: what the real-data tagger trains and tags on."""
import dataclasses

import torch
from torch.nn.utils.rnn import pad_sequence

from tagger.vocabulary import IGNORE_IX, PAD_IX, UNK_IX, indices


def split_and_pad(flat, lengths, padding_value):
    """Cut a 1-D tensor into consecutive pieces of the given lengths; pad them into one 2-D tensor.

    make_batches builds one tensor per batch and cuts it, rather than one tensor per word or
    sentence: making a tensor has a fixed cost that, paid per word, would dominate.
    """
    return pad_sequence(flat.split(lengths), batch_first=True, padding_value=padding_value)


MAX_WORD_CHARS = 64  # the character LSTM reads at most this many characters of a word


def spelling(word, max_chars=MAX_WORD_CHARS):
    """The characters the character LSTM reads: all, or the first and last max_chars / 2.

    The affixes carry what spelling tells the tagger; a million-character token then costs no
    more than any other.
    """
    if len(word) <= max_chars:
        return word
    return word[:max_chars // 2] + word[-max_chars // 2:]


def chars_to_tensors(sentences, char_to_ix, max_word_chars=MAX_WORD_CHARS):
    """Character inputs for a batch, built once per distinct word rather than once per token.

    Returns char_ids (n_words, max_word_len), char_lengths (n_words,) and word_positions
    (batch, seq_len): for each token, the row of its word in char_ids (0 at padding).
    """
    word_row = {}
    positions = [word_row.setdefault(word, len(word_row)) for words in sentences for word in words]
    distinct_words = [spelling(word, max_word_chars) for word in word_row]
    word_lengths = [len(word) for word in distinct_words]
    all_chars = indices([char for word in distinct_words for char in word], char_to_ix)
    char_ids = split_and_pad(all_chars, word_lengths, PAD_IX)
    sentence_lengths = [len(words) for words in sentences]
    word_positions = split_and_pad(torch.tensor(positions, dtype=torch.long), sentence_lengths, 0)
    return char_ids, torch.tensor(word_lengths), word_positions


@dataclasses.dataclass
class Batch:
    """Padded tensors for a group of sentences, ready for RealDataTagger.loss and forward."""
    words: torch.Tensor         # (batch, seq_len) word indices, PAD_IX after each sentence
    lengths: torch.Tensor       # (batch,) real sentence lengths; stays on the CPU for packing
    # one (batch, seq_len) tensor of tag indices per tag set, IGNORE_IX at padding
    tags: list | None
    chars: tuple | None         # chars_to_tensors(...) output, when the model reads characters
    sentence_ids: list          # position of each row's sentence in the caller's list
    vectors: torch.Tensor | None = None  # (batch, seq_len) pretrained vector rows, PAD_IX after

    def to(self, device):
        """Return this batch with its tensors moved to `device` (lengths stay on the CPU)."""
        chars = tuple(t.to(device) for t in self.chars) if self.chars is not None else None
        tags = [t.to(device) for t in self.tags] if self.tags is not None else None
        vectors = self.vectors.to(device) if self.vectors is not None else None
        return Batch(self.words.to(device), self.lengths, tags, chars, self.sentence_ids, vectors)


def make_batches(sentences, vocab, gold_tags=None, batch_size=1, device="cpu", same_length=False,
                 with_chars=True):
    """Group sentences (lists of words) into Batches; gold_tags: {tag set: one tag list per
    sentence}.

    Sorted by length first, so little of a batch is padding; same_length=True gives batches
    of one length. with_chars=False leaves out the character inputs (predict builds its own).
    """
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    groups = []
    for i in order:
        if (not groups or len(groups[-1]) == batch_size
                or same_length and len(sentences[i]) != len(sentences[groups[-1][0]])):
            groups.append([])
        groups[-1].append(i)
    batches = []
    for ids in groups:
        word_lists = [sentences[i] for i in ids]
        lengths = [len(words) for words in word_lists]
        words = split_and_pad(vocab.word_ids([word for words in word_lists for word in words]),
                              lengths, PAD_IX)
        tags = None
        if gold_tags is not None:
            tags = []
            for name, tag_to_ix in vocab.tag_sets.items():
                all_tags = torch.tensor([tag_to_ix[tag] for i in ids for tag in gold_tags[name][i]],
                                        dtype=torch.long)
                tags.append(split_and_pad(all_tags, lengths, IGNORE_IX))
        chars = None
        if with_chars and vocab.char_to_ix is not None:
            chars = chars_to_tensors(word_lists, vocab.char_to_ix)
        vectors = None
        if vocab.vector_to_ix is not None:
            vectors = split_and_pad(vocab.vector_ids([word for words in word_lists
                                                      for word in words]), lengths, PAD_IX)
        batches.append(Batch(words, torch.tensor(lengths), tags, chars, ids, vectors).to(device))
    return batches


def word_count_tensor(vocab):
    """Training-set count of each word index, as floats; padding and <unk> count as infinite."""
    tensor = torch.tensor([float(vocab.word_counts.get(word, 0)) for word in vocab.word_to_ix])
    tensor[PAD_IX] = tensor[UNK_IX] = float("inf")
    return tensor
