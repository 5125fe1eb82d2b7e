"""The real-data tagger: the tutorial's LSTMTagger (model_lstm_tagger.py) built out for real text.

    python -m tagger.train @recipes/ewt.txt --train en_ewt-ud-train.conllu --dev en_ewt-ud-dev.conllu --save ewt.pt
    python -m tagger.tag ewt.pt "I saw her duck ."

model.py (RealDataTagger, a subclass of LSTMTagger), crf.py, vocabulary.py, batches.py, training.py,
predict.py, evaluation.py, checkpoint.py, data.py (CSV and CoNLL-U), tokenizer.py; train.py and tag.py
are the two commands, cli.py what they share, errors.py the error they report in one line.
"""
