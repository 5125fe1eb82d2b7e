"""Tagging: one prediction loop for any model, and lines in, tagged lines out, for every caller."""
import dataclasses

import torch
import torch.nn.functional as F

from tagger.conllu import TAG_COLUMNS, conllu_sentence, conllu_sentences
from tagger.errors import InputError
from tagger.tokenizer import split_on_whitespace, tokenize
from tagger.vocabulary import make_batches

CHUNK_WORDS = 200_000  # words tagged at a time when streaming (docs/tagging.md: other sizes)
# The LSTM reads a sentence whole: memory follows the longest, and a longer one is unsplit text.
MAX_SENTENCE_WORDS = 10_000
DECODE_SLOTS = 4_096  # sentences x longest length decoded at once: within the CPU's cache
CHAR_CACHE_WORDS = 20_000  # a char_cache over this many words (about 1 KB each) is emptied first


@dataclasses.dataclass
class Prediction:
    """A tag set's predictions for a list of sentences."""
    tags: list  # one list of tag names per sentence
    log_probs: list  # one (len(words), n_tags) CPU tensor per sentence, or None


@torch.no_grad()
def predict(model, sentences, vocab, batch_size=512, device="cpu", probabilities=True,
            same_length=True, char_cache=None, features=None):
    """Tag word lists: {tag set name: Prediction}, for a model of checkpoint.load_model.

    Batches of one length run unpadded (faster with many sentences of each length); with
    same_length=False, padded (faster for a few of many lengths). The scores of many batches are
    decoded together, since a CRF's decoding loops over positions. char_cache: kept by a caller
    of many small calls; features: the transformer's, if computed already.
    """
    predictions = {name: Prediction([None] * len(sentences), [None] * len(sentences))
                   for name in vocab.tag_sets}
    ix_to_tag = {name: list(tag_to_ix) for name, tag_to_ix in vocab.tag_sets.items()}
    group = []  # (sentence ids, each tag set's scores) of batches not yet decoded, shortest first

    def decode_group():
        ids = [sentence_id for batch_ids, _ in group for sentence_id in batch_ids]
        lengths = torch.tensor([len(sentences[sentence_id]) for sentence_id in ids])
        longest = group[-1][1][0].size(1)
        scores = [torch.cat([F.pad(batch_scores[i], (0, 0, 0, longest - batch_scores[i].size(1)))
                             for _, batch_scores in group]) for i in range(len(vocab.tag_sets))]
        for name, (tags, log_probs) in zip(vocab.tag_sets,
                                           model.decode(scores, lengths, probabilities)):
            for row, (sentence_id, length) in enumerate(zip(ids, lengths.tolist())):
                predictions[name].tags[sentence_id] = [ix_to_tag[name][ix]
                                                       for ix in tags[row, :length].tolist()]
                if probabilities:
                    predictions[name].log_probs[sentence_id] = log_probs[row, :length].cpu()
        group.clear()

    same_length = same_length or model.same_length_only
    if features is None and model.encoder is not None:
        features = model.encoder.encode(sentences)
    batches = make_batches(sentences, vocab, batch_size=batch_size, device=device,
                           same_length=same_length, features=features)
    # The batches share their words' characters: the character vectors are computed once.
    char_table, chars = None, batches[0].chars if batches else None
    if chars and char_cache is None:
        char_table = model.char_table(chars)
    elif chars:
        if len(char_cache) > CHAR_CACHE_WORDS:
            char_cache.clear()  # memory stays bounded
        char_table = model.char_table(chars, char_cache)
    for batch in batches:
        waiting = sum(len(ids) for ids, _ in group) + len(batch.sentence_ids)
        if group and waiting * batch.words.size(1) > DECODE_SLOTS:
            decode_group()
        group.append((batch.sentence_ids, model(batch, char_table)))
    if group:
        decode_group()
    return predictions


