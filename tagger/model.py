"""The real-data tagger: the tutorial's word_embeddings -> lstm -> hidden2tag, for batches,
with the parts that TaggerConfig switches on, and an output layer per tag set."""
import dataclasses

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from tagger.crf import CRF
from tagger.vocabulary import IGNORE_IX, PAD_IX


@dataclasses.dataclass
class TaggerConfig:
    """Everything that shapes a RealDataTagger; a checkpoint stores it. Size 0: no such part."""
    vocab_size: int
    tagset_size: int
    embedding_dim: int = 6
    hidden_dim: int = 6
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    xpos_tagset_size: int = 0
    char_vocab_size: int = 0
    char_embedding_dim: int = 0
    char_hidden_dim: int = 0
    n_vectors: int = 0
    vector_dim: int = 0
    contextual_dim: int = 0  # a frozen transformer's features
    is_nll_loss: bool = True
    label_smoothing: float = 0.0
    crf: bool = False


class WordSoftmax(nn.Module):
    """The tutorial's output layer: a softmax over each word's tags, each word on its own."""

    def __init__(self, is_nll_loss=True, label_smoothing=0.0):
        super().__init__()
        self.is_nll_loss = is_nll_loss
        self.label_smoothing = label_smoothing
        self.temperature = 1.0  # fitted on dev after training

    def scores(self, tag_space):
        """Log-probabilities for NLLLoss, or the logits themselves for CrossEntropyLoss."""
        return F.log_softmax(tag_space, dim=-1) if self.is_nll_loss else tag_space

    def loss(self, scores, tags):
        """Mean loss per real word: scores (batch, seq_len, n_tags), tags (batch, seq_len)."""
        scores, tags = scores.flatten(0, 1), tags.flatten()  # (words, n_tags), (words,)
        if self.is_nll_loss:
            return F.nll_loss(scores, tags, ignore_index=IGNORE_IX)
        return F.cross_entropy(scores, tags, ignore_index=IGNORE_IX,
                               label_smoothing=self.label_smoothing)

    def decode(self, scores, lengths, probabilities=True):
        """(batch, seq_len, n_tags) -> best tags (batch, seq_len), log-probabilities or None."""
        if not probabilities:
            return scores.argmax(dim=-1), None
        log_probs = F.log_softmax(scores / self.temperature, dim=-1)
        return log_probs.argmax(dim=-1), log_probs


