"""Work folders: a killed worker's are removed at the next start, a live worker's are kept."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from framecast.worker.scratch import remove_stale_work

# A worker making one result: it prints its work folder, then works until stdin closes.
WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from framecast.config import Settings
    from framecast.contracts.plan import WorkItem
    from framecast.worker.ops.single_output import run_single

    def produce(folder: Path) -> dict:
        (folder / "0.src").write_bytes(b"half an image")
        print(folder, flush=True)
        sys.stdin.read()
        return {"id": "a", "video_url": "/x.mp4"}

    settings = Settings(work_dir=Path(sys.argv[1]))
    run_single("d" * 32, WorkItem(index=0, id="a"), settings, "testing", produce)
    """
)


@contextmanager
def worker(work_dir: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A worker process in the middle of a job, and its work folder."""
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(work_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        folder = Path(process.stdout.readline().strip())
        assert folder.is_dir()
        yield process, folder
    finally:
        process.kill()
        process.wait()


def test_a_killed_workers_folder_is_removed_at_the_next_start(tmp_path: Path) -> None:
    with worker(tmp_path) as (process, folder):
        process.kill()  # SIGKILL: nothing of the worker runs again, its folder stays
        process.wait()
        assert folder.exists()
        remove_stale_work(tmp_path)
        assert not folder.exists()


def test_a_live_workers_folder_is_kept(tmp_path: Path) -> None:
    with worker(tmp_path) as (process, folder):
        remove_stale_work(tmp_path)
        assert folder.exists()
        assert process.poll() is None
