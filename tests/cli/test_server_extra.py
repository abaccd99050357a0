"""Without the server extra, `agentops registry serve` and the local administration commands say
what to install; `agentops --version` and the other commands never import the server's libraries."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO

HIDE = "import sys; sys.modules.update(dict.fromkeys(['uvicorn', 'sqlalchemy'], None)); "


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)


def test_serve_without_the_extra_names_it():
    proc = run(HIDE + "from agentpack.cli.main import main; sys.exit(main(['registry', 'serve', '--port', '1']))")
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'agentpack[server]'" in proc.stderr and "uvicorn, sqlalchemy" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_team_create_without_the_extra_names_it(tmp_path):
    proc = run(HIDE + "from agentpack.cli.main import main; "
               f"sys.exit(main(['registry', 'team', 'create', 'team-alpha', '--data', {str(tmp_path)!r}]))")
    assert proc.returncode == 2 and "agentpack[server]" in proc.stderr, proc.stderr


def test_version_and_parsing_import_no_server_library():
    proc = run("import sys; from agentpack.cli.main import main; main(['--version']); "
               "from agentpack.cli.parser import build_parser; build_parser(); "
               "print(sorted(m for m in ('starlette', 'uvicorn', 'sqlalchemy', 'alembic') if m in sys.modules))")
    assert proc.stdout.strip().endswith("[]"), proc.stdout + proc.stderr
