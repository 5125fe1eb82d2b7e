"""The real-data tagger: the tutorial's word_embeddings -> lstm -> hidden2tag, for padded batches.

Options add a character LSTM, two directions, more layers, dropout, an XPOS layer and a CRF.
Each tag set has an output layer (WordSoftmax or CRF) that turns its scores into a loss and tags,
so training and prediction never ask which kind a model has.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from tagger.crf import CRF
from tagger.vocabulary import IGNORE_IX, PAD_IX


class WordSoftmax(nn.Module):
    """The tutorial's output layer: a softmax over each word's tags, each word on its own."""

    def __init__(self, is_nll_loss=True, label_smoothing=0.0):
        super().__init__()
        self.is_nll_loss = is_nll_loss
        self.label_smoothing = label_smoothing
        self.temperature = 1.0  # fitted on dev after training; never changes a tag

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

    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size, is_nll_loss=True,
                 bidirectional=False, num_layers=1, dropout=0.0, char_vocab_size=0,
                 char_embedding_dim=0, char_hidden_dim=0, xpos_tagset_size=0,
                 label_smoothing=0.0, crf=False, n_vectors=0, vector_dim=0):
        super().__init__()
        # padding_idx: the padding vector stays zero and gets no gradient.
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_IX)
        self.use_chars = char_vocab_size > 0
        lstm_input_dim = embedding_dim
        if n_vectors > 0:
            # Pretrained vectors: a second table, frozen. Training fills it from the vectors file
            # (a checkpoint from its own copy); a word never seen in training still has its row.
            self.pretrained_embeddings = nn.Embedding.from_pretrained(
                torch.zeros(n_vectors, vector_dim), freeze=True, padding_idx=PAD_IX)
            lstm_input_dim += vector_dim
        if self.use_chars:  # spelling gives features to words never seen in training
            self.char_embeddings = nn.Embedding(char_vocab_size, char_embedding_dim,
                                                padding_idx=PAD_IX)
            self.char_lstm = nn.LSTM(char_embedding_dim, char_hidden_dim, batch_first=True,
                                     bidirectional=True)
            lstm_input_dim += 2 * char_hidden_dim
        self.lstm = nn.LSTM(lstm_input_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                            bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        lstm_output_dim = hidden_dim * (2 if bidirectional else 1)

        def output_layer(n_tags):
            return CRF(n_tags) if crf else WordSoftmax(is_nll_loss, label_smoothing)
        self.hidden2tag = nn.Linear(lstm_output_dim, tagset_size)
        self.tag_output = output_layer(tagset_size)
        self.tag_sets = [(self.hidden2tag, self.tag_output)]  # UPOS first, always
        if xpos_tagset_size > 0:
            self.hidden2xpos = nn.Linear(lstm_output_dim, xpos_tagset_size)
            self.xpos_output = output_layer(xpos_tagset_size)
            self.tag_sets.append((self.hidden2xpos, self.xpos_output))

    @property
    def temperature(self):
        """The UPOS probabilities' temperature (1 unless one was fitted)."""
        return self.tag_output.temperature

    @temperature.setter
    def temperature(self, value):
        self.tag_output.temperature = value

    def forward(self, words, lengths=None, char_features=None, vector_ids=None):
        """One (batch, seq_len, n_tags) score tensor per tag set, UPOS first.

        words (batch, seq_len), padded with PAD_IX; lengths (batch,), None if unpadded;
        char_features (batch, seq_len, 2 * char_hidden_dim) for a model that reads characters;
        vector_ids (batch, seq_len), rows of pretrained_embeddings, for a model that has them.
        """
        embeds = self.word_embeddings(words)  # (batch, seq_len, embedding_dim)
        if vector_ids is not None:
            embeds = torch.cat([embeds, self.pretrained_embeddings(vector_ids)], dim=-1)
        if self.use_chars:
            embeds = torch.cat([embeds, char_features], dim=-1)
        embeds = self.dropout(embeds)
        if lengths is None or bool((lengths == words.size(1)).all()):
            # Unpadded runs faster on the CPU (oneDNN): prediction batches one length at a time.
            lstm_out, _ = self.lstm(embeds)  # (batch, seq_len, hidden_dim * directions)
        else:
            # Packed, padding never reaches a real word's state in either direction.
            packed = pack_padded_sequence(embeds, lengths.cpu(), batch_first=True,
                                          enforce_sorted=False)
            lstm_out, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True,
                                              total_length=words.size(1))
        lstm_out = self.dropout(lstm_out)
        return [output.scores(linear(lstm_out)) for linear, output in self.tag_sets]

    def loss(self, batch):
        """The sum over tag sets of each one's mean loss per word, for a tagger.batches.Batch."""
        scores = self(batch.words, batch.lengths, self.batch_char_features(batch), batch.vectors)
        return sum(output.loss(set_scores, tags)
                   for (_, output), set_scores, tags in zip(self.tag_sets, scores, batch.tags))

    def decode(self, scores, lengths, probabilities=True):
        """forward's output -> [(tags, log_probs), ...], UPOS first; log_probs None if not asked.

        tags (batch, seq_len), log_probs (batch, seq_len, n_tags). Call it in eval mode, under
        torch.no_grad().
        """
        return [output.decode(set_scores, lengths, probabilities)
                for (_, output), set_scores in zip(self.tag_sets, scores)]

    def batch_char_features(self, batch):
        """(batch, seq_len, 2 * char_hidden_dim) character features, or None without characters."""
        if not self.use_chars:
            return None
        char_ids, char_lengths, word_positions = batch.chars
        return self.word_char_vectors(char_ids, char_lengths)[word_positions]

    def word_char_vectors(self, char_ids, char_lengths):
        """(n_words, max_word_len) -> (n_words, 2 * char_hidden_dim), both directions' ends."""
        char_embeds = self.char_embeddings(char_ids)  # (n_words, max_word_len, char_embedding_dim)
        if bool((char_lengths == char_ids.size(1)).all()):
            _, (final_hidden, _) = self.char_lstm(char_embeds)  # one length: no padding
        else:
            packed = pack_padded_sequence(char_embeds, char_lengths.cpu(), batch_first=True,
                                          enforce_sorted=False)
            _, (final_hidden, _) = self.char_lstm(packed)  # (2, n_words, char_hidden_dim)
        return torch.cat([final_hidden[0], final_hidden[1]], dim=-1)


