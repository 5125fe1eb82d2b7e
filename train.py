"""Dictionaries, index tensors, the training loop and prediction for LSTMTagger (scores: evaluation.py)."""
import contextlib
import random
from collections import Counter
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from tqdm import tqdm

from model_lstm_tagger import PAD_IX, UNK_IX

IGNORE_IX = -100  # tag index at padded positions; NLLLoss and CrossEntropyLoss skip it by default


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


@dataclass
class Vocabulary:
    """The dictionaries that turn words, characters and tags into indices, kept together.

    With lowercase=True words are looked up in lower case, so "The" and "the" share one
    vector; the character LSTM still reads the original spelling, capitals included.
    """
    word_to_ix: dict
    tag_to_ix: dict
    char_to_ix: dict | None = None  # None when the model reads no characters
    lowercase: bool = False
    xpos_to_ix: dict | None = None  # None when the model has no XPOS layer
    word_counts: dict | None = None  # training count of each looked-up word form (None: not kept)

    @classmethod
    def from_training_data(cls, training_data, chars=False, lowercase=False, xpos_tags=None):
        """Build the dictionaries from [(words, tags), ...]; xpos_tags: one XPOS list per sentence."""
        vocab = cls({}, {}, None, lowercase)
        keyed = [([vocab.key(word) for word in words], tags) for words, tags in training_data]
        vocab.word_to_ix, vocab.tag_to_ix = seqs_to_dictionary(keyed)
        vocab.word_counts = dict(Counter(word for words, _ in keyed for word in words))
        if chars:
            vocab.char_to_ix = chars_to_dictionary(training_data)
        if xpos_tags is not None:
            _, vocab.xpos_to_ix = seqs_to_dictionary([([], tags) for tags in xpos_tags])
        return vocab

    def key(self, word):
        """The form under which `word` is looked up in word_to_ix."""
        return word.lower() if self.lowercase else word

    def word_ids(self, words):
        """A 1-D tensor of word indices; words not seen in training get UNK_IX."""
        return prepare_sequence([self.key(word) for word in words], self.word_to_ix)

    def knows(self, word):
        """Whether `word` (in its looked-up form) occurred in the training data."""
        return self.key(word) in self.word_to_ix

    def training_count(self, word):
        """How often `word` (in its looked-up form) occurred in the training data."""
        return self.word_counts.get(self.key(word), 0)


def prepare_sequence(seq, to_ix):
    """Turn a list of tokens into a 1-D tensor of indices; unknown tokens get UNK_IX."""
    return torch.tensor([to_ix.get(token, UNK_IX) for token in seq], dtype=torch.long)


def split_and_pad(flat, lengths, padding_value):
    """Cut a 1-D tensor into consecutive pieces of the given lengths; pad them into one 2-D tensor.

    make_batches builds one tensor per batch and cuts it, rather than one tensor per word or
    sentence: making a tensor has a fixed cost that, paid per word, would dominate.
    """
    return pad_sequence(flat.split(lengths), batch_first=True, padding_value=padding_value)


def chars_to_tensors(sentences, char_to_ix):
    """Character inputs for a batch, built once per distinct word rather than once per token.

    Returns char_ids (n_words, max_word_len), char_lengths (n_words,) and word_positions
    (batch, seq_len): for each token, the row of its word in char_ids (0 at padding).
    """
    word_row = {}
    positions = [word_row.setdefault(word, len(word_row)) for words in sentences for word in words]
    distinct_words = list(word_row)
    word_lengths = [len(word) for word in distinct_words]
    all_chars = prepare_sequence([char for word in distinct_words for char in word], char_to_ix)
    char_ids = split_and_pad(all_chars, word_lengths, PAD_IX)
    sentence_lengths = [len(words) for words in sentences]
    word_positions = split_and_pad(torch.tensor(positions, dtype=torch.long), sentence_lengths, 0)
    return char_ids, torch.tensor(word_lengths), word_positions


