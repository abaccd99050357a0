"""Atomic, crash-safe multi-file changes to a workspace, by a roll-forward journal.

An install changes many files at once (installed content, ``agentops.yaml``, ``agentops.lock``,
tool state). A crash (``kill -9``) at any moment leaves the workspace at its old or its new state
*as seen by agentops commands*, which always call ``recover()`` first, under the workspace lock:
between two renames of the apply step the disk does hold a mix, and the journal is what lets the
next command finish the change instead of seeing it. The protocol, under ``ROOT/<state_dir>/txn/``:

1. stage: every write goes to ``new/<n>`` (numbered, not mirrored paths) as soon as it is made,
   except a write into a directory that does not exist yet: that directory (the shallowest one
   missing on its path) is built as a tree under ``new/t/``, mirrored, to be moved in whole;
2. commit point: ``journal.json`` is written under a temporary name and ``os.replace``'d into place;
3. apply: deletions first, then each staged file is ``os.replace``'d over its target, then each
   staged tree is renamed into place, one rename for all its files (a first install moves 20
   package folders, not 400 files: on a virtual machine's disk a rename costs what creating a file
   does); every step is idempotent, so a crash here is finished by replaying the journal;
4. finish: the ``txn`` directory is renamed to ``txn.done``, then removed. One rename ends the
   transaction (removing the journal, then the directory, would leave a staging directory that
   looks uncommitted), so a ``txn`` without a journal always means "never committed".

``recover()``: a journal -> replayed, "completed"; ``txn`` without one -> deleted, "rolled back";
``txn.done`` -> removed, "completed". Only process crashes are covered, not power loss, so nothing
is fsync'd (see FSYNC).
"""

from __future__ import annotations

import os
import stat

from agentpack.adapters.paths import link_refused, make_dirs, refuse_links
from agentpack.adapters.transaction_checks import ABSENT, CONFLICT_REASONS, DIR, dir_state, preflight
from agentpack.core.filenames import TXN_DIR
from agentpack.errors import Problem, WorkspaceError

# Power-loss durability is out of scope and an fsync costs milliseconds, which thousands of files
# multiply; True fsyncs the staged files, the journal and every directory whose entries change.
FSYNC = False

COMPLETED = "completed"
ROLLED_BACK = "rolled back"

DONE_DIR = TXN_DIR + ".done"
JOURNAL = "journal.json"
JOURNAL_FORMAT = 2  # 2 adds "tree" operations; a journal without one is still written as format 1
_JOURNAL_FORMATS = (1, 2)
_TREES = "t"  # below new/: the staged trees (the numbered files are digits only)


