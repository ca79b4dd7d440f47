"""Every code block in README.md and docs/ runs, in order, and prints what it shows.

How a page is read (the rules a writer of docs follows):

- a ```` ```python ```` block is executed; all blocks of one page share one namespace, in
  page order, in a fresh temporary folder, so a page reads top to bottom like a session;
- a ```` ```text ```` block right after a code block is the output that block prints: it is
  compared with what was really printed (numbers may differ by one unit in the last digit
  shown, and ``...`` stands for any text, as in doctest's ELLIPSIS);
- a ```` ```sh ```` block is run line by line: ``numnet ...`` lines through the command line's
  ``main`` in the same folder, ``python -c`` is refused (write a python block instead), and the
  set-up lines a test cannot run (``pip install``, ``make``, ``python examples/...``,
  ``git clone``, ``cd``) are checked against the project instead: the extra, the make target
  and the example must exist;
- a ```` ```text ```` block that follows no code block is an illustration (a file tree);
  any other fence, or one without a language, fails the test: a snippet that cannot run is
  not shown.

The site itself is built with ``mkdocs build --strict`` in :func:`test_docs_site_builds_strictly`.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))
FENCE = re.compile(r"^```(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^```\s*$", re.S | re.M)
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
RUN_LANGS = {"python", "sh"}


@dataclass
class Block:
    lang: str
    body: str
    line: int
    expected: str | None = None   # the text block that follows, if any


def read_blocks(path: Path) -> list[Block]:
    """The page's fenced blocks in order, each run block paired with the output shown after it."""
    text = path.read_text(encoding="utf-8")
    blocks: list[Block] = []
    previous_end = None
    for match in FENCE.finditer(text):
        lang, body = match["lang"], match["body"]
        line = text.count("\n", 0, match.start()) + 1
        between = text[previous_end:match.start()] if previous_end is not None else "x"
        follows_code = blocks and blocks[-1].lang in RUN_LANGS and not between.strip()
        if lang == "text" and follows_code and blocks[-1].expected is None:
            blocks[-1].expected = body
        else:
            blocks.append(Block(lang, body, line))
        previous_end = match.end()
    return blocks


def test_reader_pairs_code_with_the_output_shown_after_it(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("intro\n```python\nprint(1)\n```\n\n```text\n1\n```\n"
                    "words\n```text\ntree\n```\n", encoding="utf-8")
    blocks = read_blocks(page)
    assert [(b.lang, b.expected, b.line) for b in blocks] == [("python", "1\n", 2),
                                                               ("text", None, 10)]


# ---------------------------------------------------------------- comparing output

def _tolerance(shown: str) -> float:
    """One unit in the last digit of a shown float ('0.85' -> 0.01, '1.13e-10' -> 1e-12).

    Integers ('42', the 1 in 'dense_1') must match exactly: they count things.
    """
    mantissa, _, exponent = shown.lower().partition("e")
    if "." not in mantissa and not exponent:
        return 0.0
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (-decimals + int(exponent or 0))


def _pattern(expected: str) -> re.Pattern:
    """A regex for the shown output: text exact, numbers captured, '...' any text."""
    parts = []
    for piece in re.split(r"(\.\.\.)", expected):
        if piece == "...":
            parts.append(r"[\s\S]*?")
            continue
        last = 0
        for number in NUMBER.finditer(piece):
            parts.append(re.escape(piece[last:number.start()]))
            parts.append(r"(" + NUMBER.pattern + r")")
            last = number.end()
        parts.append(re.escape(piece[last:]))
    return re.compile("".join(parts))


def _normalise(text: str) -> str:
    # trailing spaces and blank lines at the end are invisible on the page
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def output_matches(expected: str, actual: str) -> bool:
    """True when ``actual`` prints what ``expected`` shows (see the module docstring)."""
    expected, actual = _normalise(expected), _normalise(actual)
    match = _pattern(expected).fullmatch(actual)
    if match is None:
        return False
    shown = [m.group() for piece in re.split(r"\.\.\.", expected) for m in NUMBER.finditer(piece)]
    return all(abs(float(got) - float(want)) <= _tolerance(want) * 1.000001
               for got, want in zip(match.groups(), shown))


@pytest.mark.parametrize("expected, actual, ok", [
    ("loss 0.43", "loss 0.43", True),
    ("loss 0.43", "loss 0.44", True),            # one unit in the last digit shown
    ("loss 0.43", "loss 0.45", False),
    ("loss 0.43", "cost 0.43", False),
    ("[0 1 2]", "[0 1 2]\n", True),
    ("a ... z", "a anything at all z", True),
    ("1.13e-10", "1.14e-10", True),
    ("1.13e-10", "1.13e-09", False),
    ("3", "3 4", False),
    ("dense_1", "dense_2", False),
    ("12 passed", "13 passed", False),
])
def test_output_comparison(expected, actual, ok):
    assert output_matches(expected, actual) is ok


# ---------------------------------------------------------------- running blocks

def _pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)


def _make_targets() -> set:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([\w.-]+):", text, re.M))


