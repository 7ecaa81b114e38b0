"""Schemathesis against a running service: every answer is one its OpenAPI document lists.

Three kinds of request per operation: generated ones (valid and invalid, with the API key),
generated ones whose key is missing or wrong, and schemathesis's coverage cases (each
boundary of each field, and the methods the path does not take, which must be 405 with
``Allow``). The worker routes are included: without an upload token they answer 400/401,
which the document must list too; what they do past the token is tests/api/test_upload*.py's.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable

import hypothesis
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests.support.service import API_KEY, ServiceProcess

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
]
KEY = {"x-api-key": API_KEY}
COVERAGE_CASES = 40  # per operation at most, spread over all of them (img2vid has ~480)


def examples(count: int) -> hypothesis.settings:
    """``count`` examples, the same every run (derandomized, no database), never shrunk."""
    return hypothesis.settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )


class Exchanges:
    """Every answer's status, and each distinct failure with one request that shows it."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.failures: dict[str, str] = {}

    def check(
        self, case: schemathesis.Case, headers: dict[str, str] | None = None
    ) -> schemathesis.Response:
        """Send ``case``; record its status and whatever the checks found."""
        response = case.call(headers=headers, timeout=20)
        self.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            self.record(case, response.status_code, list(group.exceptions))
        except Failure as failure:
            self.record(case, response.status_code, [failure])
        return response

    def generate(
        self,
        operation: schemathesis.APIOperation,
        mode: GenerationMode,
        count: int,
        headers: dict[str, str] | None,
    ) -> None:
        """Send ``count`` generated requests of ``mode``; ``headers`` fixed, the rest generated."""

        @examples(count)
        @hypothesis.given(case=operation.as_strategy(mode, headers=headers))
        def exchange(case: schemathesis.Case) -> None:
            self.check(case)

        # Unsatisfiable: nothing in the operation can be made invalid (string paths, no body).
        with contextlib.suppress(hypothesis.errors.Unsatisfiable):
            exchange()

    def cover(self, schema: schemathesis.BaseSchema, operation: schemathesis.APIOperation) -> None:
        """Send an even spread of the operation's coverage cases, with the API key."""
        cases = list(
            schema.iter_coverage_cases(
                operation,
                generation_modes=list(GenerationMode),
                generation_config=schema.config.generation_for(operation=operation),
            )
        )
        for case in spread(cases, COVERAGE_CASES):
            self.check(case, KEY)

    def record(self, case: schemathesis.Case, status: int, failures: list[Failure]) -> None:
        for failure in failures:
            key = f"{case.method} {case.operation.path} → {status}: {failure.title}"
            self.failures.setdefault(key, f"{key}\n    {case.as_curl_command()}")


def spread(cases: list[schemathesis.Case], most: int) -> Iterable[schemathesis.Case]:
    """At most ``most`` of ``cases``, evenly spaced, always with the last ones (the methods)."""
    step = max(1, -(-len(cases) // most))
    return cases[::step] + [case for case in cases[-8:] if case not in cases[::step]]


def live_job(schema: schemathesis.BaseSchema, exchanges: Exchanges) -> None:
    """A job through its routes: submitted (202), read, listed, cancelled, cancelled again
    (409), its webhook asked for (404: it has none); generated ids never find a job."""
    image = {"id": "a", "image_url": "https://example.com/a.jpg", "duracao": 1}
    submit = schema["/video/img2vid"]["POST"].Case(body={"images": [image]})
    job_id = exchanges.check(submit, KEY).json()["job_id"]
    for method, path in [
        ("GET", "/jobs/{job_id}"),
        ("POST", "/jobs/{job_id}/cancel"),
        ("POST", "/jobs/{job_id}/cancel"),
        ("POST", "/jobs/{job_id}/webhook"),
    ]:
        exchanges.check(schema[path][method].Case(path_parameters={"job_id": job_id}), KEY)
    exchanges.check(schema["/jobs"]["GET"].Case(query={"limit": 1}), KEY)


def test_every_answer_is_documented(start_service: Callable[..., ServiceProcess]) -> None:
    # SYNC_WAIT_SECONDS=0: a valid job answers 202 at once instead of holding a request while
    # its fetches fail; private addresses stay refused, so no generated URL reaches this machine.
    service = start_service(SYNC_WAIT_SECONDS="0", FETCH_ALLOW_PRIVATE="false")
    schema = schemathesis.openapi.from_url(f"{service.base_url}/openapi.json")
    exchanges = Exchanges()
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        exchanges.generate(operation, GenerationMode.POSITIVE, 10, KEY)
        exchanges.generate(operation, GenerationMode.NEGATIVE, 10, KEY)
        exchanges.cover(schema, operation)
    live_job(schema, exchanges)
    # Last: a generated key, mostly missing or wrong (401), soon too many from this address
    # (429), after which even the right key would wait.
    for operation in operations:
        exchanges.generate(operation, GenerationMode.POSITIVE, 3, None)
    print(f"schemathesis: {exchanges.statuses.total()} requests, {dict(exchanges.statuses)}")
    failures = exchanges.failures
    assert not failures, f"{len(failures)} kinds of answer the document does not describe:\n" + (
        "\n".join(failures.values())
    )