class Transaction:
    """A set of file writes and deletions under ``root`` that take effect all together or not at all.

    Paths are POSIX, relative to ``root``; the last operation staged for a path wins. Use it as a
    context manager: ``with Transaction(root) as tx: ...`` commits on normal exit and aborts if the
    block raises. The caller holds the workspace lock and has called ``recover()`` first; starting a
    transaction while an earlier one is pending raises ``WorkspaceError``. File-system errors while
    staging propagate as ``OSError``; the path whose write failed is then left unstaged.
    """

    def __init__(self, root: str, state_dir: str = ".agentops") -> None:
        self.root = os.path.abspath(root)
        _check_relpath(state_dir, ())
        self.state_dir = state_dir
        base = self.root + "/" + self.state_dir
        self._txn = base + "/" + TXN_DIR
        self._new = self._txn + "/new"
        self._reserved = tuple((self.state_dir + "/" + name).lower() for name in (TXN_DIR, DONE_DIR))
        # relpath -> staged file number for a write, the root of its staged tree (a str) for a
        # write into a missing directory, None for a deletion; one entry per path keeps replay
        # idempotent (no "delete then write" of one path to re-run out of order).
        self._ops: dict[str, int | str | None] = {}
        self._present: dict[str, bool] = {}  # directory -> whether it exists on disk (staging time)
        self._trees: set[str] = set()
        self._staged_dirs: set[str] = set()
        self._count = 0
        self._started = False
        self._committed = False
        self._closed = False

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self._closed:
            return False
        if exc_type is None:
            self.commit()
        else:
            self.abort()
        return False

    def write(self, relpath: str, data: bytes, *, mode: int | None = None) -> None:
        """Stage ``data`` as the new content of ``relpath`` (created or replaced at commit).

        The bytes are written to the staging area at once, so memory does not grow with the size of
        the transaction. ``mode``, if given, sets the permission bits of the new file; otherwise it
        gets the default for new files (0o666 less the umask). Raises ``WorkspaceError`` for an
        absolute path, a ``..``/``.``/empty component, a backslash or NUL, or a path inside the
        transaction's own directory, and when the transaction is already committed or aborted.
        """
        self._unstage(relpath)
        tree = self._missing_dir(relpath)
        if tree is not None:
            try:
                self._stage_in_tree(relpath, data, mode)
            except (NotADirectoryError, IsADirectoryError, FileExistsError):
                pass  # a path written as a file and as a directory: staged alone, refused at commit
            else:
                self._trees.add(tree)
                self._ops[relpath] = tree
                return
        n = self._count
        self._count += 1
        _write_file(f"{self._new}/{n}", data, mode)
        self._ops[relpath] = n

    def delete(self, relpath: str) -> None:
        """Stage the removal of the file ``relpath``; a file that does not exist is a no-op.

        Directories left empty by the removal are pruned at commit, up to but never including the
        workspace root. Deleting a directory is refused at commit. Path rules are those of ``write``.
        """
        self._unstage(relpath)
        if self._missing_dir(relpath) is None:  # in a missing directory there is nothing to delete
            self._ops[relpath] = None

    def _missing_dir(self, relpath: str) -> str | None:
        """The shallowest directory on ``relpath``'s way that does not exist on disk (or whose
        tree is staged already), None when they all exist. One ``lstat`` per distinct directory."""
        parts = relpath.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in self._trees:
                return folder
            present = self._present.get(folder)
            if present is None:
                present = self._present[folder] = os.path.lexists(self.root + "/" + folder)
            if not present:
                return folder
        return None

    def _stage_in_tree(self, relpath: str, data: bytes, mode: int | None) -> None:
        folder = relpath.rpartition("/")[0]
        if folder not in self._staged_dirs:
            os.makedirs(f"{self._new}/{_TREES}/{folder}", exist_ok=True)
            self._staged_dirs.add(folder)
        _write_file(f"{self._new}/{_TREES}/{relpath}", data, mode)

    def commit(self) -> None:
        """Apply every staged change, atomically with respect to crashes, then clean up.

        First every change is checked against the workspace (a write whose target is a directory
        or a symbolic link, or whose parent is a file or a symbolic link; a deletion of a directory
        or through a symbolic link); if any fails, the transaction is aborted and one error lists
        them all in ``problems``: ``LinkRefused`` naming the first link when links are among them,
        else ``WorkspaceError``. Then the journal is written (the commit point) and applied; any
        error before the commit point aborts the transaction too. If applying fails after the
        commit point (permissions, a full disk), ``WorkspaceError`` is raised and the journal stays,
        so the next ``recover()`` finishes the change. Committing an empty transaction does nothing.
        """
        if self._closed:
            raise WorkspaceError("the transaction is already committed or aborted", path=self.root)
        if not self._started:
            self._closed = True
            return
        journal = self._txn + "/" + JOURNAL
        try:
            trees = self._trees_to_move()
            deletes = [rel for rel, n in self._ops.items() if n is None]
            writes = [(rel, n) for rel, n in self._ops.items() if n is not None]
            device = os.stat(self._new).st_dev
            problems, deletes = preflight(self.root, deletes, writes, device)
            problems += _linked_targets(self.root, writes)
            links = [p.path for p in problems if p.message == CONFLICT_REASONS["symlink"].format(p.path)]
            if links:
                raise link_refused(self.root + "/" + links[0], problems if len(problems) > 1 else ())
            if problems:
                raise WorkspaceError(
                    f"cannot apply the change: {len(problems)} path(s) conflict with the workspace",
                    path=self.root,
                    problems=problems,
                    hint="move the conflicting files or directories out of the way and try again",
                )
            import json

            # Deletions go first so that a file can become a directory (or the reverse) in one go.
            ops = [["delete", rel] for rel in deletes] + [["write", rel, n] for rel, n in writes
                                                          if isinstance(n, int)]
            ops += [["tree", tree] for tree in trees]
            text = json.dumps({"format": JOURNAL_FORMAT if trees else 1, "ops": ops}, separators=(",", ":"))
            _write_file(journal + ".tmp", text.encode("utf-8"))
            _sync_dir(self._new)
            os.replace(journal + ".tmp", journal)  # the commit point
        except BaseException:
            self.abort()  # nothing is applied yet, so an interrupted commit still undoes cleanly
            raise
        self._committed = True
        self._closed = True
        _sync_dir(self._txn)
        _apply_and_finish(self.root, self._txn, ops, verify=False)

    def _trees_to_move(self) -> list[str]:
        """The staged trees that hold a file to write. One whose directory exists by now (made
        by something else since it was staged) is not moved in whole: its files are staged one
        by one, as if it had existed all along."""
        used = sorted({tree for tree in self._ops.values() if isinstance(tree, str)})
        moved = []
        for tree in used:
            if not os.path.lexists(self.root + "/" + tree):
                moved.append(tree)
                continue
            for rel, staged in list(self._ops.items()):
                if staged == tree:
                    n = self._count
                    self._count += 1
                    os.replace(f"{self._new}/{_TREES}/{rel}", f"{self._new}/{n}")
                    self._ops[rel] = n
        return moved

    def abort(self) -> None:
        """Drop every staged change; the workspace is left exactly as it was.

        Aborting twice, or after a failed commit check, is a no-op. Aborting after the commit point
        raises ``WorkspaceError``: by then the change can only be completed, not undone.
        """
        if self._committed:
            raise WorkspaceError("the change is already committed and cannot be aborted", path=self.root)
        if self._started and not self._closed:
            # The journal goes first: a journal whose staged files are half deleted would replay
            # half a change if this process died in the middle of the removal.
            if os.path.lexists(self._txn + "/" + JOURNAL):
                os.remove(self._txn + "/" + JOURNAL)
            _rmtree(self._txn)
        self._closed = True

    def _begin(self) -> None:
        if not os.path.isdir(self.root):
            raise WorkspaceError("the workspace directory does not exist", path=self.root)
        make_dirs(self.root, os.path.dirname(self._txn))  # never a staging area through a link
        done = os.path.dirname(self._txn) + "/" + DONE_DIR
        if os.path.lexists(done):
            _rmtree(done)  # garbage of a finished transaction; it would block the final rename
        try:
            os.mkdir(self._txn)
        except FileExistsError:
            raise WorkspaceError(
                "another change to this workspace is pending (interrupted or still running)",
                path=self._txn,
                hint="run any agentops command in this workspace to complete or roll it back",
            ) from None
        os.mkdir(self._new)
        self._started = True

    def _unstage(self, relpath: str) -> None:
        """Check that ``relpath`` may be staged and forget what was staged for it before."""
        if self._closed:
            raise WorkspaceError("the transaction is already committed or aborted", path=self.root)
        _check_relpath(relpath, self._reserved)
        if not self._started:
            self._begin()
        previous = self._ops.pop(relpath, None)
        if isinstance(previous, str):
            os.remove(f"{self._new}/{_TREES}/{relpath}")
        elif previous is not None:
            os.remove(f"{self._new}/{previous}")


