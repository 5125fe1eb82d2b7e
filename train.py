"""Dictionaries, index tensors, the training loop and prediction for LSTMTagger (scores: evaluation.py)."""
import contextlib
import dataclasses
import math
import random
from collections import Counter

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from tqdm import tqdm

from data import InputError
from model_lstm_tagger import IGNORE_IX, PAD_IX, UNK_IX, LSTMTagger


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


MAX_WORD_CHARS = 64  # the character LSTM reads at most this many characters of a word


def spelling(word):
    """The characters of `word` that the character LSTM reads: all of them, or the first and last 32.

    A word's affixes carry what the characters tell the tagger (capitals, -ing, -ly, digits),
    and real words are shorter (in EWT only long URLs and separator lines pass 64 characters), so the bound keeps
    their tags as they were while one absurd token (a million characters with no space) costs
    no more time and memory than any other.
    """
    if len(word) <= MAX_WORD_CHARS:
        return word
    return word[:MAX_WORD_CHARS // 2] + word[-MAX_WORD_CHARS // 2:]


def chars_to_tensors(sentences, char_to_ix):
    """Character inputs for a batch, built once per distinct word rather than once per token.

    Returns char_ids (n_words, max_word_len), char_lengths (n_words,) and word_positions
    (batch, seq_len): for each token, the row of its word in char_ids (0 at padding).
    """
    word_row = {}
    positions = [word_row.setdefault(word, len(word_row)) for words in sentences for word in words]
    distinct_words = [spelling(word) for word in word_row]
    word_lengths = [len(word) for word in distinct_words]
    all_chars = prepare_sequence([char for word in distinct_words for char in word], char_to_ix)
    char_ids = split_and_pad(all_chars, word_lengths, PAD_IX)
    sentence_lengths = [len(words) for words in sentences]
    word_positions = split_and_pad(torch.tensor(positions, dtype=torch.long), sentence_lengths, 0)
    return char_ids, torch.tensor(word_lengths), word_positions


@dataclasses.dataclass
class Batch:
    """Padded tensors for a group of sentences, ready for LSTMTagger.loss and LSTMTagger.decode."""
    words: torch.Tensor         # (batch, seq_len) word indices, PAD_IX after each sentence
    lengths: torch.Tensor       # (batch,) real sentence lengths; stays on the CPU for packing
    tags: list | None           # one (batch, seq_len) tensor of tag indices per tag set, IGNORE_IX at padding
    chars: tuple | None         # chars_to_tensors(...) output, when the model reads characters
    sentence_ids: list          # position of each row's sentence in the caller's list

    def to(self, device):
        """Return this batch with its tensors moved to `device` (lengths stay on the CPU)."""
        chars = tuple(t.to(device) for t in self.chars) if self.chars is not None else None
        tags = [t.to(device) for t in self.tags] if self.tags is not None else None
        return Batch(self.words.to(device), self.lengths, tags, chars, self.sentence_ids)


def make_batches(sentences, vocab, gold_tags=None, batch_size=1, device="cpu", same_length=False, with_chars=True):
    """Group sentences (lists of words) into Batches; gold_tags: {tag set: one tag list per sentence}.

    Sentences are sorted by length first, so that each batch holds sentences of similar
    length and little of it is padding. Each Batch remembers where its sentences came from.
    With gold_tags, each batch holds the tags of every tag set in vocab.tag_sets.
    same_length=True starts a new batch at each new length as well, so no batch has padding.
    with_chars=False leaves out the character inputs (predict builds its own).
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
        tags = None
        if gold_tags is not None:
            tags = []
            for name, tag_to_ix in vocab.tag_sets.items():
                all_tags = torch.tensor([tag_to_ix[tag] for i in ids for tag in gold_tags[name][i]], dtype=torch.long)
                tags.append(split_and_pad(all_tags, lengths, IGNORE_IX))
        chars = None
        if with_chars and vocab.char_to_ix is not None:
            chars = chars_to_tensors(word_lists, vocab.char_to_ix)
        batches.append(Batch(words, torch.tensor(lengths), tags, chars, ids).to(device))
    return batches


def word_count_tensor(vocab):
    """Training-set count of each word index, as floats; padding and <unk> count as infinite."""
    tensor = torch.tensor([float(vocab.word_counts.get(word, 0)) for word in vocab.word_to_ix])
    tensor[PAD_IX] = tensor[UNK_IX] = float("inf")
    return tensor


def tag_set_names(args):
    """The tag sets that main.py's options train: UPOS, and XPOS with --xpos."""
    return ("upos", "xpos") if args.xpos else ("upos",)


def build_model(args, sentences, gold_tags, device):
    """The dictionaries and the untrained model that main.py's options describe: (model, vocab, settings).

    settings are LSTMTagger's keyword arguments, which a checkpoint stores to rebuild the model.
    """
    vocab = Vocabulary.from_training_data(sentences, gold_tags, chars=args.chars, lowercase=args.lowercase)
    settings = dict(embedding_dim=args.embedding_dim, hidden_dim=args.hidden_dim, vocab_size=len(vocab.word_to_ix),
                    tagset_size=len(vocab.tag_to_ix), is_nll_loss=args.loss == "nll",
                    bidirectional=args.bidirectional, num_layers=args.num_layers, dropout=args.dropout,
                    xpos_tagset_size=len(vocab.tag_sets.get("xpos", {})), label_smoothing=args.label_smoothing or 0.0,
                    crf=args.crf)
    if args.chars:
        settings.update(char_vocab_size=len(vocab.char_to_ix), char_embedding_dim=args.char_embedding_dim,
                        char_hidden_dim=args.char_hidden_dim)
    try:
        model = LSTMTagger(**settings).to(device)
    except RuntimeError as error:  # torch's allocator says so with a RuntimeError
        if "alloc" not in str(error):
            raise
        raise InputError(f"the model does not fit in memory ({str(error).splitlines()[0]}): choose smaller sizes") from None
    return model, vocab, settings


def make_optimizer(args, model):
    """SGD, as in the tutorial, or Adam (with --adam-beta2)."""
    if args.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=args.lr)
    # fused: one kernel per parameter tensor makes a single pass over its weights and Adam
    # state, where the default runs several whole-tensor operations one after another
    # (`python benchmark.py --rows adam-step` measures both on the recipe's model).
    return torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, args.adam_beta2 or 0.999), fused=True)


