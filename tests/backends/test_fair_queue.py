"""Fair turns: tenants first, then each tenant's jobs; whoever was served least recently."""

from __future__ import annotations

from framecast.backends.fair_queue import FairQueue, Lane

A: Lane = (None, "job-a")
B: Lane = (None, "job-b")


def drain(queue: FairQueue[str]) -> list[str]:
    return [entry for entry in iter(queue.pop, None)]


def test_a_job_queued_later_does_not_wait_for_an_earlier_one() -> None:
    queue: FairQueue[str] = FairQueue()
    for i in range(3):
        queue.push(A, f"a{i}")
    queue.push(B, "b0")
    assert drain(queue) == ["a0", "b0", "a1", "a2"]


def test_tenants_take_turns_before_their_jobs_do() -> None:
    queue: FairQueue[str] = FairQueue()
    for job in ("a", "b"):
        for i in range(2):
            queue.push(("busy", job), f"{job}{i}")
    for i in range(2):
        queue.push(("quiet", "c"), f"c{i}")
    assert drain(queue) == ["a0", "c0", "b0", "c1", "a1", "b1"]


def test_a_lane_keeps_its_last_turn_while_it_is_empty() -> None:
    queue: FairQueue[str] = FairQueue()
    queue.push(A, "a0")
    assert queue.pop() == "a0"
    queue.push(B, "b0")
    queue.push(A, "a1")  # a's unit came back (say, sent again): b has not had a turn yet
    assert drain(queue) == ["b0", "a1"]


def test_lanes_not_eligible_are_passed_over() -> None:
    queue: FairQueue[str] = FairQueue()
    queue.push(A, "a0")
    queue.push(B, "b0")
    assert queue.pop(lambda lane: lane != A) == "b0"
    assert queue.pop(lambda lane: lane != A) is None
    assert len(queue) == 1


def test_removing_a_lane_returns_its_entries() -> None:
    queue: FairQueue[str] = FairQueue()
    queue.push(A, "a0")
    queue.push(A, "a1", first=True)
    assert queue.remove(A) == ["a1", "a0"]
    assert len(queue) == 0
