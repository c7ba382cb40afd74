"""The documentation: the MkDocs site builds with --strict (no broken link), nothing links outside the repository,
every ``capacity ...`` line in a ```bash block of the README and docs/ parses with the real argument parser,
blocks marked ``<!-- test: run -->`` run as pasted in a temporary folder, and every ```python block runs."""

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from capacity.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
RUN_MARK = "<!-- test: run -->"


def bash_blocks(path: Path):
    """``(marked_to_run, [lines])`` for every ```bash block; a continued line (trailing backslash) is joined."""
    text = path.read_text()
    for match in re.finditer(r"(<!-- test: run -->\s*\n)?```bash\n(.*?)```", text, re.S):
        body = match.group(2).replace("\\\n", " ")
        yield bool(match.group(1)), [line for line in body.splitlines() if line.strip()]


def capacity_lines():
    for page in PAGES:
        for _, lines in bash_blocks(page):
            for line in lines:
                words = shlex.split(line, comments=True)
                if words and words[0] == "capacity":
                    yield pytest.param(words[1:], id=f"{page.relative_to(ROOT)}: {' '.join(words[1:4])}")


@pytest.mark.parametrize("argv", list(capacity_lines()))
def test_command_lines_parse(argv):
    assert argv and argv[0] in COMMANDS, f"unknown command in {argv}"
    if "--help" in argv:
        return
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            build_parser(argv[0]).parse_args(argv)
        except SystemExit as exc:
            pytest.fail(f"capacity {' '.join(argv)}: {err.getvalue().strip()} (exit {exc.code})")


#: the folder beside the repository that the project's design notes came from (spelled so that this file
#: does not itself match the search)
OUTSIDE = "/".join(["..", "shared"])


def test_no_link_leaves_the_repository():
    for page in [*PAGES, *sorted((ROOT / "capacity").rglob("*.py"))]:
        text = page.read_text()
        for bad in (OUTSIDE, "DESIGN.md", "research/"):
            assert bad not in text, f"{page.relative_to(ROOT)} mentions {bad}"


RUN_BLOCKS = [pytest.param(lines, id=f"{page.relative_to(ROOT)} block {i}")
              for page in PAGES for i, (run, lines) in enumerate(bash_blocks(page)) if run]


@pytest.mark.parametrize("lines", RUN_BLOCKS)
def test_marked_blocks_run_as_pasted(lines, tmp_path, monkeypatch):
    """In-process (one interpreter, so the kernels compile once), in a fresh folder, line by line."""
    monkeypatch.chdir(tmp_path)
    for line in lines:
        words = shlex.split(line, comments=True)
        assert words and words[0] == "capacity", f"a block marked to run may hold only capacity lines: {line}"
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(words[1:])
        assert rc == 0, f"{line}\n{err.getvalue()}"


PYTHON_BLOCKS = [pytest.param(m.group(1), id=f"{page.relative_to(ROOT)} python {i}") for page in PAGES
                 for i, m in enumerate(re.finditer(r"```python\n(.*?)```", page.read_text(), re.S))]


@pytest.mark.parametrize("code", PYTHON_BLOCKS)
def test_python_blocks_run(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<docs>", "exec"), {})


def test_mkdocs_site_builds_strict(tmp_path):
    pytest.importorskip("mkdocs")
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                        str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                       capture_output=True, text=True, timeout=300, cwd=ROOT,
                       env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert p.returncode == 0, p.stderr[-3000:]  # (no --quiet: it hides the warnings that --strict counts)
    assert (tmp_path / "site" / "index.html").exists()


def test_every_public_class_has_a_docstring():
    import importlib
    import inspect
    import pkgutil

    import capacity

    missing = []
    for info in pkgutil.walk_packages(capacity.__path__, "capacity."):
        if any(part.startswith("_") for part in info.name.split(".")) or ".commands" in info.name:
            continue
        mod = importlib.import_module(info.name)
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name, None)
            if not inspect.isclass(obj) or obj.__module__ != mod.__name__:
                continue
            doc = (obj.__doc__ or "").strip()
            if not doc or doc.startswith(f"{name}("):  # a dataclass's generated signature is no docstring
                missing.append(f"{mod.__name__}.{name}")
    assert not missing, missing
