"""A compose's dry run: the timeline (and the caption pages) without rendering anything.

Only what decides the timeline is fetched: the narrations, the videos without a duration and
the caption files. Run by the API in a thread, so the renderer's libraries load only there.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from framecast.compose.video import ComposeFiles, caption_build, measure
from framecast.config import Settings
from framecast.contracts.compose import ComposeCreate, ComposeOptions, ComposeSource, plan_compose
from framecast.errors import InputError, ItemError, JobStopped
from framecast.public_http import trusting
from framecast.worker.fetch import make_client
from framecast.worker.inputs import Input, fetch_inputs
from framecast.worker.ops.caption import font_cache
from framecast.worker.ops.compose import compose_inputs

DRY_RUN_SECONDS = 60.0  # the longest a dry run may take to fetch what it measures


def dry_run(body: ComposeCreate, settings: Settings) -> dict[str, Any]:
    """The answer of a dry run of ``body``; InputError (a 400) naming the field when a scene
    cannot be measured (a narration that is not audio, a URL that does not answer)."""
    try:
        return _dry_run(body, settings)
    except JobStopped as exc:
        raise InputError(
            f"dry_run: the files that decide the timeline took over {DRY_RUN_SECONDS:g} s to"
            " fetch; submit without dry_run (a job has no such limit)"
        ) from exc
    except ItemError as exc:
        raise InputError(exc.message) from exc


def _dry_run(body: ComposeCreate, settings: Settings) -> dict[str, Any]:
    plan = plan_compose(body, settings)
    (planned,) = plan.items
    item = ComposeSource(index=0, id=planned.client_id, **planned.source)
    options = ComposeOptions.model_validate(plan.options)
    deadline = time.monotonic() + DRY_RUN_SECONDS
    with tempfile.TemporaryDirectory(prefix="framecast-dry-run-", dir=settings.work_dir) as folder:
        work = Path(folder)
        wanted, files = compose_inputs(item, options.captions, work)
        with make_client(settings.fetch, trusting(settings.worker_upload_base_url)) as client:
            fetch_inputs(
                measured_inputs(item, wanted, files),
                settings,
                lambda wait=True: time.monotonic() < deadline,
                client,
            )
        shown = timeline_of(item, options, files, settings)
    message = "dry run: the timeline; nothing was rendered"
    return {"code": 200, "message": message, "dry_run": True, "id": body.id, **shown}


def timeline_of(
    item: ComposeSource, options: ComposeOptions, files: ComposeFiles, settings: Settings
) -> dict[str, Any]:
    """The timeline in full and, with captions, their pages (the API's and the CLI's dry run)."""
    measured = measure(item.scenes, files, options)
    shown: dict[str, Any] = {"timeline": measured.public()}
    if options.captions is not None:
        size = (options.render.width, options.render.height)
        cache = font_cache(settings)
        built = caption_build(options.captions, item.scenes, measured, files, size, cache)
        shown |= {"pages": built.pages, "words": len(built.words)}
        if built.warnings:
            shown["warnings"] = built.warnings
    return shown


def measured_inputs(item: ComposeSource, wanted: list[Input], files: ComposeFiles) -> list[Input]:
    """Of ``wanted``, what decides the timeline: narrations, videos lasting their own length,
    caption files (no image, no music)."""
    measured = {path for parts in files.narrations.values() for path in parts}
    measured |= {
        files.videos[i]
        for i, scene in enumerate(item.scenes)
        if i in files.videos and scene.duration is None and not scene.narration_parts()
    }
    measured |= {path for path in (files.captions_text, files.font) if path is not None}
    return [entry for entry in wanted if entry.path in measured]
