"""The LSTM part-of-speech tagger of PyTorch's "Sequence Models and LSTM Networks" tutorial.

With its defaults this is the tutorial's model: word embeddings -> LSTM -> linear layer.
The keyword options add what real data needs (a bidirectional, deeper LSTM, dropout and
character-level word features); they are all off by default.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD_IX = 0  # index of the padding "word" (and padding character) in every vocabulary
UNK_IX = 1  # index of the unknown word (and unknown character)


class LSTMTagger(nn.Module):
    """Tags each word of a sentence.

    forward returns log-probabilities (log_softmax, to train with NLLLoss) when
    is_nll_loss is True, and raw scores (logits, to train with CrossEntropyLoss) otherwise.
    With xpos_tagset_size > 0 a second output layer tags each word with a second tag set
    (the treebank's own tags, XPOS) from the same LSTM states, and forward returns a pair.
    """

    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size, is_nll_loss=True,
                 bidirectional=False, num_layers=1, dropout=0.0,
                 char_vocab_size=0, char_embedding_dim=0, char_hidden_dim=0, xpos_tagset_size=0):
        super().__init__()
        self.is_nll_loss = is_nll_loss
        self.hidden_dim = hidden_dim

        # One vector per word; padding_idx keeps the padding vector at zero, untrained.
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_IX)

        # Optional: a small bidirectional LSTM reads each word letter by letter, so that
        # words never seen in training still get features (suffixes, capitals, digits).
        self.use_chars = char_vocab_size > 0
        lstm_input_dim = embedding_dim
        if self.use_chars:
            self.char_embeddings = nn.Embedding(char_vocab_size, char_embedding_dim, padding_idx=PAD_IX)
            self.char_lstm = nn.LSTM(char_embedding_dim, char_hidden_dim, batch_first=True, bidirectional=True)
            lstm_input_dim += 2 * char_hidden_dim

        # The LSTM takes word vectors as inputs and outputs hidden states of size hidden_dim
        # (twice that when it reads the sentence in both directions).
        self.lstm = nn.LSTM(lstm_input_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                            bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)

        # The linear layer that maps from hidden state space to tag space.
        self.hidden2tag = nn.Linear(hidden_dim * (2 if bidirectional else 1), tagset_size)
        # Optional: the same for the XPOS tags (Penn Treebank tags in UD English).
        self.has_xpos = xpos_tagset_size > 0
        if self.has_xpos:
            self.hidden2xpos = nn.Linear(hidden_dim * (2 if bidirectional else 1), xpos_tagset_size)

        # Not learned in training and not used by forward: the UPOS probabilities that prediction
        # reports are softmax(scores / temperature). evaluation.fit_temperature fits it on dev
        # data after training, to make them honest; it never changes which tag is chosen.
        self.temperature = 1.0

    def forward(self, sentence, lengths=None, chars=None, char_features=None):
        """Score every word: (seq_len,) indices -> (seq_len, tagset_size).

        With the XPOS layer it returns (UPOS scores, XPOS scores), the second of shape
        (..., xpos_tagset_size).

        A batch works too: sentence (batch, seq_len) padded with PAD_IX, lengths (batch,)
        the real lengths -> (batch, seq_len, tagset_size); rows past a sentence's end are
        padding. chars, needed when the model uses characters, comes from
        train.chars_to_tensors: (char_ids, char_lengths, word_positions). A caller that has
        run the character LSTM already passes its output, (batch, seq_len, 2 * char_hidden_dim),
        as char_features instead.
        """
        if sentence.dim() == 1:
            scores = self.forward(sentence.unsqueeze(0), lengths, chars, char_features)
            if self.has_xpos:
                return scores[0].squeeze(0), scores[1].squeeze(0)
            return scores.squeeze(0)

        embeds = self.word_embeddings(sentence)  # (batch, seq_len, embedding_dim)
        if self.use_chars:
            if char_features is None:
                char_features = self.char_features(*chars)
            embeds = torch.cat([embeds, char_features], dim=-1)
        embeds = self.dropout(embeds)

        # No hidden state is passed in, so every call starts from zeros: nothing carries
        # over from one sentence (or batch) to the next.
        if lengths is None or bool((lengths == sentence.size(1)).all()):
            # No padding, so nothing to pack; on the CPU this also runs faster than a packed
            # batch of mixed lengths (oneDNN kernels instead of a loop over positions), which
            # is why prediction batches sentences of one length.
            lstm_out, _ = self.lstm(embeds)  # (batch, seq_len, hidden_dim * directions)
        else:
            # Packing makes the forward direction stop at each sentence's real end and the
            # backward direction start there, so padding never reaches a real word's state.
            packed = pack_padded_sequence(embeds, lengths.cpu(), batch_first=True, enforce_sorted=False)
            packed_out, _ = self.lstm(packed)
            lstm_out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=sentence.size(1))

        lstm_out = self.dropout(lstm_out)
        tag_space = self.hidden2tag(lstm_out)  # (batch, seq_len, tagset_size)
        if self.has_xpos:
            return self.output(tag_space), self.output(self.hidden2xpos(lstm_out))
        return self.output(tag_space)

    def output(self, tag_space):
        """Log-probabilities for NLLLoss, or the logits themselves for CrossEntropyLoss."""
        if self.is_nll_loss:
            return F.log_softmax(tag_space, dim=-1)
        return tag_space

    def char_features(self, char_ids, char_lengths, word_positions):
        """Run the character LSTM once per distinct word and place the results per token.

        char_ids (n_words, max_word_len), char_lengths (n_words,), word_positions
        (batch, seq_len) indexing into the n_words -> (batch, seq_len, 2 * char_hidden_dim).
        """
        return self.word_char_vectors(char_ids, char_lengths)[word_positions]

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