def text_lines(reader, warnings, offset=0):
    """(line number, text, offset in characters) of a LineReader's lines; a line that is not
    UTF-8 gets U+FFFD for each bad sequence, and a warning in `warnings`."""
    for number, raw in reader:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            warnings.append(f"{reader.name} line {number}: not valid UTF-8 (byte "
                            f"0x{raw[error.start]:02x}); tagged with U+FFFD in place of each "
                            "invalid sequence")
            line = raw.decode("utf-8", errors="replace")
        if number == 1 and reader.bom:  # a character of the input: counted
            offset += 1
        yield number, line.rstrip("\r\n"), offset
        offset += len(line)


def chunks(items, n_words, more_ready, chunk_words):
    """Lists of items of about chunk_words words, or fewer when more_ready() says none is ready."""
    chunk, words = [], 0
    for item in items:
        chunk.append(item)
        words += n_words(item)
        if words >= chunk_words or not more_ready():
            yield chunk
            chunk, words = [], 0
    if chunk:
        yield chunk


def words_of(tokens):
    """The words of a list of tokens, in order (a contraction's token gives two)."""
    return [word for token in tokens for word in token.words]


def tag_sentences(model, vocab, sentences, batch_size=512, device="cpu"):
    """One {tag set: tags} per word list (empty lists allowed), tags only."""
    predictions = predict(model, [words for words in sentences if words], vocab, batch_size,
                          device, probabilities=False)
    tagged = {name: iter(prediction.tags) for name, prediction in predictions.items()}
    return [{name: next(tags) if words else [] for name, tags in tagged.items()}
            for words in sentences]


def tokenized_lines(numbered_lines, source, pretokenized=False):
    """(text, offset, tokens) of each (line number, text, offset) line, one sentence a line."""
    tokenize_line = split_on_whitespace if pretokenized else tokenize
    for number, line, offset in numbered_lines:
        tokens = tokenize_line(line, MAX_SENTENCE_WORDS)  # a huge line: refused when it is seen
        if len(words_of(tokens)) > MAX_SENTENCE_WORDS:
            raise InputError(f"{source} line {number}: more than {MAX_SENTENCE_WORDS:,} words in "
                             "one line, which is tagged as one sentence: put each sentence on a "
                             "line of its own")
        yield line, offset, tokens


def tagged_line(line, offset, tokens, tags, conllu=False):
    """A tagged line as tagger.tag writes it: word/UPOS(/XPOS), or CoNLL-U."""
    if conllu:
        return conllu_sentence(line, tokens, tags, offset=offset) if tokens else ""
    pairs = zip(words_of(tokens), *tags.values())
    return " ".join("/".join(word_tags) for word_tags in pairs) + "\n"


def tag_text(model, vocab, numbered_lines, source, conllu=False, pretokenized=False,
             batch_size=512, device="cpu", chunk_words=None, more_ready=lambda: True):
    """Tag (line number, text, offset) lines: yield (lines, output text) a chunk at a time."""
    lines = tokenized_lines(numbered_lines, source, pretokenized)
    for chunk in chunks(lines, lambda line: len(words_of(line[2])), more_ready,
                        chunk_words or CHUNK_WORDS):
        all_tags = tag_sentences(model, vocab, [words_of(tokens) for _, _, tokens in chunk],
                                 batch_size, device)
        yield len(chunk), "".join(tagged_line(*line, tags, conllu)
                                  for line, tags in zip(chunk, all_tags))


def tag_conllu(model, vocab, reader, batch_size=512, device="cpu", chunk_words=None):
    """Tag a CoNLL-U LineReader's words: yield (sentences, retagged text) a chunk at a time."""
    columns = [TAG_COLUMNS[name] for name in vocab.tag_sets]
    sentences = conllu_sentences(reader, tags_required=False, max_words=MAX_SENTENCE_WORDS)
    for chunk in chunks(sentences, lambda sentence: len(sentence.words), reader.more_ready,
                        chunk_words or CHUNK_WORDS):
        all_tags = tag_sentences(model, vocab, [sentence.words for sentence in chunk],
                                 batch_size, device)
        yield len(chunk), "".join(sentence.with_tags(dict(zip(columns, tags.values())))
                                  for sentence, tags in zip(chunk, all_tags))
