"""``agentops package validate --fix-unicode``: strip hidden characters from a package's own source.

Only the files a build would pack are touched (``collect_package_files``: no ``.git``, ``dist`` or
tool state), and of those only the text files that have findings; each is replaced atomically, so
an interrupted fix leaves every file either as it was or fully fixed. What is removed is exactly
what the hidden-Unicode gate reports (``core.hidden_unicode``), so validating again passes that gate.
"""

from __future__ import annotations

import os

from agentpack.core.hidden_unicode import decode_text, scan_text, strip_hidden
from agentpack.core.records import dataclass
from agentpack.errors import AgentpackError


@dataclass(frozen=True)
class FixedFile:
    """One rewritten file: its path relative to the package and how many characters were removed."""

    path: str
    removed: int


def fix_hidden_unicode(directory: str) -> list[FixedFile]:
    """Remove every reported hidden character from the text files of the package in ``directory``.

    Returns the files rewritten, in path order (empty when nothing was found). Files that are not
    UTF-8 are left alone. Raises ``WorkspaceError`` when the folder cannot be read,
    ``ValidationError`` when it holds links or special files (as a build would), and
    ``AgentpackError`` naming the file when one cannot be written.
    """
    from agentpack.adapters.paths import write_atomic
    from agentpack.services.validate import collect_package_files

    fixed = []
    for path, data in sorted(collect_package_files(directory).items()):
        text = decode_text(data)
        if text is None:
            continue
        found = scan_text(path, text)
        if not found:
            continue
        target = os.path.join(directory, *path.split("/"))
        mode = os.stat(target).st_mode & 0o7777
        try:
            write_atomic(target, strip_hidden(text).encode("utf-8"))
            os.chmod(target, mode)  # keep an executable script executable
        except OSError as exc:
            raise AgentpackError(f"cannot write {target}: {exc.strerror or exc}", path=target) from exc
        fixed.append(FixedFile(path=path, removed=len(found)))
    return fixed
