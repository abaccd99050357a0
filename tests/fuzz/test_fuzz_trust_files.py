"""Fuzz the readers of what crosses an air gap: bundle manifests and records, signature
documents and key files. The bundle is verified as `agentops bundle verify` does it, from the
file; signatures and keys are read from files as build, install and `key trust` read them."""

from __future__ import annotations

import base64
import hashlib
import json
import tarfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mutations import FUZZ, json_bytes, reads_or_refuses, to_bytes

from agentpack.adapters.archive import write_tar
from agentpack.adapters.keys import TrustStore, load_private_key, parse_public_key
from agentpack.core.bundle_manifest import MANIFEST_NAME, parse_manifest
from agentpack.services.bundle import verify_bundle
from agentpack.services.signing import read_sidecar, verify_document
from conftest import EXAMPLES, KEY_ENV, Agentops

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A signed archive, its key pair and a signed bundle, all made by the real command."""
    home = tmp_path_factory.mktemp("home")
    agentops = Agentops(home)
    key = agentops.generate_key("alice")
    archive = agentops.build_folder(EXAMPLES / "core-workflow", "--sign", key["private_key"])
    agentops("package", "publish", archive)
    bundle = home / "site.bundle"
    agentops("bundle", "collect", "core-workflow@^2.0.0", "-o", bundle, "--sign", key["private_key"], env=KEY_ENV)
    with tarfile.open(bundle, "r:") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}
    return {"home": home, "key": key, "archive": archive, "members": members, "work": tmp_path_factory.mktemp("w")}


def _write_bundle(path: Path, members: dict[str, bytes]) -> None:
    write_tar(str(path), members.items(), durable=False)  # the bundle writer's own tar layout


def test_bundle_manifest(made):
    members = made["members"]
    seed = parse_manifest(members[MANIFEST_NAME])
    path = made["work"] / "manifest.bundle"

    @FUZZ
    @given(raw=json_bytes(seed))
    def run(raw):
        _write_bundle(path, {**members, MANIFEST_NAME: raw})
        reads_or_refuses(lambda: verify_bundle(str(path), allow_untrusted=True), str(path))

    run()


def test_bundle_record(made):
    """A damaged record.json, with the manifest's digest of it updated (as an attacker would)."""
    members = made["members"]
    record_name = next(name for name in members if name.endswith("record.json"))
    seed = json.loads(members[record_name])
    path = made["work"] / "record.bundle"

    @FUZZ
    @given(raw=json_bytes(seed))
    def run(raw):
        manifest = json.loads(members[MANIFEST_NAME])
        manifest["files"][record_name] = hashlib.sha256(raw).hexdigest()
        _write_bundle(path, {record_name: raw, MANIFEST_NAME: json.dumps(manifest).encode(),
                             **{k: v for k, v in members.items() if k not in (record_name, MANIFEST_NAME,
                                                                            "manifest.sig")}})
        reads_or_refuses(lambda: verify_bundle(str(path), allow_untrusted=True), str(path))

    run()


def test_signature_document(made):
    archive = Path(made["archive"])
    seed = json.loads(Path(f"{archive}.sig").read_text())
    copy = made["work"] / archive.name
    copy.write_bytes(archive.read_bytes())
    sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()

    @FUZZ
    @given(raw=json_bytes(seed))
    def run(raw):
        Path(f"{copy}.sig").write_bytes(raw)

        def read():
            document = read_sidecar(str(copy))
            return verify_document(document, name=seed["name"], version=seed["version"], sha256=sha256,
                                   where=f"{copy}.sig")

        reads_or_refuses(read, f"{copy}.sig")

    run()


def _key_damage() -> st.SearchStrategy:
    return st.sampled_from(["none", "truncate", "flip", "garbage", "bom", "base64", "short-base64", "pem-junk"])


def test_public_key_files(made):
    pem = Path(made["key"]["public_key"]).read_bytes()
    store_dir = made["work"] / "trust"
    store_dir.mkdir()

    @FUZZ
    @given(damage=_key_damage(), data=st.data())
    def run(damage, data):
        raw = {
            "none": pem, "truncate": pem[: data.draw(st.integers(0, len(pem)))], "bom": b"\xef\xbb\xbf" + pem,
            "flip": to_bytes(data.draw, pem.decode()), "garbage": data.draw(st.binary(max_size=200)),
            "base64": base64.b64encode(data.draw(st.binary(min_size=30, max_size=34))),
            "short-base64": data.draw(st.text(max_size=60)).encode("utf-8", "surrogatepass"),
            "pem-junk": b"-----BEGIN PUBLIC KEY-----\n" + data.draw(st.binary(max_size=80)) + b"\n-----END",
        }[damage]
        (store_dir / "alice.pub").write_bytes(raw)
        reads_or_refuses(lambda: parse_public_key(raw, where="alice.pub"), "alice.pub")
        reads_or_refuses(TrustStore(str(store_dir), "user").keys, "alice.pub")

    run()


def test_private_key_files(made):
    pem = Path(made["key"]["private_key"]).read_bytes()
    path = made["work"] / "alice.key"

    @FUZZ
    @given(damage=_key_damage(), data=st.data(), passphrase=st.sampled_from([None, "", "wrong", "s3cret passphrase"]))
    def run(damage, data, passphrase):
        raw = {"truncate": pem[: data.draw(st.integers(0, len(pem)))], "garbage": data.draw(st.binary(max_size=300)),
               "flip": to_bytes(data.draw, pem.decode()), "bom": b"\xef\xbb\xbf" + pem}.get(damage, pem)
        path.write_bytes(raw)
        reads_or_refuses(lambda: load_private_key(str(path), passphrase), str(path))

    run()
