"""Words, characters and tags as indices: the dictionaries, and padded batches of sentences."""
import dataclasses
from collections import Counter

import torch
from torch.nn.utils.rnn import pad_sequence

PAD_IX = 0  # the padding word (and character, and vector row) in every dictionary
UNK_IX = 1  # every word (and character) not seen in training
IGNORE_IX = -100  # the tag index at padding: the losses' default ignore_index
MAX_WORD_CHARS = 64  # the character LSTM reads at most this many characters of a word


def seqs_to_dictionary(sequences, first=("<pad>", "<unk>")):
    """Map every item of some sequences to an index, in first-seen order, after `first`."""
    to_ix = {item: ix for ix, item in enumerate(first)}
    for sequence in sequences:
        for item in sequence:
            to_ix.setdefault(item, len(to_ix))
    return to_ix


def indices(items, to_ix):
    """A 1-D tensor of the items' indices in to_ix; an item not in it gets UNK_IX."""
    return torch.tensor([to_ix.get(item, UNK_IX) for item in items], dtype=torch.long)


def spelling(word, max_chars):
    """A word, or its first and last max_chars / 2 characters, which carry what spelling tells."""
    return word if len(word) <= max_chars else word[:max_chars // 2] + word[-max_chars // 2:]


@dataclasses.dataclass
class Vocabulary:
    """A tagger's dictionaries: tag_sets is {"upos": tag_to_ix} (and "xpos"), in layer order."""
    word_to_ix: dict
    tag_sets: dict
    char_to_ix: dict | None = None  # None: the model reads no characters
    lowercase: bool = False
    word_counts: dict | None = None  # training count of each looked-up form
    vector_to_ix: dict | None = None  # None: the model has no pretrained vectors
    max_word_chars: int = MAX_WORD_CHARS

    @classmethod
    def from_training_data(cls, sentences, gold_tags, chars=False, lowercase=False):
        """The dictionaries of word lists and {tag set: one tag list per sentence}."""
        vocab = cls({}, {}, lowercase=lowercase)
        keyed = [[vocab.key(word) for word in words] for words in sentences]
        vocab.word_to_ix = seqs_to_dictionary(keyed)
        vocab.tag_sets = {name: seqs_to_dictionary(tags, first=())
                          for name, tags in gold_tags.items()}
        vocab.word_counts = dict(Counter(word for words in keyed for word in words))
        if chars:
            vocab.char_to_ix = seqs_to_dictionary(word for words in sentences for word in words)
        return vocab

    @property
    def tag_to_ix(self):
        """The UPOS tags' dictionary, as the tutorial names it."""
        return self.tag_sets["upos"]

    def key(self, word):
        """The form under which `word` is looked up."""
        return word.lower() if self.lowercase else word

    def knows(self, word):
        """Whether `word` (in its looked-up form) occurred in the training data."""
        return self.key(word) in self.word_to_ix

    def training_count(self, word):
        return self.word_counts.get(self.key(word), 0)


@dataclasses.dataclass
class Chars:
    """Distinct words' characters in groups of lengths 1, 2, 3-4, 5-8, ... (little padding): per
    group ids (n_words, max_word_len) and lengths (n_words,)."""
    ids: list
    lengths: list
    words: list = dataclasses.field(default_factory=list)  # the words, row after row


@dataclasses.dataclass
class Batch:
    """Padded index tensors for a group of sentences: what RealDataTagger reads."""
    words: torch.Tensor  # (batch, seq_len), PAD_IX after each sentence
    lengths: torch.Tensor  # (batch,) real lengths, on the CPU
    same_length: bool  # no padding: the LSTM runs unpacked (faster on the CPU)
    sentence_ids: list  # each row's position in the caller's list
    tags: list | None = None  # one (batch, seq_len) tensor per tag set, IGNORE_IX at padding
    vectors: torch.Tensor | None = None  # (batch, seq_len) rows of the pretrained vectors
    chars: Chars | None = None  # the words of this batch (or of all batches of one call)
    word_positions: torch.Tensor | None = None  # (batch, seq_len) each token's row in chars
    contextual: torch.Tensor | None = None  # (batch, seq_len, dim) a transformer's, 0 at padding


def split_and_pad(flat, lengths, padding_value):
    """A 1-D tensor cut into pieces of these lengths, padded: (len(lengths), max(lengths))."""
    return pad_sequence(flat.split(lengths), batch_first=True, padding_value=padding_value)


def make_chars(words, vocab, device="cpu"):
    """(Chars of the distinct words, {word: its row in them, group after group})."""
    groups = {}
    for word in dict.fromkeys(words):
        spelled = spelling(word, vocab.max_word_chars)
        groups.setdefault((len(spelled) - 1).bit_length(), {})[word] = spelled
    chars, row = Chars([], []), {}
    for group in sorted(groups):
        row.update((word, len(row)) for word in groups[group])
        chars.words.extend(groups[group])
        lengths = [len(spelled) for spelled in groups[group].values()]
        ids = indices([char for spelled in groups[group].values() for char in spelled],
                      vocab.char_to_ix)
        chars.ids.append(split_and_pad(ids, lengths, PAD_IX).to(device))
        chars.lengths.append(torch.tensor(lengths, device=device))
    return chars, row


def make_batch(sentences, ids, vocab, gold_tags=None, device="cpu", chars=None, features=None):
    """The Batch of sentences[i] for i in ids; chars: (Chars, rows) shared by other batches."""
    word_lists = [sentences[i] for i in ids]
    lengths = [len(words) for words in word_lists]
    tokens = [vocab.key(word) for words in word_lists for word in words]
    batch = Batch(split_and_pad(indices(tokens, vocab.word_to_ix), lengths, PAD_IX).to(device),
                  torch.tensor(lengths), len(set(lengths)) == 1, list(ids))
    if gold_tags is not None:
        batch.tags = [split_and_pad(torch.tensor([to_ix[tag] for i in ids
                                                  for tag in gold_tags[name][i]]),
                                    lengths, IGNORE_IX).to(device)
                      for name, to_ix in vocab.tag_sets.items()]
    if vocab.vector_to_ix is not None:
        batch.vectors = split_and_pad(indices(tokens, vocab.vector_to_ix), lengths,
                                      PAD_IX).to(device)
    if vocab.char_to_ix is not None:
        words = [word for words in word_lists for word in words]
        batch.chars, row = chars or make_chars(words, vocab, device)
        batch.word_positions = split_and_pad(torch.tensor([row[word] for word in words]),
                                             lengths, 0).to(device)
    if features is not None:
        batch.contextual = pad_sequence([features[i] for i in ids], batch_first=True).to(device)
    return batch


def make_batches(sentences, vocab, gold_tags=None, batch_size=1, device="cpu", same_length=False,
                 features=None):
    """Word lists as Batches, sorted by length (same_length: one length a batch); without gold
    tags they share one Chars. features: one (len(words), dim) tensor per sentence."""
    groups = []
    for i in sorted(range(len(sentences)), key=lambda i: len(sentences[i])):
        if (not groups or len(groups[-1]) == batch_size
                or same_length and len(sentences[i]) != len(sentences[groups[-1][0]])):
            groups.append([])
        groups[-1].append(i)
    chars = None
    if gold_tags is None and vocab.char_to_ix is not None:
        chars = make_chars([word for words in sentences for word in words], vocab, device)
    return [make_batch(sentences, ids, vocab, gold_tags, device, chars, features)
            for ids in groups]


def word_count_tensor(vocab):
    """Training count of each word index, as floats; padding and <unk> count as infinite."""
    tensor = torch.tensor([float(vocab.word_counts.get(word, 0)) for word in vocab.word_to_ix])
    tensor[PAD_IX] = tensor[UNK_IX] = float("inf")
    return tensor
