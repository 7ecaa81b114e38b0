"""The pure parts: the status decision table, the merge, the worker's error contract."""

from __future__ import annotations

import json

from framecast.backends.runpod import merge
from framecast.backends.runpod_api import judge
from framecast.worker.runpod_entry import sdk_result


def test_judge_resubmits_a_chunk_that_died_only_while_a_retry_is_left() -> None:
    for payload in (None, {"status": "FAILED", "error": "boom"}, {"status": "TIMED_OUT"}):
        assert judge("rp1", payload, may_retry=True).retry
        assert not judge("rp1", payload, may_retry=False).retry
    assert not judge("rp1", {"status": "CANCELLED"}, may_retry=True).retry


def test_judge_keeps_the_workers_own_item_failures_without_resubmitting() -> None:
    failed = [{"index": 4, "id": "a", "error": "HTTP 404"}]
    error = sdk_result({"videos": [], "failed": failed})["error"]
    verdict = judge("rp1", {"status": "FAILED", "error": error}, may_retry=True)
    assert not verdict.retry
    assert verdict.output == {"videos": [], "failed": failed}


def test_judge_describes_an_sdk_exception_by_type_and_message() -> None:
    error = json.dumps({"error_type": "<class 'MemoryError'>", "error_message": "oom"})
    verdict = judge("rp1", {"status": "FAILED", "error": error}, may_retry=False)
    assert verdict.reason == "RunPod job rp1 failed: <class 'MemoryError'>: oom"


def test_merge_orders_by_index_and_a_later_success_wins_over_a_failure() -> None:
    outputs = [
        {"videos": [{"index": 2, "id": "c"}], "failed": [{"index": 1, "error": "x"}]},
        {"videos": [{"index": 0, "id": "a"}, {"index": 9, "id": "not ours"}]},
    ]
    failures = [{"index": 3, "error": "lost"}, {"index": 2, "error": "earlier attempt"}]
    merged = merge([0, 1, 2, 3], outputs, failures)
    assert [v["index"] for v in merged["videos"]] == [0, 2]
    assert [(f["index"], f["error"]) for f in merged["failed"]] == [(1, "x"), (3, "lost")]


def test_sdk_result_passes_partial_results_and_job_errors_through() -> None:
    partial = {"videos": [{"index": 0}], "failed": [{"index": 1, "error": "x"}]}
    assert sdk_result(partial) == partial
    assert sdk_result({"error": "invalid job input: items"}) == {
        "error": "invalid job input: items"
    }


def test_sdk_result_names_the_first_item_errors_when_every_item_failed() -> None:
    failed = [{"index": i, "id": f"img-{i}", "error": f"bad {i}"} for i in range(5)]
    report = json.loads(sdk_result({"videos": [], "failed": failed})["error"])
    assert report["error_message"] == (
        "every item failed (5): item 0 (img-0): bad 0; item 1 (img-1): bad 1;"
        " item 2 (img-2): bad 2; and 2 more"
    )
    assert report["failed"] == failed
