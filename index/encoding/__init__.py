"""Embedding text: the sentence encoder, its runtimes, Ray Data."""
