"""What an answer's ``message`` says about its counts: singular for one video, plural else."""

from __future__ import annotations

import pytest

from framecast.api.schemas import result_of
from framecast.jobs.model import Item, ItemStatus, Job, JobStatus


def job(status: JobStatus, *items: ItemStatus) -> Job:
    made = Job("j", "img2vid", status, created_at=1.0, deadline_at=9.0, ended_at=2.0)
    for i, state in enumerate(items):
        made.items.append(
            Item("j", i, f"img-{i}", {}, state, error="bad" if state is ItemStatus.FAILED else None)
        )
    return made


DONE, FAILED, PENDING = ItemStatus.DONE, ItemStatus.FAILED, ItemStatus.PENDING


@pytest.mark.parametrize(
    ("made", "message"),
    [
        (job(JobStatus.RUNNING, PENDING), "0 of 1 video done so far"),
        (job(JobStatus.RUNNING, DONE, PENDING), "1 of 2 videos done so far"),
        (job(JobStatus.SUCCEEDED, DONE), "1 video rendered"),
        (job(JobStatus.PARTIAL, DONE, FAILED), "1 of 2 videos rendered; 1 failed"),
        (job(JobStatus.FAILED, FAILED), "the video failed"),
        (job(JobStatus.FAILED, FAILED, FAILED), "all 2 videos failed"),
        (job(JobStatus.CANCELLED, FAILED), "the job was cancelled before its video was done"),
        (
            job(JobStatus.CANCELLED, FAILED, FAILED),
            "the job was cancelled before any of its 2 videos was done",
        ),
    ],
)
def test_counts_agree_with_their_nouns(made: Job, message: str) -> None:
    assert result_of(made).message == message
