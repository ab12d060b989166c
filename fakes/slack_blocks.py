"""Block Kit's documented limits, checked the way Slack checks them, for the Slack fake.

Slack refuses a message whose blocks break a limit with ``invalid_blocks`` (``chat.*``) or a view with
``invalid_arguments`` (``views.*``), and says where in ``response_metadata.messages``: one line per
problem, ``[ERROR] <what> [json-pointer:<where>]``. The wording of the two checks we could see in
recorded answers is copied: ``no more than 50 items allowed [json-pointer:/blocks]`` and ``must be less
than 3001 characters [json-pointer:/blocks/0/text/text]``. The other lines follow the same pattern
(an assumption: Slack does not publish its messages).

Limits, each from Slack's Block Kit reference (https://docs.slack.dev/reference/block-kit/blocks/…):

- a message holds up to 50 blocks; a modal or a Home tab up to 100 ("Blocks", "Block Kit");
- ``block_id``: at most 255 characters (every block's page);
- text objects: at most 3,000 characters (composition objects, "Text object");
- section: ``text`` at most 3,000; ``fields`` at most 10 items of at most 2,000 characters each;
- header: ``text`` (plain_text) at most 150 characters;
- context: at most 10 ``elements``;
- actions: at most 25 ``elements``;
- image: ``alt_text`` required, at most 2,000; exactly one of ``image_url`` (at most 3,000) or
  ``slack_file`` (``{"id": …}`` or ``{"url": …}``); ``title`` at most 2,000;
- markdown: ``text`` at most 12,000 characters;
- input: ``label`` and ``hint`` at most 2,000 characters;
- button: ``text`` at most 75, ``action_id`` at most 255, ``value`` at most 2,000, ``url`` at most 3,000.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Blocks in one message (chat.postMessage, chat.postEphemeral, chat.update).
MESSAGE_BLOCKS = 50
#: Blocks in a modal or a Home tab (views.open, views.publish).
SURFACE_BLOCKS = 100
BLOCK_ID_CHARS = 255
TEXT_OBJECT_CHARS = 3000
SECTION_TEXT_CHARS = 3000
SECTION_FIELDS = 10
SECTION_FIELD_CHARS = 2000
HEADER_TEXT_CHARS = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
IMAGE_ALT_TEXT_CHARS = 2000
IMAGE_URL_CHARS = 3000
IMAGE_TITLE_CHARS = 2000
MARKDOWN_TEXT_CHARS = 12000
INPUT_LABEL_CHARS = 2000
BUTTON_TEXT_CHARS = 75
ACTION_ID_CHARS = 255
BUTTON_VALUE_CHARS = 2000
BUTTON_URL_CHARS = 3000

#: What the fake says about a ``slack_file`` it can't show: ``None`` when the poster may show the file,
#: else the problem (without the pointer). Supplied by :class:`fakes.slack.SlackFake`.
FileCheck = Callable[[dict[str, Any]], str | None]


def _too_long(limit: int, where: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{where}]"


def _too_many(limit: int, where: str) -> str:
    return f"no more than {limit} items allowed [json-pointer:{where}]"


def _missing(name: str, where: str) -> str:
    return f"missing required field: {name} [json-pointer:{where}]"


def _text_of(value: Any) -> str | None:
    """A text object's ``text`` (``{"type": "plain_text"|"mrkdwn", "text": …}``), or a bare string."""
    if isinstance(value, dict):
        text = value.get("text")
        return text if isinstance(text, str) else None
    return value if isinstance(value, str) else None


def _check_text(value: Any, limit: int, where: str, found: list[str]) -> None:
    text = _text_of(value)
    if text is not None and len(text) > limit:
        found.append(_too_long(limit, f"{where}/text" if isinstance(value, dict) else where))


def _check_string(value: Any, limit: int, where: str, found: list[str]) -> None:
    if isinstance(value, str) and len(value) > limit:
        found.append(_too_long(limit, where))


