"""docs/internals.md matches the code: every module it maps exists, and every name it cites (in code spans, the
package map and the seam sketches) is defined where it says."""

from __future__ import annotations

import builtins
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import netsuite_async

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "internals.md"
PACKAGE = ROOT / "netsuite_async"

#: Local variable names the page uses in examples (``client.request(...)``, ``emu``), not library names.
VARIABLES = {"client", "ns", "emu", "fake", "response", "req", "spec", "router", "h", "auth", "request"}


def all_modules() -> dict[str, ModuleType]:
    out: dict[str, ModuleType] = {}
    for info in pkgutil.walk_packages(netsuite_async.__path__, "netsuite_async."):
        if ".cli" in info.name or info.name.endswith(("redis", "redis_cache")):
            continue  # optional extras: imported where they are used
        out[info.name] = importlib.import_module(info.name)
    out["netsuite_async"] = netsuite_async
    return out


MODULES = all_modules()


def find(name: str) -> list[Any]:
    """Every object called ``name``: a module (by its last component) or an attribute of any module."""
    found: list[Any] = [m for full, m in MODULES.items() if full.rsplit(".", 1)[-1] == name]
    found += [getattr(m, name) for m in MODULES.values() if name in vars(m)]
    return found


def has_member(obj: Any, member: str) -> bool:
    if hasattr(obj, member):
        return True
    annotations = getattr(obj, "__annotations__", {}) if inspect.isclass(obj) else {}
    return member in annotations or member in getattr(obj, "__dataclass_fields__", {})


def resolves(dotted: str) -> bool:
    head, *rest = dotted.split(".")
    for obj in find(head):
        current = obj
        for part in rest:
            if not has_member(current, part):
                break
            current = getattr(current, part, None)
        else:
            return True
    return False


TEXT = DOC.read_text(encoding="utf-8")
MAP = re.search(r"## Package map.*?```\n(.*?)```", TEXT, re.S)
SPANS = sorted(
    {
        m.group(1)
        for m in re.finditer(r"`([A-Za-z_][\w.]*)(?:\([^`]*\))?`", TEXT)
        if m.group(1).split(".")[0] not in VARIABLES and not m.group(1).startswith("__")
    }
)


def test_the_package_map_names_only_files_that_exist() -> None:
    assert MAP is not None
    paths = re.findall(r"([\w/]+\.py|[\w]+/)(?=\s)", MAP.group(1))
    assert len(paths) > 20
    missing = [p for p in paths if p != "netsuite_async/" and not (PACKAGE / p).exists()]
    assert not missing, missing


def test_names_in_the_package_map_are_defined_in_their_module() -> None:
    assert MAP is not None
    missing = []
    for line in MAP.group(1).splitlines():
        match = re.match(r"\s*([\w/]+\.py)\s+(.*)", line)
        if not match or not (PACKAGE / match.group(1)).exists():
            continue
        module = MODULES.get("netsuite_async." + match.group(1)[:-3].replace("/", ".").removesuffix(".__init__"))
        if module is None:
            continue
        for name in re.findall(r"\b([A-Z][a-z]+[A-Za-z0-9]*|[a-z_]+(?=\(\)))", match.group(2)):
            if name in {"THE", "Re", "NetSuite", "Protocol"} or name.lower() in {"re", "the", "only"}:
                continue
            if not hasattr(module, name) and not any(hasattr(m, name) for m in MODULES.values()
                                                      if m.__name__.startswith(module.__name__)):
                missing.append(f"{match.group(1)}: {name}")
    assert not missing, missing


CONFTEST = (ROOT / "tests" / "conftest.py").read_text(encoding="utf-8")
SOURCE = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("name", SPANS)
def test_every_code_span_names_something_that_exists(name: str) -> None:
    if name.endswith(".py"):
        assert list(PACKAGE.rglob(name)), f"docs/internals.md cites `{name}`, which is not a file of the package"
        return
    if f"def {name}(" in CONFTEST:  # a fixture of the project's own test suite
        return
    if "." not in name and not resolves(name):
        # A plain word: a parameter, attribute or header name the code uses, an environment variable the CLI
        # reads, or a builtin. It must still occur in the package's code.
        if name.startswith("NETSUITE_"):
            from netsuite_async.cli.config import SETTING_KEYS

            assert name[len("NETSUITE_"):].lower() in (*SETTING_KEYS, "profile", "config", "emulator_config"), name
            return
        assert re.search(rf"\b{re.escape(name)}\b", SOURCE) or hasattr(builtins, name), (
            f"docs/internals.md cites `{name}`, which the code never mentions"
        )
        return
    assert resolves(name), f"docs/internals.md cites `{name}`, which the code does not define"


def test_seam_sketches_match_the_classes() -> None:
    """``class X(...)`` blocks: each method and field listed under it exists on the real class."""
    missing = []
    for block in re.findall(r"```python\n(.*?)```", TEXT, re.S):
        current: Any = None
        for line in block.splitlines():
            cls = re.match(r"(?:@dataclass.*\n)?class (\w+)", line)
            if cls:
                candidates = [o for o in find(cls.group(1)) if inspect.isclass(o)]
                current = candidates[0] if candidates else None
                if current is None:
                    missing.append(cls.group(1))
                continue
            if current is None or not line.startswith("    ") or line.startswith("        "):
                continue
            member = re.match(r"\s+(?:async\s+)?(?:def\s+)?(\w+)\s*[:(]", line)
            if member and not has_member(current, member.group(1)):
                missing.append(f"{current.__name__}.{member.group(1)}")
            fields = re.match(r"class \w+.*:\s*(\w+(?:,\s*\w+)+)", line)
            if fields:
                names = fields.group(1).split(", ")
                missing += [f"{current.__name__}.{f}" for f in names if not has_member(current, f)]
    assert not missing, missing
