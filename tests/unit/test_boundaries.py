"""The dependency direction of DESIGN.md: matching/ is a library that knows nothing of the bot; the services
know no channel, web app or provider."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_matching_imports_no_bot_no_database_no_network():
    forbidden = {"bot", "sqlalchemy", "sqlmodel", "alembic", "telegram", "twilio", "httpx", "requests", "socket"}
    for path in (ROOT / "matching").rglob("*.py"):
        assert not (_imports(path) & forbidden), path


def test_models_do_not_import_services():
    for path in [ROOT / "bot" / "models.py", ROOT / "bot" / "db.py", ROOT / "bot" / "config.py"]:
        assert "bot.services" not in path.read_text(encoding="utf-8"), path


def _imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it (inside functions too), as full dotted names; `from a import b`
    counts as `a.b` as well, since b may be a module."""
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from ..channels import sms` in bot/services/x.py is bot.channels.sms
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_services_import_no_channel_no_web_no_provider():
    forbidden = ("bot.channels", "bot.web", "telegram", "twilio", "starlette", "httpx")
    paths = sorted((ROOT / "bot" / "services").rglob("*.py"))
    assert paths
    for path in paths:
        imported = _imported_modules(path)
        wrong = sorted(name for name in imported if any(name == f or name.startswith(f + ".") for f in forbidden))
        assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"
