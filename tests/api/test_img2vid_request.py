"""An img2vid request's durations: per image or per request, and what a mistake is told."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from framecast.config import Settings
from framecast.contracts.img2vid import Img2VidCreate, plan_img2vid
from framecast.errors import InputError, describe_validation_errors

URL = "https://images.test/a.jpg"


def plan(body: dict[str, Any]) -> list[float]:
    """The duration of each item the body plans."""
    planned = plan_img2vid(Img2VidCreate.model_validate(body), Settings())
    return [item.source["duration"] for item in planned.items]


def refusal(body: dict[str, Any]) -> str:
    """What the API says about ``body``, as its 400 would."""
    try:
        plan(body)
    except ValidationError as exc:
        return describe_validation_errors(exc.errors())
    except InputError as exc:
        return exc.message
    raise AssertionError("the body was accepted")


def image(i: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"img-{i}", "image_url": URL, **fields}


@pytest.mark.parametrize("name", ["duracao", "duration"])
def test_a_request_level_duration_is_the_default_for_every_image(name: str) -> None:
    assert plan({name: 3, "images": [image(0), image(1, duracao=1.5)]}) == [3.0, 1.5]


def test_both_names_on_one_image_are_refused_in_plain_words() -> None:
    message = refusal({"images": [image(0, duracao=1, duration=2)]})
    assert message == "images[0]: give duracao or duration, not both"


def test_both_names_on_the_request_are_refused_in_plain_words() -> None:
    message = refusal({"duracao": 1, "duration": 2, "images": [image(0)]})
    assert message == "body: give duracao or duration, not both"


def test_a_missing_duration_names_both_fields_and_both_places() -> None:
    message = refusal({"images": [image(0, duracao=1), image(1)]})
    assert message == (
        "images[1].duracao: give duracao or duration (seconds), on the image or on the request"
    )


def test_a_request_level_duration_out_of_range_names_the_request_field() -> None:
    message = refusal({"duracao": 0, "images": [image(0)]})
    assert message.startswith("duracao: must be above 0 and at most 60 seconds; got 0")


def test_pydantic_s_value_error_prefix_never_reaches_a_message() -> None:
    errors = [{"loc": ("body", "x"), "msg": "Value error, x is odd", "type": "value_error"}]
    assert describe_validation_errors(errors) == "x: x is odd"