class RealDataTagger(nn.Module):
    """Word vectors (and a character LSTM's) -> LSTM -> one linear and output layer per tag set."""

    same_length_only = False  # packed sequences: batches of mixed lengths too

    def __init__(self, config):
        super().__init__()
        self.config = config
        # padding_idx: the padding vector stays zero and gets no gradient.
        self.word_embeddings = nn.Embedding(config.vocab_size, config.embedding_dim,
                                            padding_idx=PAD_IX)
        lstm_input_dim = config.embedding_dim
        if config.n_vectors:
            # Frozen; training copies the vectors file in, a checkpoint keeps its own copy.
            self.pretrained_embeddings = nn.Embedding.from_pretrained(
                torch.zeros(config.n_vectors, config.vector_dim), freeze=True,
                padding_idx=PAD_IX)
            lstm_input_dim += config.vector_dim
        if config.char_vocab_size:  # spelling gives features to words never seen in training
            self.char_embeddings = nn.Embedding(config.char_vocab_size, config.char_embedding_dim,
                                                padding_idx=PAD_IX)
            self.char_forward = nn.LSTM(config.char_embedding_dim, config.char_hidden_dim,
                                        batch_first=True)
            self.char_backward = nn.LSTM(config.char_embedding_dim, config.char_hidden_dim,
                                         batch_first=True)
            lstm_input_dim += 2 * config.char_hidden_dim
        self.encoder = None  # a frozen transformer: no module of this one, predict encodes
        lstm_input_dim += config.contextual_dim
        self.lstm = nn.LSTM(lstm_input_dim, config.hidden_dim, num_layers=config.num_layers,
                            batch_first=True, bidirectional=config.bidirectional,
                            dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(config.dropout)
        lstm_output_dim = config.hidden_dim * (2 if config.bidirectional else 1)

        def output_layer(n_tags):
            return CRF(n_tags) if config.crf else WordSoftmax(config.is_nll_loss,
                                                              config.label_smoothing)
        self.hidden2tag = nn.Linear(lstm_output_dim, config.tagset_size)
        self.tag_output = output_layer(config.tagset_size)
        self.tag_sets = [(self.hidden2tag, self.tag_output)]  # UPOS first, always
        if config.xpos_tagset_size:
            self.hidden2xpos = nn.Linear(lstm_output_dim, config.xpos_tagset_size)
            self.xpos_output = output_layer(config.xpos_tagset_size)
            self.tag_sets.append((self.hidden2xpos, self.xpos_output))

    @property
    def temperature(self):
        """The UPOS probabilities' temperature (1 unless one was fitted)."""
        return self.tag_output.temperature

    @temperature.setter
    def temperature(self, value):
        self.tag_output.temperature = value

    def char_vectors(self, char_ids, char_lengths):
        """(n_words, max_word_len), (n_words,) -> (n_words, 2 * char_hidden_dim). Each direction
        reads the padded words (the backward one each word's characters reversed, padding after)
        and keeps its state at the last character: unpacked, so that ONNX takes it too."""
        steps = torch.arange(char_ids.size(1), device=char_ids.device).unsqueeze(0)
        last = (char_lengths - 1).unsqueeze(1)  # (n_words, 1)
        reversed_ids = char_ids.gather(1, torch.where(steps <= last, last - steps, steps))
        ends = []
        for lstm, ids in ((self.char_forward, char_ids), (self.char_backward, reversed_ids)):
            states, _ = lstm(self.char_embeddings(ids))  # (n_words, max_word_len, hidden)
            ends.append(states.gather(1, last.unsqueeze(2).expand(-1, 1, states.size(2)))
                        .squeeze(1))
        return torch.cat(ends, dim=-1)

    def char_table(self, chars, cache=None):
        """(n_words, 2 * char_hidden_dim): the character vectors of a Chars' words, in order;
        cache: {word: its vector}, read and filled."""
        if cache is None:
            return torch.cat([self.char_vectors(ids, lengths)
                              for ids, lengths in zip(chars.ids, chars.lengths)])
        first = 0
        for ids, lengths in zip(chars.ids, chars.lengths):
            words = chars.words[first:first + len(lengths)]
            first += len(lengths)
            new = [i for i, word in enumerate(words) if word not in cache]
            if new:
                rows = torch.tensor(new, device=ids.device)
                cache.update(zip([words[i] for i in new],
                                 self.char_vectors(ids[rows], lengths[rows])))
        return torch.stack([cache[word] for word in chars.words])

    def forward(self, batch, char_table=None):
        """One (batch, seq_len, n_tags) score tensor per tag set, UPOS first, for a Batch;
        char_table: char_table(batch.chars) if the caller has it (batches may share their Chars)."""
        embeds = self.word_embeddings(batch.words)  # (batch, seq_len, embedding_dim)
        if self.config.n_vectors:
            embeds = torch.cat([embeds, self.pretrained_embeddings(batch.vectors)], dim=-1)
        if self.config.char_vocab_size:
            if char_table is None:
                char_table = self.char_table(batch.chars)
            # F.embedding: its backward adds a word's gradients in one order, whatever the threads
            embeds = torch.cat([embeds, F.embedding(batch.word_positions, char_table)], dim=-1)
        if self.config.contextual_dim:
            embeds = torch.cat([embeds, batch.contextual], dim=-1)
        embeds = self.dropout(embeds)
        if batch.same_length:
            lstm_out, _ = self.lstm(embeds)  # (batch, seq_len, hidden_dim * directions)
        else:  # packed: padding never reaches a real word's state in either direction
            packed = pack_padded_sequence(embeds, batch.lengths, batch_first=True,
                                          enforce_sorted=False)
            lstm_out, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True,
                                              total_length=batch.words.size(1))
        lstm_out = self.dropout(lstm_out)
        return [output.scores(linear(lstm_out)) for linear, output in self.tag_sets]

    def loss(self, batch):
        """The sum over tag sets of each one's mean loss per word."""
        return sum(output.loss(scores, tags)
                   for (_, output), scores, tags in zip(self.tag_sets, self(batch), batch.tags))

    def decode(self, scores, lengths, probabilities=True):
        """forward's output -> [(tags, log_probs or None), ...], as the output layers decode."""
        return [output.decode(set_scores, lengths, probabilities)
                for (_, output), set_scores in zip(self.tag_sets, scores)]
