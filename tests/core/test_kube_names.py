"""Kubernetes names made from package names, paths and levels (core.kube_names): text that fits is
kept, anything changed or cut carries a hash of the original, and shared names are told apart."""

from __future__ import annotations

import re

import pytest

from agentpack.core.kube_names import configmap_key, dns_label, hashed_label, label_value, unique_names

DNS = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
LABEL = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
KEY = re.compile(r"[-._a-zA-Z0-9]+")


@pytest.mark.parametrize("text, expected", [
    ("customer-service", "customer-service"),
    ("top-secret", "top-secret"),
    ("team/x-agents", re.compile(r"team-x-agents-[0-9a-f]{8}")),
    ("Secret", re.compile(r"secret-[0-9a-f]{8}")),
    ("x--y", re.compile(r"x-y-[0-9a-f]{8}")),
    ("a" * 80, re.compile(r"a{54}-[0-9a-f]{8}")),
    ("---", re.compile(r"[0-9a-f]{8}")),
    ("Ünïcode level", re.compile(r"n-code-level-[0-9a-f]{8}")),
])
def test_dns_labels(text, expected):
    got = dns_label(text)
    assert DNS.fullmatch(got) and len(got) <= 63
    assert got == expected if isinstance(expected, str) else expected.fullmatch(got), got
    assert dns_label(text) == got  # the same every time


@pytest.mark.parametrize("text, expected", [
    ("team/x", "team.x"), ("1.0.0+build.7", "1.0.0_build.7"), ("1.0.0-rc.1", "1.0.0-rc.1"),
    ("Top Secret", re.compile(r"Top-Secret-[0-9a-f]{8}")), ("-x-", re.compile(r"x-[0-9a-f]{8}")),
    ("t" * 30 + "/" + "n" * 33, re.compile(r"t{30}\.n{23}-[0-9a-f]{8}")), ("", ""),
])
def test_label_values(text, expected):
    got = label_value(text)
    assert LABEL.fullmatch(got) and len(got) <= 63
    assert got == expected if isinstance(expected, str) else expected.fullmatch(got), got


def test_configmap_keys():
    assert configmap_key("inbox.md") == "inbox.md"
    assert configmap_key("triage/inbox.md") == "triage__inbox.md"
    for odd in ("we ird/ä.md", "x" * 300):
        assert KEY.fullmatch(configmap_key(odd)) and len(configmap_key(odd)) <= 253
    assert configmap_key("a b.md") != configmap_key("a_b.md")  # a change is hashed, so they differ


def test_names_shared_within_a_group_are_told_apart_and_others_kept():
    wanted = {("a", "b-c"): ("Agent/ns", "a-b-c"), ("a-b", "c"): ("Agent/ns", "a-b-c"),
              ("x", "y"): ("Agent/ns", "x-y"), ("a", "b-c", "other ns"): ("Agent/other", "a-b-c")}
    names = unique_names(wanted, lambda key: hashed_label("-".join(key[:2]) + "/" + key[1]))
    assert names[("x", "y")] == "x-y" and names[("a", "b-c", "other ns")] == "a-b-c"
    assert names[("a", "b-c")] != names[("a-b", "c")]
    assert all(DNS.fullmatch(n) for n in names.values())
