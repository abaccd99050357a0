"""Registries, chosen by the URL scheme of their location.

``_BACKENDS`` is the one place a backend is plugged in: services call ``open_registry`` and never
test the scheme themselves.
"""

from __future__ import annotations

import os

from agentpack.adapters.registry.base import Registry, RegistryOptions
from agentpack.adapters.registry.directory import DirectoryRegistry
from agentpack.errors import RegistryError

__all__ = ["Registry", "RegistryOptions", "DirectoryRegistry", "HttpRegistry", "OciRegistry", "open_registry",
           "supported_schemes"]

# scheme -> backend (module, class), constructed as Backend(target, url=location, options=options).
# "" means a plain path. A backend's module is imported when a location of its scheme is opened:
# a command that reads directories only never loads the network backends (~2 ms).
_BACKENDS: dict[str, tuple[str, str]] = {
    "file": ("directory", "DirectoryRegistry"),
    "": ("directory", "DirectoryRegistry"),
    "http": ("http", "HttpRegistry"),  # a registry tree read with plain GETs (docs/registry-protocol.md)
    "https": ("http", "HttpRegistry"),
    "oci": ("oci", "OciRegistry"),  # an OCI distribution registry (docs/registry-protocol.md, "OCI registries")
}


def _load(module: str, name: str) -> type:
    import importlib

    return getattr(importlib.import_module(f"agentpack.adapters.registry.{module}"), name)


def __getattr__(name: str):
    """``HttpRegistry`` and ``OciRegistry``, imported when first named."""
    for module, found in _BACKENDS.values():
        if found == name:
            return _load(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def supported_schemes() -> list[str]:
    """The URL schemes ``open_registry`` understands, for messages and ``--help`` (``""`` = a path)."""
    return sorted(_BACKENDS)


def open_registry(location: str, *, base_dir: str | None = None,
                  options: RegistryOptions | None = None) -> Registry:
    """Open the registry at ``location``: a directory path or a URL whose scheme is in the table.

    Plain paths have ``~`` expanded and, when relative, are taken relative to ``base_dir`` (the
    directory of the file that named them) or else the current directory. ``file://`` URLs must be
    absolute (``file:///srv/registry`` or ``file://localhost/srv/registry``). An unknown scheme
    raises ``RegistryError`` listing the supported ones. ``options`` say how to reach a registry
    across a network (default: ``RegistryOptions()``). Opening does no I/O: a missing or unreachable
    registry is reported by the first read.
    """
    if not location or not location.strip():
        raise RegistryError("empty registry location", hint="give a directory path or an http(s)://, oci:// or file:// URL")
    scheme, has_scheme, rest = location.partition("://")
    if not has_scheme or not _looks_like_scheme(scheme):
        scheme, target = "", _plain_path(location, base_dir)
    else:
        scheme = scheme.lower()
        if scheme not in _BACKENDS:
            raise RegistryError(
                f"unsupported registry scheme '{scheme}://' in {location}",
                hint=f"supported: {_describe_schemes()}",
            )
        target = _file_url_path(location, rest) if scheme == "file" else location
    return _load(*_BACKENDS[scheme])(target, url=location, options=options or RegistryOptions())


def _looks_like_scheme(text: str) -> bool:
    # RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). Anything else before "://" is a path.
    return (
        bool(text)
        and text[0].isascii()
        and text[0].isalpha()
        and all(c.isascii() and (c.isalnum() or c in "+-.") for c in text)
    )


def _describe_schemes() -> str:
    names = ["a directory path" if s == "" else f"{s}:// URLs" for s in supported_schemes()]
    return ", ".join(names)


def _plain_path(location: str, base_dir: str | None) -> str:
    path = os.path.expanduser(location)
    if base_dir is not None and not os.path.isabs(path):
        path = os.path.join(os.path.expanduser(base_dir), path)
    return os.path.abspath(path)


def _file_url_path(location: str, rest: str) -> str:
    host, slash, path = rest.partition("/")
    if host not in ("", "localhost") or not slash:
        raise RegistryError(
            f"a file:// registry URL must name an absolute local path: {location}",
            hint="write file:///absolute/path (three slashes), or give a plain directory path",
        )
    from urllib.parse import unquote  # only file:// URLs need percent-decoding

    return unquote("/" + path)