@dataclass
class Batch:
    """Padded tensors for a group of sentences, ready for LSTMTagger.forward."""
    words: torch.Tensor         # (batch, seq_len) word indices, PAD_IX after each sentence
    lengths: torch.Tensor       # (batch,) real sentence lengths; stays on the CPU for packing
    tags: torch.Tensor | None   # (batch, seq_len) tag indices, IGNORE_IX at padding
    chars: tuple | None         # chars_to_tensors(...) output, when the model reads characters
    sentence_ids: list          # position of each row's sentence in the caller's list
    xpos: torch.Tensor | None = None  # (batch, seq_len) XPOS tag indices, as tags

    def to(self, device):
        """Return this batch with its tensors moved to `device` (lengths stay on the CPU)."""
        chars = tuple(t.to(device) for t in self.chars) if self.chars is not None else None
        tags = self.tags.to(device) if self.tags is not None else None
        xpos = self.xpos.to(device) if self.xpos is not None else None
        return Batch(self.words.to(device), self.lengths, tags, chars, self.sentence_ids, xpos)


def make_batches(sentences, vocab, tags=None, batch_size=1, device="cpu", same_length=False, with_chars=True,
                 xpos_tags=None):
    """Group sentences (lists of words) into Batches; with `tags`, one tag list per sentence.

    Sentences are sorted by length first, so that each batch holds sentences of similar
    length and little of it is padding. Each Batch remembers where its sentences came from.
    xpos_tags, if given, holds one XPOS tag list per sentence, for a model with an XPOS layer.
    same_length=True starts a new batch at each new length as well, so no batch has padding.
    with_chars=False leaves out the character inputs (predict_tags builds its own).
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
        words = split_and_pad(vocab.word_ids([word for words in word_lists for word in words]), lengths, PAD_IX)
        tag_ids = xpos_ids = None
        if tags is not None:
            all_tags = torch.tensor([vocab.tag_to_ix[tag] for i in ids for tag in tags[i]], dtype=torch.long)
            tag_ids = split_and_pad(all_tags, lengths, IGNORE_IX)
        if xpos_tags is not None:
            all_xpos = torch.tensor([vocab.xpos_to_ix[tag] for i in ids for tag in xpos_tags[i]], dtype=torch.long)
            xpos_ids = split_and_pad(all_xpos, lengths, IGNORE_IX)
        chars = None
        if with_chars and vocab.char_to_ix is not None:
            chars = chars_to_tensors(word_lists, vocab.char_to_ix)
        batches.append(Batch(words, torch.tensor(lengths), tag_ids, chars, ids, xpos_ids).to(device))
    return batches


def word_count_tensor(vocab):
    """Training-set count of each word index, as floats; padding and <unk> count as infinite."""
    tensor = torch.tensor([float(vocab.word_counts.get(word, 0)) for word in vocab.word_to_ix])
    tensor[PAD_IX] = tensor[UNK_IX] = float("inf")
    return tensor


def replace_rare_words(words, word_counts, unk_alpha):
    """Randomly swap training words for <unk>, rare words more often: p = a / (a + count).

    This is how the <unk> embedding gets trained: without it, <unk> never occurs in
    training and unknown words at test time all share one random vector.
    """
    counts = word_counts[words]
    replace = torch.rand(words.shape, device=words.device) < unk_alpha / (unk_alpha + counts)
    return words.masked_fill(replace, UNK_IX)


@contextlib.contextmanager
def subnormals_flushed_to_zero():
    """Within this block, the CPU counts subnormal floats (float32: below 1.2e-38) as zero.

    Adam keeps a running average of each weight's gradient that shrinks by 10% at every step
    in which the weight gets no gradient. For the vector of a rare word it decays into such
    subnormal floats, which CPUs compute many times slower than normal ones, so without this
    training slows down as they pile up (most at batch size 1, which takes the most steps).
    Rounding them to zero changes nothing that matters.
    torch.set_flush_denormal sets a flag in the floating-point control register of the
    calling thread only. A new thread gets a copy of its creator's register when the
    operating system creates it, so the worker threads PyTorch creates for its CPU work flush
    only if they are created inside this block: enter it before any other torch work.
    On the way out, only the calling thread's flag is set back to the default (off); worker
    threads created inside the block go on flushing for as long as they live.
    """
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def train(model, batches, loss_function, optimizer, epochs, clip_grad=None, lr_decay=1.0,
          word_counts=None, unk_alpha=0.0, after_epoch=None, progress=False):
    """Train for `epochs` passes over `batches`; return each epoch's mean loss per token.

    With batches of one sentence this is the tutorial's loop. The order of the batches is
    shuffled every epoch with Python's `random`, so the caller's seed fixes it. After each
    epoch the learning rate is multiplied by lr_decay (1.0: constant).
    after_epoch(epoch, mean_loss), if given, is called after each epoch (to log, evaluate or
    save); this function prints nothing (the optional tqdm bar goes to stderr).
    """
    epoch_losses = []
    order = list(range(len(batches)))
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=lr_decay)
    for epoch in range(1, epochs + 1):
        model.train()
        random.shuffle(order)
        loss_sum, token_count = 0.0, 0
        for i in tqdm(order, desc=f"epoch {epoch}", leave=False,
                      disable=None if progress else True):  # None: shown only on a terminal
            batch = batches[i]
            # PyTorch accumulates gradients, so clear them out before each step.
            model.zero_grad()
            words = batch.words
            if unk_alpha > 0:
                words = replace_rare_words(words, word_counts, unk_alpha)
            tag_scores = model(words, batch.lengths, batch.chars)  # (batch, seq_len, tagset_size)
            if model.has_xpos:
                tag_scores, xpos_scores = tag_scores
            # Flatten to (tokens, tagset_size); padded positions have target IGNORE_IX and
            # the loss averages over the real tokens only.
            loss = loss_function(tag_scores.flatten(0, 1), batch.tags.flatten())
            if model.has_xpos:
                # The sum of the two tasks' losses: the LSTM learns states that serve both.
                loss = loss + loss_function(xpos_scores.flatten(0, 1), batch.xpos.flatten())
            loss.backward()
            if clip_grad:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
            optimizer.step()
            n_tokens = int(batch.lengths.sum())
            loss_sum += loss.item() * n_tokens
            token_count += n_tokens
        epoch_losses.append(loss_sum / token_count)
        schedule.step()
        if after_epoch is not None:
            after_epoch(epoch, epoch_losses[-1])
    return epoch_losses


def predict_proba(model, batch):
    """Tag probabilities (batch, seq_len, tagset_size) for a Batch; padded rows are meaningless.

    softmax over the tag dimension turns the cross-entropy model's logits into probabilities;
    on the NLL model's log-probabilities it is the same as exp, as they already sum to one
    after it. Scores are divided by the model's temperature first (1 unless one was fitted;
    see evaluation.fit_temperature).
    """
    model.eval()
    with torch.no_grad():
        scores = model(batch.words, batch.lengths, batch.chars)
    if model.has_xpos:
        scores = scores[0]  # the UPOS scores
    return F.softmax(scores / model.temperature, dim=-1)


def char_vector_table(model, sentences, char_to_ix, device="cpu"):
    """The character LSTM's vector of every distinct word in `sentences`, and where each token's is.

    Returns table (n_words, 2 * char_hidden_dim) and word_positions (n_sentences, max_len): the
    row of each token's word in the table. For tagging many sentences this is faster than the
    per-batch character inputs of make_batches: a word that recurs across batches is read once,
    and words of one length at a time go through the LSTM unpacked.
    """
    char_ids, char_lengths, word_positions = chars_to_tensors(sentences, char_to_ix)
    table = torch.empty(len(char_lengths), 2 * model.char_lstm.hidden_size, device=device)
    for length in char_lengths.unique().tolist():
        rows = (char_lengths == length).nonzero().squeeze(1)
        table[rows.to(device)] = model.word_char_vectors(char_ids[rows, :length].to(device), char_lengths[rows])
    return table, word_positions.to(device)


@torch.no_grad()  # on a generator, no_grad holds while it runs, not while its caller does
def scored_batches(model, sentences, vocab, batch_size=512, device="cpu"):
    """Run the model over `sentences` (word lists): yield (batch, UPOS scores, XPOS scores or None).

    Each batch holds sentences of one length: no padding, so the LSTM runs unpacked (faster),
    and every row of the scores is a whole sentence. The character LSTM reads each distinct
    word once, for all the batches.
    """
    if not sentences:
        return
    model.eval()  # dropout off
    if vocab.char_to_ix is not None:
        table, word_positions = char_vector_table(model, sentences, vocab.char_to_ix, device)
    for batch in make_batches(sentences, vocab, batch_size=batch_size, device=device,
                              same_length=True, with_chars=False):
        char_features = None
        if vocab.char_to_ix is not None:
            char_features = table[word_positions[batch.sentence_ids, :batch.words.size(1)]]
        scores = model(batch.words, batch.lengths, char_features=char_features)
        yield (batch, *scores) if model.has_xpos else (batch, scores, None)


def predict_tags(model, sentences, vocab, batch_size=512, device="cpu"):
    """Tag each word list in `sentences`; returns one list of tag names per sentence."""
    return predict_tag_sets(model, sentences, vocab, batch_size, device)[0]


def predict_tag_sets(model, sentences, vocab, batch_size=512, device="cpu"):
    """Tag each word list in `sentences`: (UPOS tag lists, XPOS tag lists or None without that layer)."""
    ix_to_tag = list(vocab.tag_to_ix)
    ix_to_xpos = list(vocab.xpos_to_ix) if model.has_xpos else None
    predicted = [None] * len(sentences)
    predicted_xpos = [None] * len(sentences) if model.has_xpos else None
    for batch, scores, xpos_scores in scored_batches(model, sentences, vocab, batch_size, device):
        # The highest score is the highest probability: softmax keeps the order.
        best = scores.argmax(dim=-1).tolist()  # (batch, seq_len)
        for row, sentence_id in enumerate(batch.sentence_ids):
            predicted[sentence_id] = [ix_to_tag[ix] for ix in best[row]]
        if xpos_scores is not None:
            best_xpos = xpos_scores.argmax(dim=-1).tolist()
            for row, sentence_id in enumerate(batch.sentence_ids):
                predicted_xpos[sentence_id] = [ix_to_xpos[ix] for ix in best_xpos[row]]
    return predicted, predicted_xpos


def predict_log_probs(model, sentences, vocab, batch_size=512, device="cpu"):
    """Log-probabilities of every tag for every word: one (len(words), tags) CPU tensor per sentence.

    Returns (UPOS, XPOS or None without that layer). The UPOS scores are divided by the
    model's temperature first (1 unless one was fitted; see evaluation.fit_temperature).
    """
    log_probs = [None] * len(sentences)
    xpos_log_probs = [None] * len(sentences) if model.has_xpos else None
    for batch, scores, xpos_scores in scored_batches(model, sentences, vocab, batch_size, device):
        # log_softmax also turns the cross-entropy model's logits into log-probabilities; on
        # the NLL model's log-probabilities at temperature 1 it changes nothing.
        scores = F.log_softmax(scores / model.temperature, dim=-1).cpu()
        for row, sentence_id in enumerate(batch.sentence_ids):
            log_probs[sentence_id] = scores[row]
        if xpos_scores is not None:
            xpos_scores = F.log_softmax(xpos_scores, dim=-1).cpu()
            for row, sentence_id in enumerate(batch.sentence_ids):
                xpos_log_probs[sentence_id] = xpos_scores[row]
    return log_probs, xpos_log_probs
