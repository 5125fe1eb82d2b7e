"""The dictionaries that turn words, characters and tags into indices, and back."""
import dataclasses
from collections import Counter

import torch

PAD_IX = 0  # the padding word (and character) in every dictionary
UNK_IX = 1  # every word (and character) not seen in training
IGNORE_IX = -100  # the tag index at padding: the losses' default ignore_index


def seqs_to_dictionary(training_data):
    """Map every word and every tag of [(words, tags), ...] to an index, in first-seen order.

    Words start at 2: index 0 is reserved for padding and 1 for words never seen in training.
    """
    word_to_ix = {"<pad>": PAD_IX, "<unk>": UNK_IX}
    tag_to_ix = {}
    for words, tags in training_data:
        for word in words:
            word_to_ix.setdefault(word, len(word_to_ix))
        for tag in tags:
            tag_to_ix.setdefault(tag, len(tag_to_ix))
    return word_to_ix, tag_to_ix


def chars_to_dictionary(training_data):
    """Map every character of the training words to an index (0: padding, 1: unknown)."""
    char_to_ix = {"<pad>": PAD_IX, "<unk>": UNK_IX}
    for words, _ in training_data:
        for word in words:
            for char in word:
                char_to_ix.setdefault(char, len(char_to_ix))
    return char_to_ix


def indices(items, to_ix):
    """A 1-D tensor of the items' indices in to_ix; an item not in it gets UNK_IX."""
    return torch.tensor([to_ix.get(item, UNK_IX) for item in items], dtype=torch.long)


@dataclasses.dataclass
class Vocabulary:
    """The dictionaries that turn words, characters and tags into indices, kept together.

    tag_sets maps each tag set the model predicts to its dictionary, in the order of the
    model's output layers: {"upos": tag_to_ix} and, for a model with the XPOS layer,
    "xpos" too. With lowercase=True words are looked up in lower case, so "The" and "the"
    share one vector; the character LSTM still reads the original spelling, capitals included.
    """
    word_to_ix: dict
    tag_sets: dict
    char_to_ix: dict | None = None  # None when the model reads no characters
    lowercase: bool = False
    word_counts: dict | None = None  # training count of each looked-up word form (None: not kept)
    vector_to_ix: dict | None = None  # rows of the pretrained vectors (None: the model has none)

    @classmethod
    def from_training_data(cls, sentences, gold_tags, chars=False, lowercase=False):
        """Build the dictionaries from word lists and {tag set: one tag list per sentence}."""
        vocab = cls({}, {}, None, lowercase)
        keyed = [[vocab.key(word) for word in words] for words in sentences]
        vocab.word_to_ix, _ = seqs_to_dictionary([(words, []) for words in keyed])
        vocab.tag_sets = {name: seqs_to_dictionary([([], tags) for tags in tag_lists])[1]
                          for name, tag_lists in gold_tags.items()}
        vocab.word_counts = dict(Counter(word for words in keyed for word in words))
        if chars:
            vocab.char_to_ix = chars_to_dictionary([(words, []) for words in sentences])
        return vocab

    @property
    def tag_to_ix(self):
        """The UPOS tags' dictionary, as the tutorial names it."""
        return self.tag_sets["upos"]

    def key(self, word):
        """The form under which `word` is looked up in word_to_ix."""
        return word.lower() if self.lowercase else word

    def word_ids(self, words):
        """A 1-D tensor of word indices; words not seen in training get UNK_IX."""
        return indices([self.key(word) for word in words], self.word_to_ix)

    def vector_ids(self, words):
        """A 1-D tensor of rows in the pretrained vector table; words without one get UNK_IX."""
        return indices([self.key(word) for word in words], self.vector_to_ix)

    def knows(self, word):
        """Whether `word` (in its looked-up form) occurred in the training data."""
        return self.key(word) in self.word_to_ix

    def training_count(self, word):
        """How often `word` (in its looked-up form) occurred in the training data."""
        return self.word_counts.get(self.key(word), 0)
