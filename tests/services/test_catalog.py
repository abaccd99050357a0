"""What the web catalog reads from a registry (services.catalog), over real directory registries."""

from __future__ import annotations

import io
import tarfile

import pytest

from agentpack.adapters.registry import DirectoryRegistry
from agentpack.errors import PackageNotFound
from agentpack.services.catalog import README_LIMIT, category_counts, listing, package_page, package_readme


def archive(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.USTAR_FORMAT) as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(f"package/{path}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def publish(registry, name, version, *, category=None, readme: bytes | None = b"# Hi\n", **extra):
    manifest = {"name": name, "version": version, "description": f"{name} does things", "keywords": ["kw"],
                "dependencies": ["base@^1.0.0"], "license": "MIT"}
    if category:
        manifest["category"] = category
    files = {"package.yaml": b"name: x\n"} | ({"README.md": readme} if readme is not None else {})
    record = {"name": name, "version": version, "manifest": manifest, "published_at": "2024-05-01T12:00:00Z",
              "components": {"agents": 2, "workflows": 1}, **extra}
    return registry.publish(archive(files), record)


@pytest.fixture
def registry(tmp_path):
    registry = DirectoryRegistry(str(tmp_path / "reg"))
    publish(registry, "support", "1.0.0", category="domain")
    publish(registry, "support", "1.1.0", category="domain")
    publish(registry, "team/ops", "0.1.0", category="process", readme=None)
    publish(registry, "plain", "2.0.0")
    return registry


def test_listing_matches_like_search_and_filters_by_category(registry):
    assert [row["name"] for row in listing(registry)] == ["plain", "support", "team/ops"]
    assert [row["line"] for row in listing(registry, "SUPPORT")] == ["support (1.1.0) - 2 agents, 1 workflows"]
    assert [row["name"] for row in listing(registry, "", "process")] == ["team/ops"]
    assert listing(registry, "support", "process") == [] and listing(registry, "", "vertical") == []
    assert category_counts(registry) == {"domain": 1, "industry": 0, "process": 1, "meta": 0}


def test_a_package_page_shows_install_s_choice_and_every_version(registry):
    registry.mark_yanked("support", "1.1.0", {"reason": "broken", "at": "2024-05-02T00:00:00Z"})
    page = package_page(registry, "support")
    assert page["version"] == "1.0.0" and page["yanked"] is None  # 1.1.0 is yanked
    assert [(v["version"], v["yanked"]) for v in page["versions"]] == [("1.1.0", "broken"), ("1.0.0", None)]
    assert page["dependencies"] == {"base": "^1.0.0"} and page["category"] == "domain"
    assert page["classification"] == "unclassified" and page["signature"]["status"] == "unsigned"
    assert page["downloads"] is None and page["versions"][0]["downloads"] is None
    assert package_page(registry, "support", "1.1.0")["yanked"] == "broken"
    counted = package_page(registry, "support", downloads=lambda name: {"1.0.0": 3, "1.1.0": 4})
    assert counted["downloads"] == 7 and [v["downloads"] for v in counted["versions"]] == [4, 3]


def test_a_damaged_signature_is_shown_as_invalid_never_as_signed(registry):
    publish(registry, "forged", "1.0.0", signature={"format": 1, "name": "forged", "version": "1.0.0",
                                                    "sha256": "0" * 64, "key": "ab" * 32, "public_key": "x",
                                                    "signature": "y"})
    signature = package_page(registry, "forged")["signature"]
    assert signature["status"] == "invalid" and signature["reason"]


@pytest.mark.parametrize(("name", "version"), [("nope", None), ("support", "9.9.9"), ("Bad_Name", None),
                                               ("../etc", None)])
def test_unknown_packages_and_versions_are_not_found(registry, name, version):
    with pytest.raises(PackageNotFound):
        package_page(registry, name, version)


def test_the_readme_comes_from_the_archive(registry):
    assert package_readme(registry, "support", "1.0.0") == "# Hi\n"
    assert package_readme(registry, "team/ops", "0.1.0") is None
    publish(registry, "big", "1.0.0", readme=b"x" * (README_LIMIT + 10) + b"\xff")
    text = package_readme(registry, "big", "1.0.0")
    assert text.startswith("x" * 100) and text.endswith("the rest is not shown.)*\n")
    publish(registry, "latin", "1.0.0", readme=b"caf\xe9\n")
    assert package_readme(registry, "latin", "1.0.0") == "caf\ufffd\n"
