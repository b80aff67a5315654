"""Schema-driven fuzzing of the API: nothing a client can send may produce a 500.

Schemathesis generates requests from `/openapi.json` (valid and invalid ones) for every
operation; hypothesis drives them. The pytest plugin route (`from_fixture`) does not work with
the pytest in use, so each operation's strategy is run explicitly.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

EXAMPLES_PER_OPERATION = 40


@pytest.mark.slow
def test_no_input_causes_a_server_error(client: TestClient) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
                  suppress_health_check=list(HealthCheck), database=None)  # fmt: skip
        def call(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        call()
