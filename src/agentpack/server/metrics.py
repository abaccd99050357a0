"""What ``/metrics`` reports, in the Prometheus text format, for the whole server.

Each process counts requests (by method, route and status), archive downloads and publishes (by
status) in memory, on the event loop. With ``settings.metrics_dir`` (set by `registry serve`, one
folder per run) the counts are shared through adapters.process_counters: every process writes
its own every ``metrics_flush_seconds`` when they changed, the process answering ``/metrics``
writes its own first, and the answer is the sum over all processes. Without it (an app built in
a test), the answer is this process's counts. Packages, versions and per-version downloads come
from the database, which every process shares.
"""

from __future__ import annotations

from collections import Counter


class ProcessMetrics:
    """This process's counters; ``snapshot`` gives them as JSON for the shared folder."""

    def __init__(self, folder: str | None) -> None:
        self.requests: Counter = Counter()  # (method, route, status) -> count
        self.publishes: Counter = Counter()  # status -> count
        self.downloads = 0
        self.changes = 0  # raised by every count; a snapshot carries it as its sequence number
        self._shared = None
        if folder is not None:
            from agentpack.adapters.process_counters import ProcessCounters

            self._shared = ProcessCounters(folder)
        self._flushed = -1

    def count_request(self, method: str, route: str, status: int) -> None:
        """Count one answered request (``POST /api/v1/packages`` is a publish, too)."""
        self.requests[(method, route, status)] += 1
        if method == "POST" and route == "/api/v1/packages":
            self.publishes[status] += 1
        self.changes += 1

    def count_download(self) -> None:
        self.downloads += 1
        self.changes += 1

    def snapshot(self) -> dict:
        """The counts as JSON (call it on the event loop, where they change)."""
        return {"sequence": self.changes, "downloads": self.downloads,
                "requests": [[m, r, s, n] for (m, r, s), n in self.requests.items()],
                "publishes": [[s, n] for s, n in self.publishes.items()]}

    def flush(self, snapshot: dict) -> None:
        """Write ``snapshot`` to the shared folder, if there is one and it changed (blocking)."""
        if self._shared is not None and snapshot["sequence"] != self._flushed:
            self._shared.write(snapshot["sequence"], snapshot)
            self._flushed = snapshot["sequence"]

    def totals(self, snapshot: dict) -> dict:
        """Every process's counts summed (this one's as of ``snapshot``), as ``snapshot`` shapes them."""
        if self._shared is None:
            return snapshot
        self.flush(snapshot)
        return merge(self._shared.gather())


def merge(snapshots: list[dict]) -> dict:
    """The sum of several processes' snapshots (entries that are not well-formed are skipped)."""
    requests: Counter = Counter()
    publishes: Counter = Counter()
    downloads = 0
    for snapshot in snapshots:
        downloads += _count(snapshot.get("downloads"))
        for entry in snapshot.get("requests") or ():
            if isinstance(entry, list) and len(entry) == 4:
                requests[(str(entry[0]), str(entry[1]), _count(entry[2]))] += _count(entry[3])
        for entry in snapshot.get("publishes") or ():
            if isinstance(entry, list) and len(entry) == 2:
                publishes[_count(entry[0])] += _count(entry[1])
    return {"downloads": downloads, "requests": [[m, r, s, n] for (m, r, s), n in sorted(requests.items())],
            "publishes": [[s, n] for s, n in sorted(publishes.items())]}


def render(totals: dict, packages: int, versions: int, version_downloads: dict) -> str:
    """The Prometheus text document."""
    lines = ["# HELP agentpack_packages Packages held.", "# TYPE agentpack_packages gauge",
             f"agentpack_packages {packages}",
             "# HELP agentpack_versions Versions held.", "# TYPE agentpack_versions gauge",
             f"agentpack_versions {versions}",
             "# HELP agentpack_downloads_total Archive downloads since the server started, all its processes.",
             "# TYPE agentpack_downloads_total counter", f"agentpack_downloads_total {totals['downloads']}",
             "# HELP agentpack_publishes_total Publish requests answered since the server started, by status.",
             "# TYPE agentpack_publishes_total counter"]
    for status, count in sorted(totals["publishes"]):
        lines.append(f'agentpack_publishes_total{{status="{status}"}} {count}')
    lines += ["# HELP agentpack_version_downloads Downloads per version, as last written in a batch.",
              "# TYPE agentpack_version_downloads gauge"]
    for (package, version), count in sorted(version_downloads.items()):
        lines.append(f'agentpack_version_downloads{{package="{_label(package)}",version="{_label(version)}"}} {count}')
    lines += ["# HELP agentpack_http_requests_total Requests answered since the server started, all its processes.",
              "# TYPE agentpack_http_requests_total counter"]
    for method, route, status, count in sorted(totals["requests"]):
        lines.append(f'agentpack_http_requests_total{{method="{_label(method)}",route="{_label(route)}",'
                     f'status="{status}"}} {count}')
    return "\n".join(lines) + "\n"


def _count(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
