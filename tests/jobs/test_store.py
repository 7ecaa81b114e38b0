"""Jobs persist in SQLite: what is written survives a new connection (a restart)."""

from __future__ import annotations

from pathlib import Path

from framecast.jobs.model import Item, ItemStatus, Job, JobStatus, final_status
from framecast.jobs.store import JobStore


def new_job(job_id: str = "j1", items: int = 3) -> Job:
    return Job(
        id=job_id,
        operation="img2vid",
        status=JobStatus.QUEUED,
        created_at=100.0,
        deadline_at=200.0,
        render={"fps": 24},
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
    assert job.render == {"fps": 24}


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
