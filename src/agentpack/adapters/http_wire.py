"""HTTP/1.1 over the standard library's ``socket`` and ``ssl``: the transport of adapters.http_client.

Written here rather than taken from a library because of the speed targets of a remote install:
httpx with httpcore costs about 45 ms to import and about 0.5 ms of CPU per request, and
``http.client`` imports the ``email`` package (about 15 ms). A registry read is one small GET
after another (an OCI install of 20 packages sends about 60), so what a request costs is the
command's cost. This module does only what the registry clients need:

- GET, HEAD, PUT, POST, PATCH and DELETE, with a body given as bytes;
- connections kept alive per origin and reused by any thread (one request at a time each); a kept
  connection the server has closed is noticed before use, and a request that finds it closed
  anyway is sent again on a new one when it is safe to repeat;
- bodies framed by ``Content-Length``, chunked, or by the end of the connection; gzip and deflate
  decoded (none is asked for); head lines and the number of fields bounded;
- proxies from the environment, as curl and httpx read them: ``http_proxy``, ``https_proxy``,
  ``all_proxy`` (lower case first, then upper case) and ``no_proxy`` (``*``, host names matching
  themselves and their subdomains, IP addresses and networks, optional ``:port``); an http://
  proxy is sent absolute URLs for http:// and a ``CONNECT`` tunnel for https://, with
  ``Proxy-Authorization`` from the proxy URL's user and password;
- TLS through the caller's ``ssl.SSLContext``, to the server and to an https:// proxy (TLS
  within TLS through its tunnel);
- redirects followed (at most 20): 303, and 301/302 after a POST, become a GET without body; an
  ``Authorization`` header never follows a redirect to another origin; ``guard`` sees every URL
  before a request goes to it, so a caller can refuse one.

Errors are ``WireError``s: ``ConnectFailed`` when no answer could start (``ProxyFailed`` when the
proxy refused the tunnel), ``TimedOut`` when the server stayed silent past the timeout,
``BrokenAnswer`` when an answer is malformed or cut short, ``UnusableProxy`` when the proxy the
environment names cannot be used.
"""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import unquote, urljoin, urlsplit

from agentpack.adapters.url_origin import DEFAULT_PORTS as _DEFAULT_PORTS
from agentpack.adapters.url_origin import origin_of

MAX_REDIRECTS = 20
_MAX_LINE = 64 * 1024  # one head line (status or field), as nginx's large_client_header_buffers
_MAX_FIELDS = 200
_MAX_IDLE = 32  # connections kept per origin
_READ = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)
_REPEATABLE = ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")


class WireError(Exception):
    """A request that got no usable answer."""


class ConnectFailed(WireError):
    """The server (or the proxy) could not be reached, or the TLS handshake failed: no answer began."""


class ProxyFailed(ConnectFailed):
    """The proxy refused to open a tunnel, or answered with something else than a tunnel."""


class UnusableProxy(WireError):
    """The environment names a proxy that cannot be used (not http:// or https://, a bad port):
    a setting to fix, not a failure that trying again would cure."""


class TimedOut(WireError):
    """Nothing arrived within the timeout (connecting, or waiting for the answer or its body)."""


class BrokenAnswer(WireError):
    """The answer was malformed, or the connection closed or failed before it ended."""


class TooManyRedirects(WireError):
    """More than ``MAX_REDIRECTS`` redirects in a row."""


class _ClosedEarly(Exception):
    """A kept connection turned out closed before any of the answer arrived (sent again on a new one)."""


class Headers:
    """Header fields in arrival order; ``get`` ignores the case of names and joins repeated fields."""

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields

    def get(self, name: str, default=None):
        name = name.lower()
        values = [v for k, v in self._fields if k.lower() == name]
        return ", ".join(values) if values else default

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)


