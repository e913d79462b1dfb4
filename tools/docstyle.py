"""One docstring style that mkdocstrings renders as code: convert reST leftovers to Google style, or check.

The API reference is rendered by mkdocstrings (griffe's Google parser). Three things it cannot render:

* ``Example::`` reST literal blocks (and any other paragraph ending in ``::``): shown as run-together text.
  Converted to an ``Examples:`` section holding a fenced code block (```python, or ```toml/```bash/```text when
  the block is not Python).
  An ``Example::`` whose block is ``>>>`` doctest lines only gets the new title (a fence would break the
  doctest).
* ``Example:`` (singular) followed by ``>>>`` lines: griffe knows only ``Examples:`` as the section whose ``>>>``
  lines are code; under ``Example:`` they become nested block quotes. Renamed to ``Examples:`` (doctests are
  unaffected: doctest does not read section titles).
* Sphinx roles (```Name```, ``:func:``, ``:meth:``, ``:attr:``, ``:exc:``, ``:data:``, ``:mod:``):
  shown raw. Replaced by a code span (```Name```; with ``~`` only the last component, as Sphinx shows it).

Only docstrings change (found with ``ast``; the source text is edited line by line, so escapes and formatting
elsewhere are kept). Running it twice changes nothing.

Usage:

```bash
python tools/docstyle.py --check netsuite_async     # list what would change; exit 1 if anything would
python tools/docstyle.py netsuite_async             # convert in place
python tools/docstyle.py netsuite_async/retry.py    # files or directories
```
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Change", "check_paths", "convert_source", "main"]

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|data|exc|mod|obj|const):`([^`]+)`")
LITERAL_HEADER = re.compile(r"^(\s*)Examples?::\s*$")
SINGULAR_HEADER = re.compile(r"^(\s*)Example:\s*$")
PROSE_LITERAL = re.compile(r"^(\s*)(\S.*?)\s*::\s*$")
FENCE = re.compile(r"^\s*```")


@dataclass(frozen=True)
class Change:
    """One place a docstring needs converting (1-based line in the original file)."""

    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _role(match: re.Match[str]) -> str:
    target = match.group(1).strip()
    if target.endswith(">") and "<" in target:  # :class:`title <target>`
        return f"`{target.split('<', 1)[0].strip()}`"
    if target.startswith("~"):
        target = target[1:].rsplit(".", 1)[-1]
    return f"`{target}`"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


_COMMANDS = frozenset(
    {"netsuite-async", "pip", "python", "python3", "uvicorn", "curl", "nox", "mkdocs", "export", "cd", "pytest"}
)


def _language(code: str) -> str:
    first = code.lstrip().splitlines()[0] if code.strip() else ""
    if re.match(r"^\[[\w.\-]+\]\s*$", first):  # a TOML table (also valid Python, but never meant as such)
        return "toml"
    try:
        ast.parse(code)
        return "python"
    except SyntaxError:
        pass
    try:  # top-level await / async with / async for
        ast.parse("async def _():\n" + textwrap.indent(code, "    "))
        return "python"
    except SyntaxError:
        pass
    command = re.sub(r"^(\$ )?([A-Z_][A-Z0-9_]*=\S*\s+)*", "", first).split(" ", 1)[0]
    if first.startswith("$ ") or command in _COMMANDS:
        return "bash"
    if re.match(r'^\w+ = ["\d\[{tf]', first):
        return "toml"
    return "text"


def _docstring_spans(tree: ast.AST) -> Iterator[tuple[int, int]]:
    """(first, last) 0-based line indexes of every module, class and function docstring."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
                and first.end_lineno is not None
            ):
                yield first.lineno - 1, first.end_lineno - 1


