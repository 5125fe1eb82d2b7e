"""Tagging word lists with a trained tagger: tags and log-probabilities, batched for speed."""
import dataclasses

import torch
import torch.nn.functional as F

from tagger.batches import MAX_WORD_CHARS, chars_to_tensors, make_batches


def char_vector_table(model, sentences, char_to_ix, device="cpu", max_word_chars=MAX_WORD_CHARS):
    """The character LSTM's vector of every distinct word in `sentences`, and where each token's is.

    Returns table (n_words, 2 * char_hidden_dim) and word_positions (n_sentences, max_len): the
    row of each token's word in the table. For tagging many sentences this is faster than the
    per-batch character inputs of make_batches: a word that recurs across batches is read once,
    and words of one length at a time go through the LSTM unpacked.
    """
    char_ids, char_lengths, word_positions = chars_to_tensors(sentences, char_to_ix, max_word_chars)
    table = torch.empty(len(char_lengths), 2 * model.char_lstm.hidden_size, device=device)
    for length in char_lengths.unique().tolist():
        rows = (char_lengths == length).nonzero().squeeze(1)
        table[rows.to(device)] = model.word_char_vectors(char_ids[rows, :length].to(device),
                                                         char_lengths[rows])
    return table, word_positions.to(device)


@dataclasses.dataclass
class Prediction:
    """A tag set's predictions for a list of sentences."""
    tags: list       # one list of tag names per sentence
    log_probs: list  # one (len(words), n_tags) CPU tensor of log-probabilities per sentence


# sentences x longest length decoded at once: small enough for the CPU cache (a CRF runs faster)
DECODE_SLOTS = 4_096


@torch.no_grad()
def predict(model, sentences, vocab, batch_size=512, device="cpu", probabilities=True,
            max_word_chars=MAX_WORD_CHARS):
    """Tag each word list in `sentences`: {tag set name: Prediction}, for every tag set of the
    model; probabilities=False leaves the log-probabilities out (None).

    The LSTM runs on batches of one length (unpadded, faster); the scores of many batches are
    decoded together, padded, since a CRF's decoding loops over positions.
    """
    if not isinstance(model, torch.nn.Module):  # an exported model (tagger.onnx_tagger)
        return model.predict(sentences, vocab, batch_size, probabilities)
    model.eval()  # dropout off
    predictions = {name: Prediction([None] * len(sentences),
                                    [None] * len(sentences)) for name in vocab.tag_sets}
    if not sentences:
        return predictions
    if vocab.char_to_ix is not None:
        table, word_positions = char_vector_table(model, sentences, vocab.char_to_ix, device,
                                                  max_word_chars)
    ix_to_tag = {name: list(tag_to_ix) for name, tag_to_ix in vocab.tag_sets.items()}
    # (sentence ids, [scores of each tag set]) of batches not yet decoded, shortest first
    group = []

    def decode_group():
        ids = [sentence_id for batch_ids, _ in group for sentence_id in batch_ids]
        lengths = torch.tensor([len(sentences[sentence_id]) for sentence_id in ids])
        longest = group[-1][1][0].size(1)
        # Each tag set's scores of the whole group: (sentences, longest, n_tags), padded after each
        # sentence.
        scores = [torch.cat([F.pad(batch_scores[i], (0, 0, 0, longest - batch_scores[i].size(1)))
                             for _, batch_scores in group]) for i in range(len(vocab.tag_sets))]
        for name, (tags, log_probs) in zip(vocab.tag_sets,
                                           model.decode(scores, lengths, probabilities)):
            for row, (sentence_id, length) in enumerate(zip(ids, lengths.tolist())):
                tag_ids = tags[row, :length].tolist()
                predictions[name].tags[sentence_id] = [ix_to_tag[name][ix] for ix in tag_ids]
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
        group.append((batch.sentence_ids, model(batch.words, batch.lengths, char_features,
                                                batch.vectors)))
    decode_group()
    return predictions