def recover(root: str, state_dir: str = ".agentops") -> str | None:
    """Finish or undo a transaction that a crash interrupted; return what was done.

    Returns ``"completed"`` when a committed change was replayed (or only its clean-up was left),
    ``"rolled back"`` when an uncommitted change was discarded, and ``None`` when nothing was
    pending. Replaying is idempotent, so a crash during recovery is recovered the same way. The
    caller holds the workspace lock. Raises ``WorkspaceError`` when the journal cannot be read or
    applied (it is then left in place for a later attempt).
    """
    _check_relpath(state_dir, ())
    root = os.path.abspath(root)
    base = root + "/" + state_dir
    txn = base + "/" + TXN_DIR
    done = base + "/" + DONE_DIR
    refuse_links(root, txn + "/new")  # a linked folder would have us replay, move and delete elsewhere
    outcome = None
    if os.path.lexists(txn):
        journal = txn + "/" + JOURNAL
        if os.path.isfile(journal):
            ops = _read_journal(journal, state_dir)
            _apply_and_finish(root, txn, ops, verify=True)
            return COMPLETED
        _rmtree(txn)
        outcome = ROLLED_BACK
    if os.path.lexists(done):
        _rmtree(done)
        outcome = outcome or COMPLETED
    return outcome


def has_pending(root: str, state_dir: str = ".agentops") -> bool:
    """Whether a transaction is pending in ``root``: interrupted, or in progress in another process.

    One ``stat`` call and no locking, for read-only commands that want to warn that the files on
    disk may be mid-change; ``recover()`` is what resolves it.
    """
    return os.path.lexists(os.path.join(root, state_dir, TXN_DIR))