def make_weight_average(model, decay):
    """An exponential moving average of the model's weights (torch.optim.swa_utils.AveragedModel).

    After every step each averaged weight moves (1 - decay) of the way towards the trained one,
    so it averages roughly the last 1 / (1 - decay) steps. The average sits nearer the middle of
    the valley the steps bounce around in than the last step does; it is the neural counterpart
    of the averaged perceptron (docs/real-data.md measures the gain). Its .module is a model
    like any other: evaluate and save that.
    """
    return torch.optim.swa_utils.AveragedModel(
        model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(decay))


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
    subnormal floats, which CPUs compute far more slowly than normal ones, so without this
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


def train(model, batches, optimizer, epochs, clip_grad=None, lr_decay=1.0,
          word_counts=None, unk_alpha=0.0, after_epoch=None, progress=False, averaged_model=None):
    """Train for `epochs` passes over `batches`; return each epoch's mean loss per token.

    With batches of one sentence this is the tutorial's loop; the model computes the loss
    of a batch (model.loss). The order of the batches is shuffled every epoch with Python's
    `random`, so the caller's seed fixes it. After each epoch the learning rate is
    multiplied by lr_decay (1.0: constant). after_epoch(epoch, mean_loss), if given, is
    called after each epoch (to log, evaluate or save); this function prints nothing (the
    optional tqdm bar goes to stderr). averaged_model, if given (make_weight_average), is
    updated after every step.
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
            if unk_alpha > 0:
                batch = dataclasses.replace(batch, words=replace_rare_words(batch.words, word_counts, unk_alpha))
            loss = model.loss(batch)  # mean over the batch's real words (padding is skipped)
            loss.backward()
            if clip_grad:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
            optimizer.step()
            if averaged_model is not None:
                averaged_model.update_parameters(model)
            n_tokens = int(batch.lengths.sum())
            if not math.isfinite(loss.item()):  # the weights are lost: say so now, not with a model of nans
                raise InputError(f"training diverged in epoch {epoch}: the loss is {loss.item()} "
                                 "(a smaller --lr or a --clip-grad may help)")
            loss_sum += loss.item() * n_tokens
            token_count += n_tokens
        epoch_losses.append(loss_sum / token_count)
        schedule.step()
        if after_epoch is not None:
            after_epoch(epoch, epoch_losses[-1])
    return epoch_losses


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


@dataclasses.dataclass
class Prediction:
    """A tag set's predictions for a list of sentences."""
    tags: list       # one list of tag names per sentence
    log_probs: list  # one (len(words), n_tags) CPU tensor of log-probabilities per sentence


