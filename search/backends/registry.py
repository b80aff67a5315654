"""The one module that knows which backends exist: each is a module with `open_backend` and
`build`, and one line here. A third backend needs its module and a line in each table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from papersift.index.build import BuildOptions, BuildReport
from papersift.search.backends import local, milvus
from papersift.search.backends.interface import Backend, BackendConfig, BackendName

Opener = Callable[[BackendConfig], Backend]
Builder = Callable[[Sequence[Path], BackendConfig, BuildOptions], BuildReport]

OPENERS: dict[BackendName, Opener] = {
    BackendName.local: local.open_backend,
    BackendName.milvus: milvus.open_backend,
}
BUILDERS: dict[BackendName, Builder] = {
    BackendName.local: local.build,
    BackendName.milvus: milvus.build,
}


def open_backend(config: BackendConfig) -> Backend:
    """The index `config` names, opened for reading (and writing, where the backend can)."""
    return OPENERS[config.name](config)


def build(corpus: Sequence[Path], config: BackendConfig, options: BuildOptions) -> BuildReport:
    """Read, encode and store `corpus` as the index `config` names (replacing it atomically)."""
    return BUILDERS[config.name](corpus, config, options)