def _check_setup_line(words: list, where: str) -> None:
    """Set-up lines are not run in a test; check that what they name exists."""
    if words[:2] == ["pip", "install"]:
        extras = set(_pyproject()["project"]["optional-dependencies"])
        for spec in words[2:]:
            if spec.startswith("-"):
                continue
            found = re.fullmatch(r"(?:\.|numnet)(?:\[([\w,]+)\])?", spec)
            assert found, f"{where}: `pip install {spec}`: install numnet from the clone, as \".[extra]\""
            unknown = set((found[1] or "").split(",")) - extras - {""}
            assert not unknown, f"{where}: no extra named {sorted(unknown)} in pyproject.toml"
    elif words[0] == "make":
        unknown = set(words[1:]) - _make_targets()
        assert not unknown, f"{where}: no make target {sorted(unknown)} in the Makefile"
    elif words[0] == "python" and words[1:2] and words[1].startswith("examples/"):
        assert (ROOT / words[1]).is_file(), f"{where}: {words[1]} does not exist"
    elif words[0] not in ("git", "cd", "source"):
        pytest.fail(f"{where}: `{' '.join(words)}` is neither a numnet command nor a set-up line; "
                    "make it runnable or do not show it")


def run_shell(block: Block, where: str) -> str:
    from numnet.cli import main

    out = io.StringIO()
    for offset, line in enumerate(block.body.splitlines(), start=1):
        command = line.split("#", 1)[0].strip()
        if not command:
            continue
        words = shlex.split(command)
        if words[0] != "numnet":
            _check_setup_line(words, f"{where}+{offset}")
            continue
        with contextlib.redirect_stdout(out):
            status = main(words[1:])
        assert status == 0, f"{where}+{offset}: `{command}` exited {status}"
    return out.getvalue()


def run_python(block: Block, namespace: dict, where: str) -> str:
    out = io.StringIO()
    code = compile(block.body, where, "exec")
    with contextlib.redirect_stdout(out):
        exec(code, namespace)  # noqa: S102 - running the project's own documentation is the point
    return out.getvalue()


def run_page(path: Path) -> None:
    namespace: dict = {"__name__": "__docs__"}
    for block in read_blocks(path):
        where = f"{path.relative_to(ROOT)}:{block.line}"
        if block.lang == "python":
            printed = run_python(block, namespace, where)
        elif block.lang == "sh":
            printed = run_shell(block, where)
        elif block.lang == "text":
            continue              # an illustration, not an output
        else:
            pytest.fail(f"{where}: a ```{block.lang or '(no language)'} block cannot be run; "
                        "use python, sh, or text for shown output")
        if block.expected is not None:
            assert output_matches(block.expected, printed), (
                f"{where}: the block prints\n{printed}\nbut the page shows\n{block.expected}")


@pytest.fixture
def in_tmp_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("NUMNET_EXAMPLES", str(ROOT / "examples"))
    yield tmp_path
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_code_block_runs_and_prints_what_it_shows(path, in_tmp_folder):
    pytest.importorskip("matplotlib")
    run_page(path)


# ---------------------------------------------------------------- install hints

HINT = re.compile(r"pip install\s+(\\?[\"']?)((?:numnet|\.)\[[\w,]*\])")
HINT_SOURCES = sorted((ROOT / "src" / "numnet").rglob("*.py")) + sorted((ROOT / "examples").glob("*"))


def test_install_hints_are_quoted_and_name_real_extras():
    """numnet is installed from a clone: hints say pip install ".[extra]", quoted for zsh."""
    extras = set(_pyproject()["project"]["optional-dependencies"])
    problems = []
    for path in HINT_SOURCES + DOC_FILES:
        if not path.is_file():
            continue
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for quote, spec in HINT.findall(line):
                where = f"{path.relative_to(ROOT)}:{line_no}: pip install {spec}"
                if not quote:
                    problems.append(f"{where}: quote it (zsh reads the brackets)")
                names = set(spec[spec.index("[") + 1:-1].split(","))
                if names - extras:
                    problems.append(f"{where}: no extra {sorted(names - extras)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module, extra, missing", [
    ("numnet.onnx", "onnx", "onnx"),
    ("numnet.plot", "plot", "matplotlib"),
    ("numnet.sklearn", "sklearn", "sklearn"),
])
def test_optional_modules_say_which_extra_to_install(module, extra, missing):
    """Without its package, an edge module raises an ImportError naming the quoted extra."""
    code = (f"import sys; sys.modules[{missing!r}] = None\n"
            f"try:\n    import {module}\nexcept ImportError as e:\n    print(e)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert f'pip install ".[{extra}]"' in result.stdout, result.stdout + result.stderr


# ---------------------------------------------------------------- the site

def test_docs_site_builds_strictly(tmp_path):
    """``mkdocs build --strict``: a broken link, a missing page or a bad docstring fails."""
    if shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("mkdocs is not installed (pip install \".[docs]\")")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]
    assert (tmp_path / "site" / "reference" / "index.html").is_file()
