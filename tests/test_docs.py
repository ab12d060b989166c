"""The README is the front door and ``docs/`` holds the rest, one page per reader; these checks keep both
honest against the code. They only read files (no bot, no network), so they cost milliseconds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.__main__ import COMMANDS
from bot.config import Settings
from handlers import grammar

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
#: One page per reader; the README links each of them.
PAGES = ("usage.md", "operations.md", "architecture.md", "reliability.md", "performance.md", "testing.md")
MAX_README_LINES = 200
#: The README's two commands: how to run the bot, and the test command CI runs.
RUN = "pip install -r requirements.txt && python -m bot"
TEST = "python -m pytest -n 2"
QUICK = 'python -m pytest -m "not slow" -n 2'

FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[ \t]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def prose(text: str) -> str:
    """The text without code blocks and code spans, where brackets are code, not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text())):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def code_lines(path: Path) -> list[str]:
    """Every line inside the fenced code blocks of ``path``, stripped."""
    return [line.strip() for block in FENCE.finditer(path.read_text()) for line in block[0].splitlines()]


def command_lines(path: Path) -> list[str]:
    """The lines of ``path`` inside ```sh blocks."""
    blocks = re.findall(r"^[ \t]*```sh\n(.*?)^[ \t]*```", path.read_text(), re.M | re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_readme_is_a_front_door() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


def test_every_docs_page_exists_and_the_readme_links_each() -> None:
    targets = set(LINK.findall(prose(README.read_text())))
    missing = [page for page in PAGES if not (DOCS / page).is_file()]
    unlinked = [page for page in sorted(p.name for p in DOCS.glob("*.md")) if f"docs/{page}" not in targets]
    assert missing == []
    assert unlinked == [], "every docs page is linked from the README"


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    broken = []
    for target in LINK.findall(prose(path.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: …: not ours to check
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == []


def test_the_readme_commands_are_the_ones_ci_and_the_docs_use() -> None:
    readme = command_lines(README)
    assert RUN in readme
    assert any(line == TEST or line.endswith(f"&& {TEST}") for line in readme)
    assert QUICK in readme
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert TEST in ci, ".ci/run calls the README's test command"
    assert RUN in code_lines(DOCS / "operations.md")
    testing = (DOCS / "testing.md").read_text()
    assert f"`{TEST}`" in testing and f"`{QUICK}`" in testing
    assert "pytest-xdist" in (ROOT / "requirements-dev.txt").read_text(), "-n 2 needs pytest-xdist"
    assert '"slow:' in (ROOT / "pyproject.toml").read_text(), "the slow marker is declared"


def section(path: Path, title: str) -> str:
    text = path.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_the_settings_table_names_exactly_the_settings_of_bot_config() -> None:
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \|", section(DOCS / "operations.md", "Settings"), re.M)
    assert sorted(rows) == sorted(name.upper() for name in Settings.model_fields)


def test_the_scopes_table_names_exactly_the_manifest_scopes() -> None:
    manifest = (ROOT / "manifest.yml").read_text()
    bot_scopes = re.search(r"^    bot:\n((?:      - .*\n)+)", manifest, re.M)
    assert bot_scopes is not None
    scopes = re.findall(r"- ([a-z_.:]+)", bot_scopes[1])
    rows = re.findall(r"^\| `([a-z_.:]+)` \|", section(DOCS / "operations.md", "The Slack app"), re.M)
    assert sorted(rows) == sorted(scopes)


def test_usage_shows_every_command_as_the_grammar_spells_it() -> None:
    usage = (DOCS / "usage.md").read_text().replace("\\|", "|")  # pipes are escaped in tables
    spelled = {name: text for name, text in vars(grammar).items() if name.endswith("_USAGE") and isinstance(text, str)}
    assert spelled, "handlers/grammar.py names its usage lines *_USAGE"
    assert [name for name, text in sorted(spelled.items()) if text not in usage] == []


def test_operations_names_every_entry_point() -> None:
    operations = (DOCS / "operations.md").read_text()
    assert COMMANDS, "bot/__main__.py declares its subcommands in COMMANDS"
    assert [name for name in COMMANDS if f"python -m bot {name}" not in operations] == []
