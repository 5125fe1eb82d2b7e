"""The LSTM part-of-speech tagger of PyTorch's tutorial "Sequence Models and Long Short-Term
Memory Networks", line for line, with the choice this repository is about: is_nll_loss.

Three differences from the tutorial, each on purpose (the README lists them):
- batch_first=True and a batch dimension: the LSTM reads (batch, seq_len, features), and one
  sentence is a batch of one. That is what lets the real-data tagger (tagger/model.py), which
  is built on this class, train on mini-batches.
- dim=-1 in log_softmax: the tags are the last dimension, whatever comes before them.
- No hidden state is kept: each call starts from zeros, as the tutorial's tagger does today.
"""
import torch.nn as nn
import torch.nn.functional as F


class LSTMTagger(nn.Module):
    """Word embeddings -> LSTM -> linear layer; log_softmax outputs (for NLLLoss) or logits.

    With is_nll_loss=True forward returns log-probabilities, for nn.NLLLoss; with False it
    returns the raw scores (logits), for nn.CrossEntropyLoss, which applies log_softmax itself.
    The two train the same model (main_example.py shows why).
    """

    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size, is_nll_loss=True):
        super().__init__()
        self.is_nll_loss = is_nll_loss

        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)

        # Reads the word vectors in order; its output at each word is a vector of hidden_dim numbers.
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, batch_first=True)

        # One score per tag for each word, computed from the LSTM's output at that word.
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        """(seq_len,) word indices -> (seq_len, tagset_size) tag scores."""
        embeds = self.word_embeddings(sentence)  # (seq_len, embedding_dim)
        lstm_out, _ = self.lstm(embeds.unsqueeze(0))  # a batch of one: (1, seq_len, hidden_dim)
        tag_space = self.hidden2tag(lstm_out.squeeze(0))  # (seq_len, tagset_size)
        if self.is_nll_loss:
            return F.log_softmax(tag_space, dim=-1)
        return tag_space
