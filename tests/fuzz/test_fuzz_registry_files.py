"""Fuzz the readers of a registry's files: registry.json, package indexes, catalog.json, and the
cache's copies of indexes, through the services that read them (info, search, the resolver's
source). The only outcomes allowed are a result or an AgentpackError naming the file."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from mutations import FUZZ, json_bytes, reads_or_refuses

from agentpack.adapters.cache import BlobCache
from agentpack.services.info import package_info
from agentpack.services.search import search_packages
from agentpack.services.sources import PackageSource
from agentpack.services.workspace import Settings
from conftest import Agentops

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """A registry holding the example packages, published by the real command; a pristine copy."""
    home = tmp_path_factory.mktemp("home")
    Agentops(home).publish_examples()
    pristine = home / "data" / "agentpack" / "registry"
    work = tmp_path_factory.mktemp("work")
    return pristine, work


def _fresh(registry) -> tuple[Path, Settings]:
    pristine, work = registry
    root = work / "registry"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(pristine, root)
    return root, Settings(registry=str(root), cache_dir=str(work / "cache"))


def _seed(registry, relpath: str):
    return json.loads((registry[0] / relpath).read_text())


def _read_everything(root: Path, settings: Settings) -> None:
    cwd = str(root.parent)
    search_packages("", settings, cwd)
    package_info("customer-service", settings, cwd)
    source = PackageSource(lambda: settings.registry_routing(None, cwd), settings.resolved_cache_dir)
    for name in ("customer-service", "core-workflow"):
        source.candidates(name)


@pytest.mark.parametrize("relpath", ["index/customer-service.json", "catalog.json", "registry.json"])
def test_registry_files(registry, relpath):
    seed = _seed(registry, relpath)

    @FUZZ
    @given(raw=json_bytes(seed))
    def run(raw):
        root, settings = _fresh(registry)
        (root / relpath).write_bytes(raw)
        reads_or_refuses(lambda: _read_everything(root, settings), os.path.basename(relpath), str(root))

    run()


def test_cached_index_copies(registry):
    seed = _seed(registry, "index/customer-service.json")
    cache = BlobCache(str(registry[1] / "cache-copies"))

    @FUZZ
    @given(raw=json_bytes(seed))
    def run(raw):
        cache.save_index("customer-service", seed)
        Path(cache._index_path("customer-service")).write_bytes(raw)
        index = cache.load_index("customer-service")  # an unusable copy is no copy
        assert index is None or isinstance(index.get("versions"), dict)

    run()
