"""The local stack as `make run` starts it, on free ports, driven over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.process import LocalStackProcess, start_local_stack


@pytest.fixture(scope="module")
def local_stack() -> Iterator[LocalStackProcess]:
    stack = start_local_stack()
    yield stack
    stack.stop()
