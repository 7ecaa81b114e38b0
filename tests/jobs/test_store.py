"""Jobs persist in SQLite: what is written survives a new connection (a restart)."""

from __future__ import annotations

from pathlib import Path

import pytest

from framecast.jobs.model import Item, ItemStatus, Job, JobStatus, final_status
from framecast.jobs.store import JobStore


def new_job(job_id: str = "j1", items: int = 3) -> Job:
    return Job(
        id=job_id,
        operation="img2vid",
        status=JobStatus.QUEUED,
        created_at=100.0,
        deadline_at=200.0,
        options={"fps": 24},
        items=[Item(job_id, i, f"img-{i}", {"image_url": f"http://x/{i}.jpg"}) for i in range(3)][
            :items
        ],
    )


def test_a_job_and_its_item_states_survive_reopening(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    store.create(new_job())
    store.mark_running("j1", at=101)
    item = new_job().items[1]
    item.key, item.bytes, item.sha256, item.video_url = "j1/0001-img-1.mp4", 10, "ab", "/o"
    store.record_done(item)
    store.fail_pending("j1", {0: "HTTP 404", 1: "never applied: item 1 is done"})
    store.close()

    job = JobStore(tmp_path / "db.sqlite").get("j1")
    assert job is not None
    assert job.status is JobStatus.RUNNING and job.started_at == 101
    assert [i.status for i in job.items] == [ItemStatus.FAILED, ItemStatus.DONE, ItemStatus.PENDING]
    assert job.items[0].error == "HTTP 404"
    assert job.items[1].key == "j1/0001-img-1.mp4" and job.items[1].error is None
    assert job.options == {"fps": 24}


def test_unfinished_lists_queued_and_running_jobs_only(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    for job_id in ("a", "b", "c"):
        store.create(new_job(job_id))
    store.mark_running("b", at=1)
    store.finish("c", JobStatus.FAILED, at=2, error="x")
    assert [job.id for job in store.unfinished()] == ["a", "b"]


def test_ended_before_skips_expired_and_running_jobs(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    for job_id in ("old", "new", "gone", "running"):
        store.create(new_job(job_id))
    store.finish("old", JobStatus.SUCCEEDED, at=10, error=None)
    store.finish("new", JobStatus.SUCCEEDED, at=50, error=None)
    store.finish("gone", JobStatus.SUCCEEDED, at=10, error=None)
    store.mark_expired("gone")
    assert [job.id for job in store.ended_before(20)] == ["old"]


def test_final_status_decision_table() -> None:
    job = new_job()
    statuses = [ItemStatus.DONE, ItemStatus.DONE, ItemStatus.DONE]
    for item, status in zip(job.items, statuses, strict=True):
        item.status = status
    assert final_status(job) is JobStatus.SUCCEEDED
    job.items[0].status = ItemStatus.FAILED
    assert final_status(job) is JobStatus.PARTIAL
    for item in job.items:
        item.status = ItemStatus.FAILED
    assert final_status(job) is JobStatus.FAILED
    assert final_status(job, cancelled=True) is JobStatus.CANCELLED


def test_the_transition_tables_answer_both_ways() -> None:
    assert JobStatus.sources_of(JobStatus.RUNNING) == (JobStatus.QUEUED,)
    assert JobStatus.sources_of(JobStatus.CANCELLED) == (JobStatus.QUEUED, JobStatus.RUNNING)
    assert not JobStatus.SUCCEEDED.can_become(JobStatus.FAILED)
    assert [s for s in JobStatus if not s.is_final] == [JobStatus.QUEUED, JobStatus.RUNNING]
    assert ItemStatus.sources_of(ItemStatus.DONE) == (ItemStatus.PENDING, ItemStatus.DONE)
    assert ItemStatus.sources_of(ItemStatus.FAILED) == (ItemStatus.PENDING,)


def test_finish_of_an_ended_job_returns_false_and_keeps_the_first_end(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    store.create(new_job())
    assert store.finish("j1", JobStatus.CANCELLED, at=5, error="cancelled")
    assert not store.finish("j1", JobStatus.FAILED, at=6, error="deadline")
    job = store.get("j1")
    assert job is not None and (job.status, job.ended_at) == (JobStatus.CANCELLED, 5)


def test_finish_refuses_a_state_that_is_not_final(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    store.create(new_job())
    with pytest.raises(ValueError, match="final state"):
        store.finish("j1", JobStatus.RUNNING, at=5, error=None)


def test_an_ended_job_is_not_marked_running(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    store.create(new_job())
    store.finish("j1", JobStatus.CANCELLED, at=5, error=None)
    store.mark_running("j1", at=6)
    job = store.get("j1")
    assert job is not None and (job.status, job.started_at) == (JobStatus.CANCELLED, None)


def test_a_failed_item_keeps_its_first_error(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    store.create(new_job())
    store.fail_pending("j1", {0: "HTTP 404"})
    store.fail_pending("j1", {0: "deadline passed"})
    job = store.get("j1")
    assert job is not None and job.items[0].error == "HTTP 404"


def test_a_failed_item_is_not_turned_done_by_a_late_upload(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    store.create(new_job())
    store.fail_pending("j1", {0: "HTTP 404"})
    item = new_job().items[0]
    item.key, item.bytes, item.sha256 = "j1/0000-img-0.mp4", 10, "ab"
    assert not store.record_done(item)
    job = store.get("j1")
    assert job is not None and (job.items[0].status, job.items[0].key) == (ItemStatus.FAILED, None)


def test_a_retried_upload_replaces_the_clip_and_its_result(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "db.sqlite")
    store.create(new_job())
    item = new_job().items[0]
    item.key, item.bytes, item.result = "j1/0000-img-0.mp4", 10, {"duration": 4.0}
    assert store.record_done(item)
    item.bytes, item.result = 12, {"duration": 4.5}
    assert store.record_done(item)
    job = store.get("j1")
    assert job is not None and (job.items[0].bytes, job.items[0].result) == (12, {"duration": 4.5})
