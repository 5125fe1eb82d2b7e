"""The LSTM tagger of PyTorch's tutorial "Sequence Models and Long Short-Term Memory Networks",
layer for layer, with one option that this repository is about: is_nll_loss."""
import torch.nn as nn
import torch.nn.functional as F


class LSTMTagger(nn.Module):
    """Word embeddings -> LSTM -> linear layer; log-probabilities (NLLLoss) or logits (CE).

    is_nll_loss=True returns log_softmax of the tag scores, for nn.NLLLoss; False returns the
    scores themselves, for nn.CrossEntropyLoss, which applies log_softmax inside. Both train
    the same model (main_example.py shows why). No hidden state is kept between calls.
    """

    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size, is_nll_loss=True):
        super().__init__()
        self.is_nll_loss = is_nll_loss

        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)

        # Reads the word vectors in order; its output at each word is hidden_dim numbers.
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)

        # One score per tag for each word, from the LSTM's output at that word.
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        """(seq_len,) word indices -> (seq_len, tagset_size) tag scores."""
        embeds = self.word_embeddings(sentence)  # (seq_len, embedding_dim)
        # nn.LSTM wants (seq_len, batch, features): the sentence is a batch of one.
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))  # (seq_len, 1, hidden_dim)
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))  # (seq_len, tagset_size)
        if self.is_nll_loss:
            return F.log_softmax(tag_space, dim=1)
        return tag_space
