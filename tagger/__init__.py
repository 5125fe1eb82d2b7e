"""The real-data tagger: an LSTM tagger for real text, trained by python -m tagger.train and used
by python -m tagger.tag. It imports nothing from the Day-1 scripts in the folder above."""
