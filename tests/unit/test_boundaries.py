"""The dependency direction of DESIGN.md: matching/ is a library that knows nothing of the bot."""

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
