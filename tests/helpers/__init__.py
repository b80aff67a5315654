"""Helpers the tests share: real data, real servers, reference implementations, checks."""
