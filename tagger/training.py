"""Building, training and averaging the real-data tagger: the training loop with mini-batches."""
import contextlib
import dataclasses
import math
import random

import torch
from tqdm import tqdm

from tagger.cli import is_out_of_memory
from tagger.errors import InputError
from tagger.model import RealDataTagger
from tagger.vocabulary import UNK_IX, Vocabulary


def tag_set_names(args):
    """The tag sets that tagger.train's options train: UPOS, and XPOS with --xpos."""
    return ("upos", "xpos") if args.xpos else ("upos",)


def build_model(args, sentences, gold_tags, device):
    """The dictionaries and untrained model the options describe: (model, vocab, settings).

    settings are RealDataTagger's keyword arguments, which a checkpoint stores.
    """
    vocab = Vocabulary.from_training_data(sentences, gold_tags, chars=args.chars,
                                          lowercase=args.lowercase)
    settings = dict(embedding_dim=args.embedding_dim, hidden_dim=args.hidden_dim,
                    vocab_size=len(vocab.word_to_ix),
                    tagset_size=len(vocab.tag_to_ix), is_nll_loss=args.loss == "nll",
                    bidirectional=args.bidirectional, num_layers=args.num_layers,
                    dropout=args.dropout,
                    xpos_tagset_size=len(vocab.tag_sets.get("xpos", {})),
                    label_smoothing=args.label_smoothing or 0.0,
                    crf=args.crf)
    if args.chars:
        settings.update(char_vocab_size=len(vocab.char_to_ix),
                        char_embedding_dim=args.char_embedding_dim,
                        char_hidden_dim=args.char_hidden_dim)
    vector_weights = None
    if args.word_vectors:
        vocab.vector_to_ix, vector_weights = load_vectors(args, vocab)
        settings.update(n_vectors=len(vocab.vector_to_ix), vector_dim=vector_weights.size(1))
    try:
        model = RealDataTagger(**settings)
        if vector_weights is not None:
            with torch.no_grad():
                model.pretrained_embeddings.weight.copy_(vector_weights)
        model = model.to(device)
    except (MemoryError, RuntimeError) as error:
        if not is_out_of_memory(error):
            raise
        raise InputError("the model does not fit in memory: choose smaller sizes") from None
    return model, vocab, settings


def load_vectors(args, vocab):
    """(vector_to_ix, weights) for --word-vectors; no training word in the file is an error."""
    from tagger.train_options import DEFAULT_MAX_VECTORS
    from tagger.vectors import read_word_vectors, vector_table
    training_words = set(vocab.word_to_ix) - {"<pad>", "<unk>"}
    vectors, dimension = read_word_vectors(args.word_vectors, training_words,
                                           args.max_vectors or DEFAULT_MAX_VECTORS)
    if not training_words & set(vectors):
        lower = "" if args.lowercase else " (GloVe's are lower case: add --lowercase)"
        raise InputError(f"{args.word_vectors}: no training word has a vector there: the wrong "
                         f"file, or the words' case differs{lower}")
    return vector_table(vectors, dimension)


def make_optimizer(args, model):
    """SGD, as in the tutorial, or Adam (with --adam-beta2)."""
    if args.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=args.lr)
    # fused: one pass over each tensor's weights and state, not several whole-tensor operations.
    return torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, args.adam_beta2 or 0.999),
                            fused=True)


def make_weight_average(model, decay):
    """An exponential moving average of the weights, updated after every step.

    It averages about the last 1 / (1 - decay) steps: nearer the middle of the valley the steps
    bounce around in than the last step. Its .module is a model like any other.
    """
    return torch.optim.swa_utils.AveragedModel(
        model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(decay))


def replace_rare_words(words, word_counts, unk_alpha):
    """Swap training words for <unk> with p = a / (a + count), so that <unk>'s vector is trained."""
    counts = word_counts[words]
    replace = torch.rand(words.shape, device=words.device) < unk_alpha / (unk_alpha + counts)
    return words.masked_fill(replace, UNK_IX)


@contextlib.contextmanager
def subnormals_flushed_to_zero():
    """Within this block, the CPU counts subnormal floats (float32: below 1.2e-38) as zero.

    Adam's average of a rare word's gradient decays into subnormals, which CPUs compute far
    more slowly. New threads copy the flag: enter before torch starts its worker threads.
    """
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def train(model, batches, optimizer, epochs, clip_grad=None, lr_decay=1.0,
          word_counts=None, unk_alpha=0.0, after_epoch=None, progress=False, averaged_model=None):
    """Train for `epochs` passes over `batches`; return each epoch's mean loss per token.

    Batches of one sentence give the tutorial's loop. The batch order is shuffled every epoch
    with Python's `random` (the caller seeds it). after_epoch(epoch, mean_loss) may log,
    evaluate or save; averaged_model, if given, is updated after every step.
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
            # backward() adds to the old gradients: clear them before each step.
            model.zero_grad()
            if unk_alpha > 0:
                batch = dataclasses.replace(batch,
                                            words=replace_rare_words(batch.words, word_counts,
                                                                     unk_alpha))
            loss = model.loss(batch)  # mean over the batch's real words (padding is skipped)
            loss.backward()
            if clip_grad:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
            optimizer.step()
            if averaged_model is not None:
                averaged_model.update_parameters(model)
            n_tokens = int(batch.lengths.sum())
            # the weights are lost: say so now, not with a model of nans
            if not math.isfinite(loss.item()):
                raise InputError(f"training diverged in epoch {epoch}: the loss is {loss.item()} "
                                 "(a smaller --lr or a --clip-grad may help)")
            loss_sum += loss.item() * n_tokens
            token_count += n_tokens
        epoch_losses.append(loss_sum / token_count)
        schedule.step()
        if after_epoch is not None:
            after_epoch(epoch, epoch_losses[-1])
    return epoch_losses