def _check_relpath(relpath: str, reserved: tuple[str, ...]) -> None:
    # Backslashes are refused because they are separators on Windows: a name that is one file
    # here would be a different path there.
    if not isinstance(relpath, str) or not relpath or relpath[0] == "/" or "\\" in relpath or "\0" in relpath:
        raise WorkspaceError(f"not a safe relative POSIX path: {relpath!r}", path=str(relpath))
    parts = relpath.split("/")
    if "" in parts or "." in parts or ".." in parts:
        raise WorkspaceError(f"not a safe relative POSIX path: {relpath!r}", path=relpath)
    # Compared case-insensitively because the workspace may be on a case-insensitive filesystem.
    lowered = relpath.lower()
    for prefix in reserved:
        if lowered == prefix or lowered.startswith(prefix + "/"):
            raise WorkspaceError(f"path is inside the transaction directory: {relpath!r}", path=relpath)


def _apply_and_finish(root: str, txn: str, ops: list, verify: bool) -> None:
    """Apply the journal's ``ops`` (idempotently) and end the transaction. ``verify`` re-checks
    that no directory on the way is a symbolic link, for journals read back from disk."""
    try:
        _apply(root, txn + "/new", ops, verify)
        done = os.path.dirname(txn) + "/" + DONE_DIR
        if os.path.lexists(done):
            _rmtree(done)
        os.replace(txn, done)  # the transaction is over; what remains is clean-up
        _sync_dir(os.path.dirname(txn))
        _rmtree(done)
    except OSError as exc:
        raise WorkspaceError(
            f"a committed change could not be fully applied: {exc.strerror or exc}",
            path=exc.filename or root,
            hint="fix the cause, then run any agentops command in this workspace to complete it",
        ) from exc


def _apply(root: str, new_dir: str, ops: list, verify: bool) -> None:
    replace, remove, rmdir, makedirs, exists = os.replace, os.remove, os.rmdir, os.makedirs, os.path.exists
    memo: dict = {}
    made: set[str] = set()
    changed: set[str] = set()
    for op in ops:
        rel = op[1]
        target = root + "/" + rel
        parent = rel.rpartition("/")[0]
        if op[0] == "delete":
            if verify:
                _refuse_links(root, parent, memo)
            try:
                remove(target)
            except FileNotFoundError:
                pass  # removed before a crash (the journal only names files that existed)
            except NotADirectoryError:
                continue  # a later write already turned a parent into a file
            except OSError:
                # After a crash a later write may already have made this path a directory;
                # the commit check guaranteed it was not one before.
                if os.path.isdir(target) and not os.path.islink(target):
                    continue
                raise
            # Prune the directories this removal emptied (rmdir refuses non-empty ones). On a
            # replay they may have been emptied before the crash: still ours, since they held
            # the file when the transaction was committed.
            while parent:
                changed.add(parent)
                try:
                    rmdir(root + "/" + parent)
                except FileNotFoundError:
                    pass  # pruned before a crash; its parent may not have been
                except OSError:
                    break
                parent = parent.rpartition("/")[0]
            continue
        if op[0] == "tree":  # a directory that did not exist, with everything staged in it
            if verify:
                _refuse_links(root, rel, memo)  # nor is the directory itself a link planted since
            if parent and parent not in made:
                makedirs(root + "/" + parent, exist_ok=True)
                made.add(parent)
            staged = f"{new_dir}/{_TREES}/{rel}"
            try:
                replace(staged, target)
            except FileNotFoundError:
                if exists(staged):
                    raise
                # The staged tree is gone: it was moved into place before a crash.
            made.add(rel)
            continue
        staged = f"{new_dir}/{op[2]}"
        if parent not in made:
            if verify:
                _refuse_links(root, parent, memo)
            if parent:
                makedirs(root + "/" + parent, exist_ok=True)
            made.add(parent)
        try:
            replace(staged, target)
        except FileNotFoundError:
            if exists(staged):
                raise
            # The staged file is gone: it was moved into place before a crash.
    if FSYNC:
        # A pruned directory is gone; its removal is recorded in the parent, which is in the set.
        for rel in made | changed | {""}:
            if os.path.isdir(root + "/" + rel):
                _sync_dir(root + "/" + rel)