def lstm_shapes(name, input_size, hidden_size, num_layers=1, bidirectional=False):
    """The state_dict shapes of nn.LSTM(input_size, hidden_size, num_layers, bidirectional)."""
    shapes = {}
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else hidden_size * (2 if bidirectional else 1)
        for suffix in ("", "_reverse") if bidirectional else ("",):
            shapes.update({f"{name}.weight_ih_l{layer}{suffix}": (4 * hidden_size, layer_input),
                           f"{name}.weight_hh_l{layer}{suffix}": (4 * hidden_size, hidden_size),
                           f"{name}.bias_ih_l{layer}{suffix}": (4 * hidden_size,),
                           f"{name}.bias_hh_l{layer}{suffix}": (4 * hidden_size,)})
    return shapes


def parameter_shapes(embedding_dim, hidden_dim, vocab_size, tagset_size, bidirectional=False,
                     num_layers=1, char_vocab_size=0, char_embedding_dim=0, char_hidden_dim=0,
                     xpos_tagset_size=0, crf=False, n_vectors=0, vector_dim=0, **_):
    """The shape of every tensor in RealDataTagger(...).state_dict(), without building anything.

    A checkpoint's weights are compared with it before a model of its settings is made.
    """
    shapes = {"word_embeddings.weight": (vocab_size, embedding_dim)}
    lstm_input_dim = embedding_dim
    if n_vectors > 0:
        shapes["pretrained_embeddings.weight"] = (n_vectors, vector_dim)
        lstm_input_dim += vector_dim
    if char_vocab_size > 0:
        shapes["char_embeddings.weight"] = (char_vocab_size, char_embedding_dim)
        shapes.update(lstm_shapes("char_lstm", char_embedding_dim, char_hidden_dim,
                                  bidirectional=True))
        lstm_input_dim += 2 * char_hidden_dim
    shapes.update(lstm_shapes("lstm", lstm_input_dim, hidden_dim, num_layers, bidirectional))
    lstm_output_dim = hidden_dim * (2 if bidirectional else 1)
    tag_sets = [("hidden2tag", "tag_output", tagset_size)]
    if xpos_tagset_size > 0:
        tag_sets.append(("hidden2xpos", "xpos_output", xpos_tagset_size))
    for linear, output, n_tags in tag_sets:
        shapes.update({f"{linear}.weight": (n_tags, lstm_output_dim), f"{linear}.bias": (n_tags,)})
        if crf:
            shapes.update({f"{output}.transitions": (n_tags, n_tags), f"{output}.start": (n_tags,),
                           f"{output}.end": (n_tags,)})
    return shapes
