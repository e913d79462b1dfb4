"""One docstring style that mkdocstrings renders as code (tools/docstyle.py): the converter's rules, that it is
idempotent and keeps every doctest passing, and the check over the whole package."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("docstyle", ROOT / "tools" / "docstyle.py")
assert _spec is not None
assert _spec.loader is not None
docstyle = importlib.util.module_from_spec(_spec)
sys.modules["docstyle"] = docstyle
_spec.loader.exec_module(docstyle)

Q = '"' * 3


def doc(body: str) -> str:
    return f"def f():\n    {Q}{body}\n    {Q}\n"


def test_rest_example_block_becomes_an_examples_section_with_a_fenced_block() -> None:
    src = doc("Summary.\n\n    Example::\n\n        async with x() as y:\n            await y.go()")
    new, changes = docstyle.convert_source(src)
    assert new == doc(
        "Summary.\n\n    Examples:\n        ```python\n        async with x() as y:\n            await y.go()\n"
        "        ```"
    )
    assert [line for line, _ in changes] == [4]


def test_rest_example_over_doctest_lines_only_gets_the_new_title() -> None:
    src = doc("Summary.\n\n    Example::\n\n        >>> 1 + 1\n        2")
    new, _ = docstyle.convert_source(src)
    assert new == doc("Summary.\n\n    Examples:\n\n        >>> 1 + 1\n        2")


def test_singular_example_title_becomes_examples() -> None:
    new, _ = docstyle.convert_source(doc("Summary.\n\n    Example:\n        >>> 1\n        1"))
    assert "    Examples:\n        >>> 1" in new


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (":class:`~netsuite_async.errors.NotFoundError`", "`NotFoundError`"),
        (":class:`netsuite_async.NetSuiteClient`", "`netsuite_async.NetSuiteClient`"),
        (":meth:`Records.get`", "`Records.get`"),
        (":func:`~pkg.run`", "`run`"),
        (":exc:`ValueError`", "`ValueError`"),
        (":data:`LIMIT`", "`LIMIT`"),
        (":attr:`x.y`", "`x.y`"),
        (":mod:`netsuite_async.transport`", "`netsuite_async.transport`"),
        (":class:`the client <netsuite_async.NetSuiteClient>`", "`the client`"),
    ],
)
def test_sphinx_roles_become_code_spans(role: str, shown: str) -> None:
    new, _ = docstyle.convert_source(doc(f"Uses {role} here."))
    assert f"Uses {shown} here." in new


def test_prose_literal_block_is_fenced_with_a_guessed_language() -> None:
    toml = doc("A profile::\n\n        [default]\n        account = \"1\"")
    assert "A profile:\n    ```toml\n    [default]\n    account = \"1\"\n    ```" in docstyle.convert_source(toml)[0]
    text = doc("Flow::\n\n        GET /a  -> 200")
    assert "```text\n    GET /a  -> 200\n    ```" in docstyle.convert_source(text)[0]


def test_code_and_strings_outside_docstrings_are_untouched() -> None:
    src = 'X = ":class:`Y`"\n\n\ndef f():\n    return "Example::"\n'
    assert docstyle.convert_source(src) == (src, [])


def test_fenced_blocks_are_left_alone_and_a_second_run_changes_nothing() -> None:
    src = doc("S.\n\n    Examples:\n        ```python\n        x = ':class:`A`'\n        ```")
    assert docstyle.convert_source(src) == (src, [])


@pytest.mark.slow  # subprocesses: left out of `nox -s quick`, run by CI
def test_converting_the_package_is_idempotent_and_keeps_every_doctest_passing(tmp_path: Path) -> None:
    copy = tmp_path / "netsuite_async"
    shutil.copytree(ROOT / "netsuite_async", copy, ignore=shutil.ignore_patterns("__pycache__"))
    docstyle.check_paths([str(copy)], write=True)
    assert docstyle.check_paths([str(copy)]) == []
    for path in copy.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")

    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env["PYTHONPATH"] = str(tmp_path)
    args = [sys.executable, "-m", "pytest", "--doctest-modules", "-q", "-p", "no:cacheprovider", "-p", "no:asyncio"]
    clean = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    before = subprocess.run([*args, str(ROOT / "netsuite_async")], capture_output=True, text=True, cwd=ROOT,
                            env=clean, timeout=600)
    after = subprocess.run([*args, "--rootdir", str(tmp_path), str(copy)], capture_output=True, text=True,
                           cwd=tmp_path, env=env, timeout=600)
    assert after.returncode == 0, after.stdout[-3000:]

    def passed(out: str) -> int:
        match = re.search(r"(\d+) passed", out)
        return int(match.group(1)) if match else 0

    assert passed(after.stdout) == passed(before.stdout) > 100


def test_the_package_docstrings_are_in_the_one_rendered_style() -> None:
    """Run `python tools/docstyle.py netsuite_async` to fix what this lists."""
    changes = docstyle.check_paths([str(ROOT / "netsuite_async")])
    assert not changes, "\n".join(str(c) for c in changes[:40]) + f"\n... {len(changes)} in all"