def _linked_targets(root: str, writes: list[tuple[str, int]]) -> list[Problem]:
    """A problem for each file to write that is a symbolic link now. Replacing the link would
    not write through it, but it is refused all the same: the user put it there, and the file the
    package installs there would silently stop being what the link pointed to."""
    islink = os.path.islink
    return [Problem("error", "path-conflict", CONFLICT_REASONS["symlink"].format(rel), path=rel)
            for rel, _ in writes if islink(root + "/" + rel)]


def _refuse_links(root: str, rel_dir: str, memo: dict) -> None:
    state = dir_state(root, rel_dir, memo, frozenset(), frozenset())
    if state is not DIR and state is not ABSENT and state[0] == "symlink":
        raise WorkspaceError(
            CONFLICT_REASONS["symlink"].format(state[1]),
            path=state[1],
            hint="replace the link with a real directory, then run any agentops command to complete the change",
        )


def _read_journal(path: str, state_dir: str) -> list:
    """The journal's ops, checked: a journal is read from the workspace, which may come from
    anywhere (a clone, an archive), so its paths get the same checks as the ones staged."""
    from agentpack.core.bounded_json import parse_json
    from agentpack.core.limits import MAX_JSON_BYTES

    reserved = tuple((state_dir + "/" + name).lower() for name in (TXN_DIR, DONE_DIR))
    try:
        with open(path, "rb") as handle:
            data = parse_json(handle.read(MAX_JSON_BYTES + 1), source=path, error=WorkspaceError)
        ops = data["ops"]
        if data.get("format") not in _JOURNAL_FORMATS or not isinstance(ops, list):
            raise ValueError("unknown journal format")
        for op in ops:
            if op[0] in ("delete", "tree") and len(op) == 2:
                _check_relpath(op[1], reserved)
            elif op[0] == "write" and len(op) == 3 and type(op[2]) is int and op[2] >= 0:
                _check_relpath(op[1], reserved)
            else:
                raise ValueError(f"bad operation {op!r}")
    except (OSError, ValueError, KeyError, IndexError, TypeError, WorkspaceError) as exc:
        raise WorkspaceError(
            f"the journal of an interrupted change cannot be read: {exc}",
            path=path,
            hint="inspect the workspace by hand, then delete the transaction directory",
        ) from exc
    return ops


def _write_file(path: str, data: bytes, mode: int | None = None) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        written = os.write(fd, data)
        if written < len(data):  # rare: only a signal or a full disk cuts a regular-file write short
            view = memoryview(data)[written:]
            while view:
                view = view[os.write(fd, view) :]
        if mode is not None:
            os.fchmod(fd, mode)
        if FSYNC:
            os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(path: str) -> None:
    """fsync a directory so renames and creations in it survive power loss; only when FSYNC."""
    if not FSYNC:
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rmtree(path: str) -> None:
    """Remove ``path`` and everything under it without following symbolic links (the staging
    area needs no more than this, and it keeps ``shutil`` off the start-up path)."""
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            os.remove(path)
            return
    except FileNotFoundError:
        return
    with os.scandir(path) as entries:
        children = [(e.path, e.is_dir(follow_symlinks=False)) for e in entries]
    for child, is_dir in children:
        if is_dir:
            _rmtree(child)
        else:
            os.remove(child)
    os.rmdir(path)
