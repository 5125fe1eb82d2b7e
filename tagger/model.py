"""The real-data tagger: the tutorial's LSTMTagger, with what real text needs added.

RealDataTagger is a subclass of model_lstm_tagger.LSTMTagger. With its defaults it is that
model; its keyword options add a bidirectional, deeper LSTM, dropout, character-level word
features, a second tag set (XPOS) and a CRF output layer. docs/code.md shows the difference.

The model owns what its outputs mean: training calls `loss(batch)`; prediction calls
`tag_scores(...)` and then `decode(scores, lengths)` for tags and log-probabilities, for every
tag set it predicts. How a tag set's scores become a
loss and tags is the job of its output layer (`WordSoftmax` here: each word on its own, or
`CRF`), so the training loop, prediction and evaluation never ask which output layers a model has.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from model_lstm_tagger import LSTMTagger
from tagger.crf import CRF, IGNORE_IX

PAD_IX = 0  # index of the padding "word" (and padding character) in every vocabulary; main.py's word_to_ix keeps it


class WordSoftmax(nn.Module):
    """The tutorial's output layer: a softmax over the tags of each word, each word on its own.

    With is_nll_loss=True the scores are log_softmax(tag_space) and the loss is NLLLoss;
    otherwise they are the logits themselves and the loss is CrossEntropyLoss, which applies
    log_softmax inside (optionally with label smoothing). The two losses are the same function
    of the logits (main_example.py, section 2). It has no weights: the model's linear layer
    (hidden2tag) makes the scores.
    """

    def __init__(self, is_nll_loss=True, label_smoothing=0.0):
        super().__init__()
        self.is_nll_loss = is_nll_loss
        self.label_smoothing = label_smoothing
        # Not learned in training: decode reports softmax(scores / temperature).
        # evaluation.fit_temperature fits it on dev data after training; it never changes a tag.
        self.temperature = 1.0

    def scores(self, tag_space):
        """Log-probabilities for NLLLoss, or the logits themselves for CrossEntropyLoss."""
        return F.log_softmax(tag_space, dim=-1) if self.is_nll_loss else tag_space

    def loss(self, scores, tags):
        """Mean loss per real word: scores (batch, seq_len, n_tags), tags (batch, seq_len), IGNORE_IX at padding."""
        scores, tags = scores.flatten(0, 1), tags.flatten()  # (words, n_tags) and (words,)
        if self.is_nll_loss:
            return F.nll_loss(scores, tags, ignore_index=IGNORE_IX)
        return F.cross_entropy(scores, tags, ignore_index=IGNORE_IX, label_smoothing=self.label_smoothing)

    def decode(self, scores, lengths, probabilities=True):
        """The best tag of each word and every tag's log-probability, at the temperature.

        scores (batch, seq_len, n_tags) -> (tags (batch, seq_len), log_probs (batch, seq_len, n_tags),
        or None with probabilities=False). log_softmax turns logits into log-probabilities; on
        log-probabilities at temperature 1 it changes nothing; neither changes the best tag.
        Rows past a sentence's length are padding and mean nothing.
        """
        if not probabilities:
            return scores.argmax(dim=-1), None
        log_probs = F.log_softmax(scores / self.temperature, dim=-1)
        return log_probs.argmax(dim=-1), log_probs


class RealDataTagger(LSTMTagger):
    """The tutorial's LSTMTagger, for batches of real text.

    What it changes: padded batches (packed for the LSTM), an LSTM that may read both
    directions and have several layers, dropout, optional character features and an XPOS
    layer, and an output layer per tag set (`WordSoftmax`, or a `CRF` with crf=True).
    model(sentence) is still the tutorial's call for a words-only model: a 1-D tensor of
    word indices in, one row of UPOS scores per word out (log-probabilities with
    is_nll_loss=True, logits otherwise; with crf=True the raw emission scores, which are
    neither: the CRF normalises whole sequences). Training calls loss(batch); tagging calls
    tag_scores and then decode.
    """

    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size, is_nll_loss=True,
                 bidirectional=False, num_layers=1, dropout=0.0,
                 char_vocab_size=0, char_embedding_dim=0, char_hidden_dim=0, xpos_tagset_size=0,
                 label_smoothing=0.0, crf=False):
        super().__init__(embedding_dim, hidden_dim, vocab_size, tagset_size, is_nll_loss)
        # The tutorial's three layers; those that real data needs larger are made again below.
        # Batches are padded: padding_idx keeps the padding vector at zero and untrained.
        self.word_embeddings.padding_idx = PAD_IX
        with torch.no_grad():
            self.word_embeddings.weight[PAD_IX].zero_()

        # Optional: a small bidirectional LSTM reads each word letter by letter, so that
        # words never seen in training still get features (suffixes, capitals, digits).
        self.use_chars = char_vocab_size > 0
        lstm_input_dim = embedding_dim
        if self.use_chars:
            self.char_embeddings = nn.Embedding(char_vocab_size, char_embedding_dim, padding_idx=PAD_IX)
            self.char_lstm = nn.LSTM(char_embedding_dim, char_hidden_dim, batch_first=True, bidirectional=True)
            lstm_input_dim += 2 * char_hidden_dim

        # The word LSTM may read the sentence in both directions, with several layers.
        if self.use_chars or bidirectional or num_layers > 1:
            self.lstm = nn.LSTM(lstm_input_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                                bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)

        # hidden2tag reads both directions' states; each tag set's output layer turns its
        # scores into a loss and tags (with crf=True a CRF, which scores whole tag sequences).
        lstm_output_dim = hidden_dim * (2 if bidirectional else 1)

        def output_layer(n_tags):
            return CRF(n_tags) if crf else WordSoftmax(is_nll_loss, label_smoothing)
        if bidirectional:
            self.hidden2tag = nn.Linear(lstm_output_dim, tagset_size)
        self.tag_output = output_layer(tagset_size)
        # Each tag set: (its linear layer, its output layer). UPOS first, always.
        self.tag_sets = [(self.hidden2tag, self.tag_output)]
        # Optional: the same for the XPOS tags (Penn Treebank tags in UD English).
        if xpos_tagset_size > 0:
            self.hidden2xpos = nn.Linear(lstm_output_dim, xpos_tagset_size)
            self.xpos_output = output_layer(xpos_tagset_size)
            self.tag_sets.append((self.hidden2xpos, self.xpos_output))

    @property
    def temperature(self):
        """The UPOS probabilities' temperature (1 unless one was fitted; see evaluation.fit_temperature)."""
        return self.tag_output.temperature

    @temperature.setter
    def temperature(self, value):
        self.tag_output.temperature = value

    def forward(self, sentence):
        """The tutorial's call: (seq_len,) word indices -> (seq_len, tagset_size) UPOS scores."""
        if self.use_chars:
            raise ValueError("a model that reads characters takes a Batch: use loss(batch), or tag_scores and decode")
        upos_scores = self.tag_scores(sentence.unsqueeze(0), lengths=None, char_features=None)[0]
        return upos_scores.squeeze(0)

    def tag_scores(self, words, lengths, char_features):
        """Score every word for every tag set: one (batch, seq_len, n_tags) tensor per tag set.

        words (batch, seq_len) padded with PAD_IX; lengths (batch,) the real lengths (None:
        no padding); char_features (batch, seq_len, 2 * char_hidden_dim), or None for a model
        that reads no characters.
        """
        embeds = self.word_embeddings(words)  # (batch, seq_len, embedding_dim)
        if self.use_chars:
            embeds = torch.cat([embeds, char_features], dim=-1)
        embeds = self.dropout(embeds)

        # No hidden state is passed in, so every call starts from zeros: nothing carries
        # over from one sentence (or batch) to the next.
        if lengths is None or bool((lengths == words.size(1)).all()):
            # No padding, so nothing to pack; on the CPU this also runs faster than a packed
            # batch of mixed lengths (oneDNN kernels instead of a loop over positions), which
            # is why prediction batches sentences of one length.
            lstm_out, _ = self.lstm(embeds)  # (batch, seq_len, hidden_dim * directions)
        else:
            # Packing makes the forward direction stop at each sentence's real end and the
            # backward direction start there, so padding never reaches a real word's state.
            packed = pack_padded_sequence(embeds, lengths.cpu(), batch_first=True, enforce_sorted=False)
            packed_out, _ = self.lstm(packed)
            lstm_out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=words.size(1))

        lstm_out = self.dropout(lstm_out)
        return [output.scores(linear(lstm_out)) for linear, output in self.tag_sets]

    def loss(self, batch):
        """The training loss of a tagger.batches.Batch: the sum over tag sets of each one's mean loss per word.

        Why a plain sum: each is a cross entropy in nats per word, of the same size, and each
        layer's gradient reaches the shared LSTM at its own natural scale.
        """
        scores = self.tag_scores(batch.words, batch.lengths, self.batch_char_features(batch))
        return sum(output.loss(set_scores, tags)
                   for (_, output), set_scores, tags in zip(self.tag_sets, scores, batch.tags))

    def decode(self, scores, lengths, probabilities=True):
        """tag_scores' output (one tensor per tag set) -> [(tags, log_probs), ...], UPOS first.

        tags (batch, seq_len) and log_probs (batch, seq_len, n_tags). Each output layer decodes
        its own tag set; with probabilities=False log_probs is None (a CRF then skips its
        forward-backward pass). Call it in eval mode and under torch.no_grad().
        """
        return [output.decode(set_scores, lengths, probabilities)
                for (_, output), set_scores in zip(self.tag_sets, scores)]

    def batch_char_features(self, batch):
        """The character LSTM's features of every token of a batch (None for a words-only model)."""
        if not self.use_chars:
            return None
        char_ids, char_lengths, word_positions = batch.chars
        return self.word_char_vectors(char_ids, char_lengths)[word_positions]  # (batch, seq_len, 2 * char_hidden_dim)

    def word_char_vectors(self, char_ids, char_lengths):
        """The character LSTM's vector of each word: (n_words, max_word_len) -> (n_words, 2 * char_hidden_dim).

        It is the last hidden state of each direction: the forward one after the last letter,
        the backward one after the first.
        """
        char_embeds = self.char_embeddings(char_ids)  # (n_words, max_word_len, char_embedding_dim)
        if bool((char_lengths == char_ids.size(1)).all()):
            _, (final_hidden, _) = self.char_lstm(char_embeds)  # words of one length: no padding
        else:
            packed = pack_padded_sequence(char_embeds, char_lengths.cpu(), batch_first=True, enforce_sorted=False)
            _, (final_hidden, _) = self.char_lstm(packed)  # (2, n_words, char_hidden_dim)
        return torch.cat([final_hidden[0], final_hidden[1]], dim=-1)