def _check_element(element: Any, where: str, found: list[str]) -> None:
    """Interactive elements (buttons above all) and text elements inside ``context``/``actions``."""
    if not isinstance(element, dict):
        return
    kind = element.get("type")
    if kind in ("plain_text", "mrkdwn"):
        _check_string(element.get("text"), TEXT_OBJECT_CHARS, f"{where}/text", found)
        return
    _check_string(element.get("action_id"), ACTION_ID_CHARS, f"{where}/action_id", found)
    if kind == "button":
        _check_text(element.get("text"), BUTTON_TEXT_CHARS, f"{where}/text", found)
        _check_string(element.get("value"), BUTTON_VALUE_CHARS, f"{where}/value", found)
        _check_string(element.get("url"), BUTTON_URL_CHARS, f"{where}/url", found)


def _check_image(block: dict[str, Any], where: str, found: list[str], file_check: FileCheck | None) -> None:
    if not block.get("alt_text"):
        found.append(_missing("alt_text", where))
    _check_string(block.get("alt_text"), IMAGE_ALT_TEXT_CHARS, f"{where}/alt_text", found)
    _check_text(block.get("title"), IMAGE_TITLE_CHARS, f"{where}/title", found)
    url, slack_file = block.get("image_url"), block.get("slack_file")
    if (url is None) == (slack_file is None):
        found.append(f"must provide exactly one of image_url or slack_file [json-pointer:{where}]")
        return
    _check_string(url, IMAGE_URL_CHARS, f"{where}/image_url", found)
    if slack_file is not None:
        if not isinstance(slack_file, dict) or not (slack_file.get("id") or slack_file.get("url")):
            found.append(_missing("id", f"{where}/slack_file"))
        elif file_check is not None and (problem := file_check(slack_file)) is not None:
            found.append(f"{problem} [json-pointer:{where}/slack_file]")


def _check_block(block: Any, where: str, found: list[str], file_check: FileCheck | None) -> None:
    if not isinstance(block, dict) or not block.get("type"):
        found.append(_missing("type", where))
        return
    _check_string(block.get("block_id"), BLOCK_ID_CHARS, f"{where}/block_id", found)
    kind = block["type"]
    if kind == "section":
        _check_text(block.get("text"), SECTION_TEXT_CHARS, f"{where}/text", found)
        fields = block.get("fields")
        if isinstance(fields, list):
            if len(fields) > SECTION_FIELDS:
                found.append(_too_many(SECTION_FIELDS, f"{where}/fields"))
            for i, field in enumerate(fields):
                _check_text(field, SECTION_FIELD_CHARS, f"{where}/fields/{i}", found)
        if block.get("text") is None and not fields:
            found.append(_missing("text", where))
        _check_element(block.get("accessory"), f"{where}/accessory", found)
    elif kind == "header":
        _check_text(block.get("text"), HEADER_TEXT_CHARS, f"{where}/text", found)
    elif kind in ("context", "actions"):
        limit = CONTEXT_ELEMENTS if kind == "context" else ACTIONS_ELEMENTS
        elements = block.get("elements")
        if isinstance(elements, list):
            if len(elements) > limit:
                found.append(_too_many(limit, f"{where}/elements"))
            for i, element in enumerate(elements):
                _check_element(element, f"{where}/elements/{i}", found)
    elif kind == "image":
        _check_image(block, where, found, file_check)
    elif kind == "markdown":
        _check_string(block.get("text"), MARKDOWN_TEXT_CHARS, f"{where}/text", found)
    elif kind == "input":
        _check_text(block.get("label"), INPUT_LABEL_CHARS, f"{where}/label", found)
        _check_text(block.get("hint"), INPUT_LABEL_CHARS, f"{where}/hint", found)


def block_problems(
    blocks: Any, *, max_blocks: int, pointer: str = "/blocks", file_check: FileCheck | None = None
) -> list[str]:
    """Every limit ``blocks`` breaks, as Slack words them (without the ``[ERROR]`` prefix); [] if none."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{pointer}]"]
    found: list[str] = []
    if len(blocks) > max_blocks:
        found.append(_too_many(max_blocks, pointer))
    for i, block in enumerate(blocks):
        _check_block(block, f"{pointer}/{i}", found, file_check)
    return found
