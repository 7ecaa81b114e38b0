"""The events hub and a stream's position, without a service."""

from __future__ import annotations

import asyncio
import threading

import pytest

from framecast.errors import InputError
from framecast.jobs.events import JobEvents, SentItems
from framecast.jobs.model import Item, ItemStatus, Job, JobStatus


def job_of(*statuses: ItemStatus) -> Job:
    job = Job(id="j", operation="img2vid", status=JobStatus.RUNNING, created_at=0, deadline_at=9)
    job.items = [Item("j", i, f"c{i}", {}, status) for i, status in enumerate(statuses)]
    return job


@pytest.mark.parametrize(
    ("indexes", "text"),
    [((), "none"), ((0,), "0"), ((0, 1, 2, 5), "0-2,5"), ((1, 3, 4, 6, 7, 8), "1,3-4,6-8")],
)
def test_a_position_is_written_as_ranges_and_read_back(indexes: tuple[int, ...], text: str) -> None:
    job = job_of(*[ItemStatus.DONE] * 9)
    assert str(SentItems(frozenset(indexes))) == text
    assert SentItems.parse(text, job) == SentItems(frozenset(indexes))


def test_unsent_lists_the_ended_items_a_position_lacks_in_request_order() -> None:
    job = job_of(ItemStatus.DONE, ItemStatus.PENDING, ItemStatus.FAILED, ItemStatus.DONE)
    unsent = SentItems.parse("3", job).unsent(job)
    assert [item.index for item in unsent] == [0, 2]


def test_the_end_is_every_item_and_the_end() -> None:
    job = job_of(ItemStatus.DONE, ItemStatus.FAILED)
    assert SentItems.parse("end", job) == SentItems(frozenset({0, 1}), ended=True)
    assert str(SentItems(frozenset({0, 1})).at_end()) == "end"


@pytest.mark.parametrize("text", ["0-2", "3", "x", "2-1", "0,,1", "-1", "1-", "٣"])
def test_a_position_this_job_could_not_have_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="Last-Event-ID"):
        SentItems.parse(text, job_of(ItemStatus.DONE, ItemStatus.DONE))


def test_a_change_wakes_the_waiter_taken_before_it_even_from_another_thread() -> None:
    async def scenario() -> None:
        hub = JobEvents()
        waiter = hub.watch("j")
        thread = threading.Thread(target=hub.changed, args=("j",))
        thread.start()
        await asyncio.wait_for(waiter.wait(), 5)
        thread.join()
        assert not hub.watch("j").is_set()  # the next change has a waiter of its own

    asyncio.run(scenario())


def test_closing_wakes_every_stream_and_the_ones_after() -> None:
    async def scenario() -> None:
        hub = JobEvents()
        waiter = hub.watch("a")
        hub.close()
        assert waiter.is_set() and hub.watch("b").is_set()

    asyncio.run(scenario())
