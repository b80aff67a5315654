"""Errors raised while reading corpora and building or loading an index."""


class IndexLayerError(Exception):
    """Base class: every error the index layer raises carries a message a person can act on."""


class CorpusError(IndexLayerError):
    """A corpus file cannot be read at all (missing, empty, wrong columns)."""


class IndexNotFoundError(IndexLayerError):
    """No index exists at the given folder."""


class IndexCorruptError(IndexLayerError):
    """An index folder is damaged: bad manifest, missing file, checksum mismatch."""


class IndexVersionError(IndexLayerError):
    """The index was written in a format this version cannot read."""


class ModelMismatchError(IndexLayerError):
    """Queries would be embedded with another model than the one the index was built with."""


class EncoderError(IndexLayerError):
    """The embedding model cannot be loaded."""


class IndexWriteError(IndexLayerError):
    """A change could not be written (read-only folder, disk full); nothing was changed."""


class IndexBusyError(IndexLayerError):
    """Another process holds the index folder's write lock."""