class Pool:
    """Connections to any number of origins, shared by threads; see the module docstring.

    ``timeout`` bounds connecting and each wait for bytes; ``tls`` (called once, on the first
    https:// connection) gives the ``ssl.SSLContext``; ``headers`` go with every request;
    ``environ`` is where the proxies are read (``None``: no proxy).
    """

    def __init__(self, *, timeout: float, tls=None, headers: dict | None = None, environ=os.environ) -> None:
        self.timeout = timeout
        self._tls_factory = tls
        self._tls = None
        self._headers = dict(headers or {})
        self._proxies = _Proxies(environ) if environ is not None else None
        self._idle: dict[tuple, list[_Connection]] = {}
        self._lock = threading.Lock()

    def request(self, method: str, url: str, headers: dict | None = None, content: bytes | None = None, *,
                guard=None) -> Response:
        """The answer to ``method url``, its body not read yet (the caller reads it or closes it),
        after following redirects. ``guard(url)`` is called before each request is sent."""
        headers = {**self._headers, **(headers or {})}
        for _hop in range(MAX_REDIRECTS + 1):
            if guard is not None:
                guard(url)
            response = self._send(method, url, headers, content)
            location = response.headers.get("location") if response.status_code in _REDIRECTS else None
            if location is None:
                return response
            response.close()
            target = urljoin(url, location.strip())
            if response.status_code == 303 and method != "HEAD" or response.status_code in (301, 302) and method == "POST":
                method, content = "GET", None
                headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "content-type")}
            if origin_of(target) != origin_of(url):
                headers = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}
            url = target
        raise TooManyRedirects(f"more than {MAX_REDIRECTS} redirects, the last to {url}")

    def close(self) -> None:
        """Close every kept connection (the pool can be used again afterwards)."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    # -- one exchange -----------------------------------------------------------------------------

    def _send(self, method: str, url: str, headers: dict, content: bytes | None) -> Response:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ConnectFailed(f"cannot send a request to {url[:200]}: only http:// and https:// URLs are supported")
        host = parts.hostname
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError:
            raise ConnectFailed(f"{url[:200]} has an invalid port") from None
        proxy = self._proxies.for_url(scheme, host, port) if self._proxies is not None else None
        key = (scheme, host, port, proxy)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        if proxy is not None and scheme == "http":
            target = f"http://{_authority(host, port, scheme)}{target}"  # absolute form, for the proxy
        head = self._head(method, target, host, port, scheme, headers, content, proxy)
        while True:
            connection, reused = self._take(key)
            if connection is None:
                connection = self._connect(scheme, host, port, proxy)
            try:
                return connection.exchange(method, head, content, self, key, url)
            except _ClosedEarly:
                connection.close()
                if not reused or method not in _REPEATABLE:
                    raise BrokenAnswer(f"the server closed the connection before answering {method} {url[:200]}") from None

    def _head(self, method, target, host, port, scheme, headers, content, proxy) -> bytes:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {_authority(host, port, scheme)}"]
        names = {k.lower() for k in headers}
        for name, value in headers.items():
            if "\n" in name or "\r" in name or "\n" in str(value) or "\r" in str(value):
                raise ConnectFailed(f"a header of the request to {host} holds a line break: {name!r}")
            lines.append(f"{name}: {value}")
        if "accept" not in names:
            lines.append("Accept: */*")
        if "accept-encoding" not in names:
            lines.append("Accept-Encoding: identity")
        if content is not None and "content-length" not in names:
            lines.append(f"Content-Length: {len(content)}")
        elif content is None and method in ("POST", "PUT", "PATCH") and "content-length" not in names:
            lines.append("Content-Length: 0")
        if proxy is not None and scheme == "http" and proxy.authorization:
            lines.append(f"Proxy-Authorization: {proxy.authorization}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")

    def _take(self, key) -> tuple[_Connection | None, bool]:
        with self._lock:
            kept = self._idle.get(key)
            while kept:
                connection = kept.pop()
                if connection.usable():
                    return connection, True
                connection.close()
        return None, False

    def give_back(self, key, connection: _Connection) -> None:
        with self._lock:
            kept = self._idle.setdefault(key, [])
            if len(kept) < _MAX_IDLE:
                kept.append(connection)
                return
        connection.close()

    def _connect(self, scheme: str, host: str, port: int, proxy: _Proxy | None) -> _Connection:
        where = f"{proxy.host}:{proxy.port} (the proxy)" if proxy is not None else f"{host}:{port}"
        name, number = (proxy.host, proxy.port) if proxy else (host, port)
        try:
            # An ASCII name is given as bytes: as text, the resolver would first encode it with the
            # "idna" codec, whose import and use cost more than resolving 127.0.0.1.
            sock = socket.create_connection((name.encode("ascii") if name.isascii() else name, number), self.timeout)
        except TimeoutError:
            raise TimedOut(f"connecting to {where} timed out") from None
        except OSError as error:
            raise ConnectFailed(f"cannot connect to {where}: {error.strerror or error}") from error
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if proxy is not None and proxy.scheme == "https":
                sock = self._wrap(sock, proxy.host, where)
            if proxy is not None and scheme == "https":
                _tunnel(sock, host, port, proxy, self.timeout)
            if scheme == "https":
                sock = self._wrap(sock, host, f"{host}:{port}", inside=proxy is not None and proxy.scheme == "https")
        except BaseException:
            sock.close()
            raise
        return _Connection(sock)

    def _wrap(self, sock, server_name: str, where: str, *, inside: bool = False):
        """``sock`` with TLS to ``server_name`` on it (``inside``: within the TLS of an https://
        proxy's tunnel, which an ``ssl.SSLSocket`` cannot be layered on)."""
        import ssl

        if self._tls is None:
            self._tls = self._tls_factory() if self._tls_factory is not None else ssl.create_default_context()
        try:
            if inside:
                return _TlsInTls(sock, self._tls, server_name)
            return self._tls.wrap_socket(sock, server_hostname=server_name)
        except TimeoutError:
            raise TimedOut(f"the TLS handshake with {where} timed out") from None
        except (ssl.SSLError, ssl.CertificateError) as error:
            raise ConnectFailed(f"the TLS handshake with {where} failed: {error}") from error
        except OSError as error:
            raise ConnectFailed(f"the TLS handshake with {where} failed: {error.strerror or error}") from error


class _Connection:
    """One socket, one request at a time."""

    def __init__(self, sock) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb", buffering=_READ)

    def usable(self) -> bool:
        """Whether a kept connection can take a request: the server has not closed it (nothing
        waits to be read on an idle connection, except the end of the stream)."""
        import select

        try:
            if hasattr(select, "poll"):
                poller = select.poll()
                poller.register(self.sock, select.POLLIN)
                return not poller.poll(0)
            return not select.select([self.sock], [], [], 0)[0]
        except (OSError, ValueError):
            return False

    def exchange(self, method: str, head: bytes, content: bytes | None, pool: Pool, key, url: str) -> Response:
        try:
            self.sock.sendall(head + content if content and len(content) < _READ else head)
            if content and len(content) >= _READ:
                self.sock.sendall(content)
            while True:
                status, reason, version, fields = _read_head(self.reader)
                if not 100 <= status < 200:
                    break
            return Response(status, reason, Headers(fields), url, self, pool, key, method, version)
        except _ClosedEarly:
            raise
        except TimeoutError:
            self.close()
            raise TimedOut(f"no answer to {method} {url[:200]} arrived in time") from None
        except (ConnectionResetError, BrokenPipeError):
            raise _ClosedEarly() from None
        except BrokenAnswer:
            self.close()
            raise
        except OSError as error:
            self.close()
            raise BrokenAnswer(f"the connection failed while sending {method} {url[:200]}: "
                               f"{error.strerror or error}") from error

    def close(self) -> None:
        try:
            self.reader.close()
        finally:
            self.sock.close()


class Response:
    """An answer whose body is read as it arrives (``iter_bytes``); ``close`` gives the connection
    back to its pool when the whole body was read and the server keeps it open."""

    def __init__(self, status: int, reason: str, headers: Headers, url: str, connection: _Connection, pool: Pool,
                 key, method: str, version: str) -> None:
        self.status_code = status
        self.reason = reason
        self.headers = headers
        self.url = url
        self._connection = connection
        self._pool = pool
        self._key = key
        self._body = _body_reader(method, status, headers, connection.reader)
        self._keep = _keeps_alive(version, headers) and self._body is not _read_to_close
        self._done = self._body is None

    def iter_bytes(self, chunk_size: int | None = None):
        """The body in pieces of at most about ``chunk_size`` bytes, decoded as its
        ``Content-Encoding`` says; raises ``TimedOut`` or ``BrokenAnswer`` when it stalls or breaks."""
        if self._done:
            return
        decoder = _decoder(self.headers.get("content-encoding"))
        size = chunk_size or _READ
        try:
            for piece in self._body(self._connection.reader, size):
                piece = decoder.decompress(piece) if decoder else piece
                if piece:
                    yield piece
            if decoder:
                tail = decoder.flush()
                if tail:
                    yield tail
        except TimeoutError:
            self._fail()
            raise TimedOut(f"the answer from {self.url[:200]} stopped arriving") from None
        except OSError as error:
            self._fail()
            raise BrokenAnswer(f"the connection broke while reading {self.url[:200]}: {error.strerror or error}") \
                from error
        except BrokenAnswer:
            self._fail()
            raise
        except Exception as error:  # zlib.error from a damaged compressed body
            self._fail()
            raise BrokenAnswer(f"the body of {self.url[:200]} cannot be decoded: {error}") from None
        self._done = True

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._done and self._keep:
            self._pool.give_back(self._key, connection)
        else:
            connection.close()

    def _fail(self) -> None:
        self._keep = False
        self._done = True
        self.close()


def _read_head(reader) -> tuple[int, str, str, list[tuple[str, str]]]:
    line = reader.readline(_MAX_LINE + 1)
    if not line:
        raise _ClosedEarly()
    if len(line) > _MAX_LINE or not line.endswith(b"\n"):
        raise BrokenAnswer("the server's status line is too long or cut short")
    parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not (parts[1].isdigit() and len(parts[1]) == 3):
        raise BrokenAnswer(f"the server did not answer in HTTP/1.x: {line[:80]!r}")
    fields = []
    while True:
        line = reader.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE or not line.endswith(b"\n"):
            raise BrokenAnswer("a header field of the answer is too long, or the answer was cut short")
        if line in (b"\r\n", b"\n"):
            break
        if len(fields) >= _MAX_FIELDS:
            raise BrokenAnswer(f"the answer has more than {_MAX_FIELDS} header fields")
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name or name != name.strip():
            raise BrokenAnswer(f"a header field of the answer is malformed: {line[:80]!r}")
        fields.append((name, value.strip()))
    return int(parts[1]), parts[2].strip() if len(parts) > 2 else "", parts[0], fields


def _body_reader(method: str, status: int, headers: Headers, reader):
    """How the body is framed: None (no body), or a generator function ``(reader, size)``."""
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return None
    coding = headers.get("transfer-encoding")
    if coding is not None:
        if coding.replace(" ", "").lower().split(",")[-1] != "chunked":
            raise BrokenAnswer(f"the answer's Transfer-Encoding is not supported: {coding[:80]}")
        return _read_chunked
    length = headers.get("content-length")
    if length is None:
        return _read_to_close
    values = {v.strip() for v in length.split(",")}
    declared = values.pop() if len(values) == 1 else ""
    if not (declared.isascii() and declared.isdigit() and len(declared) <= 20):
        raise BrokenAnswer(f"the answer's Content-Length is malformed: {length[:80]}")
    total = int(declared)
    if total == 0:
        return None

    def read_length(reader, size):
        left = total
        while left:
            piece = reader.read1(min(size, left))
            if not piece:
                raise BrokenAnswer(f"the connection closed after {total - left:,} of {total:,} bytes")
            left -= len(piece)
            yield piece
    return read_length


def _read_chunked(reader, size):
    while True:
        line = reader.readline(_MAX_LINE + 1)
        if not line.endswith(b"\n"):
            raise BrokenAnswer("a chunk of the answer is malformed or cut short")
        text = line.split(b";", 1)[0].strip()
        try:
            left = int(text, 16)
        except ValueError:
            raise BrokenAnswer(f"a chunk size of the answer is malformed: {line[:40]!r}") from None
        if left < 0 or len(text) > 16:
            raise BrokenAnswer(f"a chunk size of the answer is malformed: {line[:40]!r}")
        if left == 0:
            break
        while left:
            piece = reader.read1(min(size, left))
            if not piece:
                raise BrokenAnswer("the connection closed in the middle of a chunk")
            left -= len(piece)
            yield piece
        if reader.readline(3) not in (b"\r\n", b"\n"):
            raise BrokenAnswer("a chunk of the answer does not end where its size says")
    for _ in range(_MAX_FIELDS + 1):  # trailer fields, ignored
        line = reader.readline(_MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return
        if not line.endswith(b"\n"):
            raise BrokenAnswer("the answer's trailer is malformed or cut short")
    raise BrokenAnswer(f"the answer has more than {_MAX_FIELDS} trailer fields")


def _read_to_close(reader, size):
    while piece := reader.read1(size):
        yield piece


def _keeps_alive(version: str, headers: Headers) -> bool:
    tokens = {t.strip().lower() for t in (headers.get("connection") or "").split(",")}
    return "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens


def _decoder(coding: str | None):
    coding = (coding or "identity").strip().lower()
    if coding == "identity":
        return None
    import zlib

    if coding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return zlib.decompressobj()
    raise BrokenAnswer(f"the answer is encoded as {coding[:40]!r}, which is not supported (none was asked for)")


def _tunnel(sock, host: str, port: int, proxy: _Proxy, timeout: float) -> None:
    """Ask the http:// proxy on ``sock`` for a tunnel to ``host:port`` (``CONNECT``)."""
    authority = _authority(host, port, "")
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    if proxy.authorization:
        lines.append(f"Proxy-Authorization: {proxy.authorization}")
    reader = sock.makefile("rb", buffering=0)
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace"))
        status, reason, _version, _fields = _read_head(_LineReader(reader))
    except TimeoutError:
        raise TimedOut(f"the proxy {proxy.host}:{proxy.port} did not answer CONNECT in time") from None
    except (OSError, BrokenAnswer, _ClosedEarly) as error:
        raise ProxyFailed(f"the proxy {proxy.host}:{proxy.port} failed to open a tunnel to {authority}: "
                          f"{getattr(error, 'strerror', None) or error or 'it closed the connection'}") from None
    finally:
        reader.close()
    if status != 200:
        raise ProxyFailed(f"the proxy {proxy.host}:{proxy.port} refused a tunnel to {authority}: HTTP {status} {reason}")


class _TlsInTls:
    """A TLS connection carried inside another (the tunnel of an https:// proxy): an
    ``ssl.SSLObject`` over memory buffers, fed from and flushed to the outer socket, with the few
    socket methods ``_Connection`` uses."""

    def __init__(self, outer, context, server_name: str) -> None:
        import ssl

        self._ssl = ssl
        self.outer = outer
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=server_name)
        self._run(self._tls.do_handshake)

    def _run(self, operation, *args):
        while True:
            try:
                result = operation(*args)
            except self._ssl.SSLWantReadError:
                self._flush()
                data = self.outer.recv(_READ)
                if data:
                    self._incoming.write(data)
                else:
                    self._incoming.write_eof()
                continue
            self._flush()
            return result

    def _flush(self) -> None:
        data = self._outgoing.read()
        if data:
            self.outer.sendall(data)

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self._run(self._tls.write, view):]

    def recv_into(self, buffer) -> int:
        try:
            return self._run(self._tls.read, len(buffer), buffer)
        except self._ssl.SSLZeroReturnError:
            return 0

    def makefile(self, mode: str, buffering: int = _READ):
        import io

        class Raw(io.RawIOBase):
            def readable(raw) -> bool:
                return True

            def readinto(raw, buffer) -> int:
                return self.recv_into(buffer)

        return io.BufferedReader(Raw(), max(buffering, 1)) if buffering else Raw()

    def fileno(self) -> int:
        return self.outer.fileno()

    def close(self) -> None:
        self.outer.close()