DECODE_SLOTS = 4_096  # sentences x longest length decoded at once: small enough for the CPU cache (a CRF runs faster)


@torch.no_grad()
def predict(model, sentences, vocab, batch_size=512, device="cpu", probabilities=True):
    """Tag each word list in `sentences`: {tag set name: Prediction}, for every tag set of the model.

    The LSTM runs on batches of sentences of one length: no padding, so it runs unpacked
    (faster), and every row is a whole sentence. The character LSTM reads each distinct word
    once, for all the batches. The scores of many batches are then decoded together, padded
    (the model decides how tags and log-probabilities come from scores): a CRF's Viterbi and
    forward-backward loop over positions, so one pass over a group of lengths costs far less
    than a pass per length. probabilities=False leaves the log-probabilities out (None), which
    spares a CRF its forward-backward pass when only the tags are wanted.
    """
    model.eval()  # dropout off
    predictions = {name: Prediction([None] * len(sentences), [None] * len(sentences)) for name in vocab.tag_sets}
    if not sentences:
        return predictions
    if vocab.char_to_ix is not None:
        table, word_positions = char_vector_table(model, sentences, vocab.char_to_ix, device)
    ix_to_tag = {name: list(tag_to_ix) for name, tag_to_ix in vocab.tag_sets.items()}
    group = []  # (sentence ids, [scores of each tag set]) of batches not yet decoded, shortest first

    def decode_group():
        ids = [sentence_id for batch_ids, _ in group for sentence_id in batch_ids]
        lengths = torch.tensor([len(sentences[sentence_id]) for sentence_id in ids])
        longest = group[-1][1][0].size(1)
        # Each tag set's scores of the whole group: (sentences, longest, n_tags), padded after each sentence.
        scores = [torch.cat([F.pad(batch_scores[i], (0, 0, 0, longest - batch_scores[i].size(1)))
                             for _, batch_scores in group]) for i in range(len(vocab.tag_sets))]
        for name, (tags, log_probs) in zip(vocab.tag_sets, model.decode_scores(scores, lengths, probabilities)):
            for row, (sentence_id, length) in enumerate(zip(ids, lengths.tolist())):
                predictions[name].tags[sentence_id] = [ix_to_tag[name][ix] for ix in tags[row, :length].tolist()]
                if probabilities:
                    predictions[name].log_probs[sentence_id] = log_probs[row, :length].cpu()
        group.clear()

    for batch in make_batches(sentences, vocab, batch_size=batch_size, device=device,
                              same_length=True, with_chars=False):
        char_features = None
        if vocab.char_to_ix is not None:
            char_features = table[word_positions[batch.sentence_ids, :batch.words.size(1)]]
        waiting = sum(len(ids) for ids, _ in group)
        if group and (waiting + len(batch.sentence_ids)) * batch.words.size(1) > DECODE_SLOTS:
            decode_group()
        group.append((batch.sentence_ids, model.tag_scores(batch.words, batch.lengths, char_features)))
    decode_group()
    return predictions
