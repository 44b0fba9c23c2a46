"""studyllm: a spaced-repetition study app for the terminal about large language models."""

__version__ = "0.1.0"
