"""Fixtures for the integration tests that talk to real test peers (see tests/integration/peers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.peers import prism_twilio


@pytest.fixture(scope="session")
def prism_url(tmp_path_factory) -> Iterator[str]:
    """Base URL of a Prism mock of Twilio's API, shared by the session (it keeps no state)."""
    with prism_twilio(tmp_path_factory.mktemp("prism")) as url:
        yield url
