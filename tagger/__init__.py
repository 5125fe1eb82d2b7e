"""The real-data tagger (python -m tagger.train, tagger.tag); nothing from the Day-1 scripts."""