def _convert_span(lines: list[str], start: int, end: int, changes: list[tuple[int, str]]) -> list[str]:
    """Convert lines[start..end] (one docstring, quotes included); record (original line index, what)."""
    out: list[str] = []
    i = start
    in_fence = False
    while i <= end:
        line = lines[i]
        if FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            i += 1
            continue
        if in_fence:
            out.append(line)
            i += 1
            continue
        header = LITERAL_HEADER.match(line)
        prose = None if header else PROSE_LITERAL.match(line)
        if (header or prose) and i < end:
            # The literal block: blank lines, then lines indented deeper than the paragraph, up to the closing
            # quotes' line (which must not carry code: then the block is left for a person to fix).
            base = _indent(line)
            j = i + 1
            block: list[str] = []
            while j < end and (not lines[j].strip() or _indent(lines[j]) > base):
                block.append(lines[j])
                j += 1
            while block and not block[-1].strip():
                block.pop()
                j -= 1
            code_lines = [b for b in block if b.strip()]
            if code_lines and code_lines[0].lstrip().startswith(">>>") and header:
                # A doctest: griffe renders '>>>' lines under 'Examples:' as code, and a fence would make
                # doctest read the closing ``` as expected output. Only the title changes.
                out.append(f"{' ' * base}Examples:")
                changes.append((i, "'Example::' over doctest lines -> 'Examples:'"))
                out.extend(lines[i + 1 : j])
                i = j
                continue
            if code_lines:
                pad = " " * base
                inner = " " * (base + 4)
                code = textwrap.dedent("\n".join(block)).strip("\n")
                lang = _language(code)
                if header:
                    out.append(f"{pad}Examples:")
                    changes.append((i, "reST 'Example::' block -> 'Examples:' with a fenced code block"))
                else:
                    assert prose is not None
                    text = ROLE.sub(_role, prose.group(2))
                    out.append(f"{pad}{text}:")
                    changes.append((i, "reST literal block ('::') -> fenced code block"))
                    inner = pad
                out.append(f"{inner}```{lang}")
                out.extend((inner + c) if c.strip() else "" for c in code.splitlines())
                out.append(f"{inner}```")
                i = j
                continue
        if SINGULAR_HEADER.match(line):
            out.append(line.replace("Example:", "Examples:", 1))
            changes.append((i, "'Example:' -> 'Examples:' (the section griffe renders '>>>' lines in as code)"))
            i += 1
            continue
        new = ROLE.sub(_role, line)
        if new != line:
            changes.append((i, "Sphinx role -> code span"))
        out.append(new)
        i += 1
    return out


def convert_source(source: str) -> tuple[str, list[tuple[int, str]]]:
    r'''Return the converted source and the (1-based line, description) of each change.

    Examples:
        >>> q = '"' * 3
        >>> src = "def f():\n    " + q + "Use `Thing`.\n\n    Example::\n\n        f()\n    " + q + "\n"
        >>> new, changes = convert_source(src)
        >>> print(new)
        def f():
            """Use `Thing`.
        <BLANKLINE>
            Examples:
                ```python
                f()
                ```
            """
        <BLANKLINE>
        >>> convert_source(new)[1]
        []
    '''
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source, []
    lines = source.splitlines()
    trailing_newline = source.endswith("\n")
    changes: list[tuple[int, str]] = []
    # Bottom-up, so converting one docstring never shifts the line numbers of those still to do.
    for start, end in sorted(_docstring_spans(tree), reverse=True):
        found: list[tuple[int, str]] = []
        lines[start : end + 1] = _convert_span(lines, start, end, found)
        changes.extend((index + 1, what) for index, what in found)
    new = "\n".join(lines) + ("\n" if trailing_newline else "")
    if new != source:
        try:
            ast.parse(new)
        except SyntaxError:  # never write something that no longer compiles
            return source, [(1, "conversion would break the file; fix its docstrings by hand")]
    return new, sorted(changes)


def _python_files(paths: Iterable[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if ".venv" not in p.parts)
        elif path.suffix == ".py":
            yield path


def check_paths(paths: Iterable[str], *, write: bool = False) -> list[Change]:
    """Every change the conversion makes under ``paths``; with ``write=True`` also apply them.

    Examples:
        >>> check_paths([])
        []
    """
    found: list[Change] = []
    for path in _python_files(paths):
        source = path.read_text(encoding="utf-8")
        new, changes = convert_source(source)
        found.extend(Change(str(path), line, what) for line, what in changes)
        if write and new != source:
            path.write_text(new, encoding="utf-8")
    return found


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--check`` lists and exits 1 when anything would change; otherwise converts in place."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("paths", nargs="+", help="files or directories")
    parser.add_argument("--check", action="store_true", help="report only; exit 1 if anything would change")
    args = parser.parse_args(argv)
    changes = check_paths(args.paths, write=not args.check)
    for change in changes:
        print(change)
    files = len({c.path for c in changes})
    if args.check:
        print(f"{len(changes)} docstring change(s) needed in {files} file(s)" if changes else "docstrings OK")
        return 1 if changes else 0
    print(f"converted {len(changes)} place(s) in {files} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
