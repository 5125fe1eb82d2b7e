"""A linear-chain CRF output layer: a softmax over whole tag sequences, and Viterbi decoding.

score(y) = start[y_1] + sum_t emissions[t, y_t] + sum_t transitions[y_t, y_t+1] + end[y_n];
the loss is log Z - score(gold). benchmarks/crf_example.py shows each step on numbers.
"""
import torch
import torch.nn as nn

from tagger.vocabulary import IGNORE_IX


class CRF(nn.Module):
    """A CRF over n_tags tags, used by RealDataTagger as an output layer (loss, decode)."""

    def __init__(self, n_tags):
        super().__init__()
        # Zero at first: the untrained CRF is the per-word softmax.
        self.transitions = nn.Parameter(torch.zeros(n_tags, n_tags))  # [previous tag, next tag]
        self.start = nn.Parameter(torch.zeros(n_tags))
        self.end = nn.Parameter(torch.zeros(n_tags))
        self.temperature = 1.0  # fitted after training, for the marginals; never changes a tag

    def scores(self, tag_space):
        """The linear layer's raw scores: the CRF normalises whole sequences."""
        return tag_space

    def loss(self, emissions, tags):
        """-log p(gold sequence) per real word: (batch, seq_len, n_tags), (batch, seq_len)."""
        mask = tags != IGNORE_IX
        gold = tags.masked_fill(~mask, 0)
        log_z = self.log_partition(emissions, mask)
        return (log_z - self.sequence_score(emissions, gold, mask)).sum() / mask.sum()

    def sequence_score(self, emissions, tags, mask):
        """score(y) of the given tag sequences: (batch,). Padded positions add nothing."""
        lengths = mask.sum(dim=1)
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (batch, seq_len)
        moved = self.transitions[tags[:, :-1], tags[:, 1:]]  # (batch, seq_len - 1)
        last = tags.gather(1, (lengths - 1).unsqueeze(1)).squeeze(1)
        return (self.start[tags[:, 0]] + (emitted * mask).sum(dim=1)
                + (moved * mask[:, 1:]).sum(dim=1) + self.end[last])

    def forward_scores(self, emissions, mask, last_only=False):
        """alpha[:, t, j]: log of the summed exp(score) of the sequences of words 1..t ending in
        tag j (batch, seq_len, n_tags), or each sentence's last (batch, n_tags); padding: kept."""
        alpha = self.start + emissions[:, 0]  # (batch, n_tags)
        alphas = [alpha]
        for t in range(1, emissions.size(1)):
            # (batch, previous tag, 1) + (previous tag, next tag) -> logsumexp over the previous tag
            step = torch.logsumexp(alpha.unsqueeze(2) + self.transitions, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t].unsqueeze(1), step, alpha)
            if not last_only:
                alphas.append(alpha)
        return alpha if last_only else torch.stack(alphas, dim=1)  # (batch, seq_len, n_tags)

    def log_partition(self, emissions, mask):
        """log Z of each sentence: (batch,). The last alpha is each sentence's last word's."""
        return torch.logsumexp(self.forward_scores(emissions, mask, last_only=True) + self.end,
                               dim=1)

    def backward_scores(self, emissions, mask):
        """beta[:, t, i]: log of the summed exp(score) of what follows tag i at word t."""
        transitions, end = self.transitions, self.end
        beta = end.expand(emissions.size(0), -1)  # at each sentence's last word
        betas = [beta]
        for t in range(emissions.size(1) - 2, -1, -1):
            step = torch.logsumexp(transitions + (emissions[:, t + 1] + beta).unsqueeze(1), dim=2)
            beta = torch.where(mask[:, t + 1].unsqueeze(1), step, end)  # word t the last: end
            betas.append(beta)
        return torch.stack(betas[::-1], dim=1)  # (batch, seq_len, n_tags)

    def marginals(self, emissions, mask):
        """log p(word t has tag j) over all sequences: alpha + beta - log Z (forward-backward)."""
        alpha = self.forward_scores(emissions, mask)
        beta = self.backward_scores(emissions, mask)
        log_z = torch.logsumexp(alpha[:, -1] + self.end, dim=1)
        return alpha + beta - log_z[:, None, None]

    def viterbi(self, emissions, mask):
        """The highest-scoring tag sequence of each sentence: (batch, seq_len), 0 at padding."""
        batch, seq_len, n_tags = emissions.shape
        best = self.start + emissions[:, 0]
        pointers = []
        for t in range(1, seq_len):
            step, previous = (best.unsqueeze(2) + self.transitions).max(dim=1)
            keep = mask[:, t].unsqueeze(1)
            best = torch.where(keep, step + emissions[:, t], best)
            # Past a sentence's end, point each tag at itself, so the path back passes unchanged.
            pointers.append(torch.where(keep, previous,
                                        torch.arange(n_tags, device=emissions.device)))
        tag = (best + self.end).argmax(dim=1)  # (batch,)
        path = [tag]
        for previous in reversed(pointers):
            tag = previous.gather(1, tag.unsqueeze(1)).squeeze(1)
            path.append(tag)
        return torch.stack(path[::-1], dim=1).masked_fill(~mask, 0)

    def decode(self, emissions, lengths, probabilities=True):
        """(batch, seq_len, n_tags), (batch,) -> Viterbi tags, marginal log-probs or None."""
        positions = torch.arange(emissions.size(1), device=emissions.device)
        mask = positions < lengths.to(emissions.device).unsqueeze(1)
        tags = self.viterbi(emissions, mask)
        if not probabilities:
            return tags, None
        log_marginals = self.marginals(emissions, mask)
        if self.temperature == 1.0:
            return tags, log_marginals
        return tags, torch.log_softmax(log_marginals / self.temperature, dim=-1)