class _LineReader:
    """Lines read one byte at a time: nothing past the proxy's answer is taken from the socket,
    since what follows is the TLS handshake."""

    def __init__(self, raw) -> None:
        self.raw = raw

    def readline(self, limit: int) -> bytes:
        line = bytearray()
        while len(line) < limit and not line.endswith(b"\n"):
            byte = self.raw.read(1)
            if not byte:
                break
            line += byte
        return bytes(line)


def _authority(host: str, port: int, scheme: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if _DEFAULT_PORTS.get(scheme) == port else f"{shown}:{port}"


class _Proxy(tuple):
    """(scheme, host, port, authorization): hashable, since it is part of a pool's key."""

    scheme = property(lambda self: self[0])
    host = property(lambda self: self[1])
    port = property(lambda self: self[2])
    authorization = property(lambda self: self[3])


class _Proxies:
    """The proxies the environment names, and the hosts ``no_proxy`` keeps away from them."""

    def __init__(self, environ) -> None:
        def named(kind: str) -> str:
            lower = f"{kind}_proxy"
            return (environ[lower] if lower in environ else environ.get(lower.upper(), "")).strip()

        self._named = {scheme: named(scheme) or named("all") for scheme in _DEFAULT_PORTS}
        self._by_scheme: dict[str, _Proxy | None] = {}
        self._bypass = [entry.strip().lower() for entry in named("no").split(",") if entry.strip()]

    def for_url(self, scheme: str, host: str, port: int) -> _Proxy | None:
        """The proxy for a request to ``scheme://host:port`` (None: straight to the server).
        Raises ``ConnectFailed`` when the variable that names it holds no usable proxy URL."""
        if not self._named.get(scheme) or self._bypassed(host.lower(), port):
            return None
        if scheme not in self._by_scheme:
            self._by_scheme[scheme] = _parse_proxy(self._named[scheme])
        return self._by_scheme[scheme]

    def _bypassed(self, host: str, port: int) -> bool:
        for entry in self._bypass:
            if entry == "*":
                return True
            name, wanted = entry, None
            if entry.startswith("[") and "]" in entry:  # [::1] or [::1]:8080
                name, _, rest = entry[1:].partition("]")
                wanted = rest[1:] if rest.startswith(":") else None
            elif entry.count(":") == 1:
                name, wanted = entry.split(":")
            if wanted is not None and wanted != str(port):
                continue
            if _matches_address(name, host):
                return True
            name = name.lstrip(".").lstrip("*").lstrip(".")
            if name and (host == name or host.endswith("." + name)):
                return True
        return False


def _matches_address(entry: str, host: str) -> bool:
    """Whether ``host`` is the IP address, or in the network, that ``entry`` names."""
    if not entry or not (entry[0].isdigit() or ":" in entry):
        return False
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")) in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


def _parse_proxy(text: str) -> _Proxy | None:
    if not text:
        return None
    parts = urlsplit(text if "://" in text else "http://" + text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise UnusableProxy(f"the proxy {text[:200]} is not an http:// or https:// URL (socks proxies are not "
                            "supported); set HTTPS_PROXY / HTTP_PROXY to an http:// proxy, or unset it")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise UnusableProxy(f"the proxy {text[:200]} has an invalid port; fix HTTPS_PROXY / HTTP_PROXY") from None
    authorization = None
    if parts.username is not None:
        import base64

        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
    return _Proxy((scheme, parts.hostname, port, authorization))
