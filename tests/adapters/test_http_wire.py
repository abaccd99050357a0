"""adapters.http_wire against a raw HTTP/1.1 server on 127.0.0.1 that answers with the bytes each
test scripts: framing, keep-alive, stale connections, redirects, proxies and tunnels, TLS, limits."""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
import time

import pytest

from agentpack.adapters import http_wire
from agentpack.adapters.http_wire import (
    BrokenAnswer,
    ConnectFailed,
    Pool,
    ProxyFailed,
    TimedOut,
    TooManyRedirects,
)
from registry_server import make_certificates


class Seen:
    """One request as the server read it."""

    def __init__(self, connection: int, head: str, body: bytes) -> None:
        self.connection = connection
        self.line = head.split("\r\n", 1)[0]
        self.method, self.target = self.line.split(" ")[:2]
        self.headers = {k.strip().lower(): v.strip() for k, _, v in
                        (line.partition(":") for line in head.split("\r\n")[1:] if line)}
        self.body = body


class Listening:
    """A socket on 127.0.0.1 whose connections are each handled by ``handle`` in a thread of their own."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(sock,), daemon=True).start()

    def handle(self, sock: socket.socket) -> None:
        raise NotImplementedError


class RawServer(Listening):
    """Answers each request with ``script(seen) -> (raw answer bytes, close the connection after)``;
    a ``None`` answer closes the connection without a word. ``tls`` serves over TLS."""

    def __init__(self, script, tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.seen: list[Seen] = []
        self.connections = 0
        self.tls = tls
        self.open: list[socket.socket] = []
        super().__init__()
        self.url = f"http{'s' if tls else ''}://127.0.0.1:{self.port}"

    def handle(self, sock: socket.socket) -> None:
        self.connections += 1
        self.open.append(sock)
        self._serve(sock, self.connections)

    def _serve(self, sock: socket.socket, number: int) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            reader = sock.makefile("rb")
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                text = head.decode("latin-1")
                seen = Seen(number, text, b"")
                seen.body = reader.read(int(seen.headers.get("content-length", "0")))
                self.seen.append(seen)
                answer, close = self.script(seen)
                if answer is None:
                    return
                sock.sendall(answer)
                if close:
                    return
        except (OSError, ValueError):
            return
        finally:
            sock.close()

    def close(self) -> None:
        self.listener.close()
        for sock in self.open:
            sock.close()


@pytest.fixture
def serve():
    started = []

    def start(script, tls=None) -> RawServer:
        started.append(RawServer(script, tls))
        return started[-1]
    yield start
    for server in started:
        server.close()


def ok(body: bytes = b"hello", *extra: str) -> bytes:
    fields = "".join(f"{line}\r\n" for line in extra)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{fields}\r\n".encode() + body


def pool(**kwargs) -> Pool:
    return Pool(timeout=kwargs.pop("timeout", 5), environ=kwargs.pop("environ", {}), **kwargs)


def fetch(client: Pool, url: str, method: str = "GET", **kwargs) -> tuple[int, bytes]:
    response = client.request(method, url, **kwargs)
    try:
        return response.status_code, b"".join(response.iter_bytes())
    finally:
        response.close()


# -- framing and keep-alive ----------------------------------------------------------------------


def test_a_kept_connection_serves_the_next_request(serve):
    server = serve(lambda seen: (ok(seen.target.encode()), False))
    client = pool(headers={"User-Agent": "agentops/test"})
    assert fetch(client, server.url + "/a?x=1") == (200, b"/a?x=1")
    assert fetch(client, server.url + "/b") == (200, b"/b")
    assert server.connections == 1
    first = server.seen[0]
    assert first.headers["host"] == f"127.0.0.1:{server.port}" and first.headers["user-agent"] == "agentops/test"
    assert first.headers["accept-encoding"] == "identity"


@pytest.mark.parametrize("answer, close, connections", [
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n", False, 1),
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello world", True, 2),
    (b"HTTP/1.0 200 OK\r\nContent-Length: 11\r\n\r\nhello world", True, 2),
    (b"HTTP/1.1 200 OK\r\n\r\nhello world", True, 2),  # framed by the end of the connection
], ids=["chunked, trailers", "connection close", "http/1.0", "read to the close"])
def test_bodies_are_framed_and_connections_kept_only_when_they_can_be(serve, answer, close, connections):
    server = serve(lambda seen: (answer, close))
    client = pool()
    assert fetch(client, server.url + "/") == (200, b"hello world")
    assert fetch(client, server.url + "/") == (200, b"hello world")
    assert server.connections == connections


def test_a_head_answer_has_no_body_whatever_its_length_says(serve):
    server = serve(lambda seen: (b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", False))
    client = pool()
    response = client.request("HEAD", server.url + "/")
    assert response.headers["content-length"] == "1000" and list(response.iter_bytes()) == []
    response.close()
    assert fetch(client, server.url + "/", "HEAD")[0] == 200
    assert server.connections == 1


def test_interim_answers_are_skipped(serve):
    server = serve(lambda seen: (b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"done"), False))
    assert fetch(pool(), server.url + "/") == (200, b"done")


def test_a_gzip_body_is_decoded(serve):
    packed = gzip.compress(b"x" * 10_000)
    server = serve(lambda seen: (ok(packed, "Content-Encoding: gzip"), False))
    assert fetch(pool(), server.url + "/") == (200, b"x" * 10_000)


def test_headers_are_read_whatever_their_case_and_repeats_joined(serve):
    server = serve(lambda seen: (ok(b"", "ETag: \"abc\"", "Link: <a>", "link: <b>"), False))
    response = pool().request("GET", server.url + "/")
    assert response.headers.get("etag") == '"abc"' and response.headers.get("LINK") == "<a>, <b>"
    assert ("ETag", '"abc"') in response.headers.items() and "missing" not in response.headers
    response.close()


def test_a_body_sent_is_framed_by_its_length(serve):
    server = serve(lambda seen: (ok(seen.body), False))
    client = pool()
    big = bytes(range(256)) * 1024  # larger than one write
    assert fetch(client, server.url + "/up", "PUT", content=big) == (200, big)
    assert fetch(client, server.url + "/empty", "POST") == (200, b"")
    assert server.seen[1].headers["content-length"] == "0"


# -- what is refused ------------------------------------------------------------------------------


@pytest.mark.parametrize("answer, says", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "closed after 5 of 10 bytes"),
    (b"SSH-2.0-OpenSSH\r\n\r\n", "did not answer in HTTP/1.x"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "Content-Length is malformed"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "Content-Length is malformed"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size of the answer is malformed"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "closed in the middle of a chunk"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding is not supported"),
    (b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx", "not supported"),
    (b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 300 + b"\r\n", "more than 200 header fields"),
    (b"HTTP/1.1 200 OK\r\nX: " + b"y" * 70_000 + b"\r\n\r\n", "too long"),
    (b"HTTP/1.1 200 OK\r\nbroken line\r\n\r\n", "malformed"),
])
def test_a_malformed_or_cut_answer_is_refused(serve, answer, says):
    server = serve(lambda seen: (answer, True))
    with pytest.raises(BrokenAnswer, match=says):
        fetch(pool(), server.url + "/")


def test_a_silent_server_times_out(serve):
    server = serve(lambda seen: (time.sleep(3), (None, True))[1])
    start = time.monotonic()
    with pytest.raises(TimedOut, match="no answer to GET"):
        pool(timeout=0.5).request("GET", server.url + "/")
    assert time.monotonic() - start < 2.5


def test_a_body_that_stops_arriving_times_out(serve):
    server = serve(lambda seen: (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome", False))
    response = pool(timeout=0.5).request("GET", server.url + "/")
    with pytest.raises(TimedOut, match="stopped arriving"):
        b"".join(response.iter_bytes())


def test_a_closed_port_is_a_connect_failure():
    port = socket.create_server(("127.0.0.1", 0))
    address = port.getsockname()[1]
    port.close()
    with pytest.raises(ConnectFailed, match="Connection refused"):
        pool().request("GET", f"http://127.0.0.1:{address}/")


def test_a_header_with_a_line_break_is_never_sent(serve):
    server = serve(lambda seen: (ok(), False))
    with pytest.raises(ConnectFailed, match="line break"):
        pool().request("GET", server.url + "/", {"X-Evil": "a\r\nInjected: yes"})
    assert server.seen == []


# -- stale connections ----------------------------------------------------------------------------


def test_a_kept_connection_the_server_closed_is_not_used(serve):
    server = serve(lambda seen: (ok(), True))  # answers, then closes without saying so
    client = pool()
    assert fetch(client, server.url + "/") == (200, b"hello")
    time.sleep(0.2)
    assert fetch(client, server.url + "/", "POST", content=b"not safe to send twice") == (200, b"hello")
    assert server.connections == 2


def test_a_request_that_finds_its_kept_connection_closed_is_sent_again_when_safe(serve):
    answered = []

    def script(seen):
        if seen.target == "/drop" and seen.connection == 1:
            return None, True  # reads the request, then closes without answering
        answered.append(seen.target)
        return ok(), False

    server = serve(script)
    client = pool()
    assert fetch(client, server.url + "/first") == (200, b"hello")
    assert fetch(client, server.url + "/drop") == (200, b"hello")
    assert answered == ["/first", "/drop"] and server.connections == 2
    assert fetch(client, server.url + "/drop", "POST", content=b"x") == (200, b"hello")  # a new connection: fine

    dropping = serve(lambda seen: (None, True) if seen.method == "POST" else (ok(), False))
    fetch(client, dropping.url + "/first")
    with pytest.raises(BrokenAnswer, match="closed the connection before answering POST"):
        client.request("POST", dropping.url + "/post", content=b"once")
    assert [s.method for s in dropping.seen] == ["GET", "POST"]  # never sent twice


# -- redirects ------------------------------------------------------------------------------------


def test_redirects_are_followed_and_credentials_stay_with_their_origin(serve):
    other = serve(lambda seen: (ok(b"elsewhere"), False))

    def script(seen):
        if seen.target == "/moved":
            return b"HTTP/1.1 307 Temporary\r\nLocation: /here\r\nContent-Length: 0\r\n\r\n", False
        if seen.target == "/away":
            return f"HTTP/1.1 302 Found\r\nLocation: {other.url}/blob\r\nContent-Length: 0\r\n\r\n".encode(), False
        return ok(b"here"), False

    server = serve(script)
    client = pool()
    guarded = []
    secret = {"Authorization": "Bearer s3cret", "Cookie": "c=1"}
    response = client.request("GET", server.url + "/moved", dict(secret), guard=guarded.append)
    assert (response.status_code, response.read(), response.url) == (200, b"here", server.url + "/here")
    assert server.seen[-1].headers["authorization"] == "Bearer s3cret"
    assert fetch(client, server.url + "/away", headers=dict(secret), guard=guarded.append) == (200, b"elsewhere")
    assert "authorization" not in other.seen[0].headers and "cookie" not in other.seen[0].headers
    assert guarded == [server.url + "/moved", server.url + "/here", server.url + "/away", other.url + "/blob"]


def test_a_guard_can_refuse_a_redirect(serve):
    server = serve(lambda seen: (b"HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:9/x\r\n\r\n", False))

    def guard(url):
        if url.endswith("/x"):
            raise PermissionError(url)
    with pytest.raises(PermissionError):
        pool().request("GET", server.url + "/", guard=guard)


def test_a_see_other_turns_a_post_into_a_get_without_body(serve):
    def script(seen):
        if seen.method == "POST":
            return b"HTTP/1.1 303 See Other\r\nLocation: /result\r\nContent-Length: 0\r\n\r\n", False
        return ok(seen.method.encode() + seen.body), False

    server = serve(script)
    assert fetch(pool(), server.url + "/form", "POST", content=b"data",
                 headers={"Content-Type": "text/plain"}) == (200, b"GET")
    assert "content-length" not in server.seen[-1].headers and "content-type" not in server.seen[-1].headers


def test_a_redirect_loop_ends(serve):
    server = serve(lambda seen: (b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n", False))
    with pytest.raises(TooManyRedirects, match="more than 20 redirects"):
        pool().request("GET", server.url + "/")
    assert len(server.seen) == 21


# -- proxies --------------------------------------------------------------------------------------


def test_an_http_request_goes_to_the_proxy_in_absolute_form_with_its_credentials(serve):
    proxy = serve(lambda seen: (ok(seen.target.encode()), False))
    environ = {"HTTP_PROXY": f"http://user:p%40ss@127.0.0.1:{proxy.port}", "NO_PROXY": "other.example"}
    assert fetch(pool(environ=environ), "http://registry.invalid:8080/v2/?n=1") == \
        (200, b"http://registry.invalid:8080/v2/?n=1")
    assert proxy.seen[0].headers["proxy-authorization"] == "Basic dXNlcjpwQHNz"  # user:p@ss
    assert proxy.seen[0].headers["host"] == "registry.invalid:8080"


def test_lower_case_variables_win_and_all_proxy_is_the_fallback(serve):
    proxy = serve(lambda seen: (ok(b"proxied"), False))
    environ = {"HTTP_PROXY": "http://127.0.0.1:9", "http_proxy": f"127.0.0.1:{proxy.port}"}
    assert fetch(pool(environ=environ), "http://registry.invalid/") == (200, b"proxied")
    assert fetch(pool(environ={"ALL_PROXY": f"http://127.0.0.1:{proxy.port}"}), "http://registry.invalid/") == \
        (200, b"proxied")
    with pytest.raises(http_wire.UnusableProxy, match="socks proxies are not supported"):
        pool(environ={"ALL_PROXY": "socks5://127.0.0.1:1080"}).request("GET", "http://registry.invalid/")


@pytest.mark.parametrize("no_proxy, host, port, bypassed", [
    ("*", "anything.example", 80, True),
    ("example.com", "example.com", 80, True),
    ("example.com", "sub.example.com", 80, True),
    ("example.com", "badexample.com", 80, False),
    (".example.com", "sub.example.com", 80, True),
    ("*.example.com", "a.b.example.com", 80, True),
    ("localhost, 127.0.0.1", "127.0.0.1", 5000, True),
    ("10.0.0.0/8", "10.1.2.3", 443, True),
    ("10.0.0.0/8", "11.1.2.3", 443, False),
    ("example.com:8443", "example.com", 8443, True),
    ("example.com:8443", "example.com", 443, False),
    ("[::1]", "::1", 80, True),
    ("::1", "::1", 80, True),
    ("", "example.com", 80, False),
])
def test_no_proxy_keeps_the_hosts_it_names_away_from_the_proxy(no_proxy, host, port, bypassed):
    proxies = http_wire._Proxies({"https_proxy": "http://proxy.example:3128", "no_proxy": no_proxy})
    assert (proxies.for_url("https", host, port) is None) == bypassed


def tls_pair(tmp_path):
    ca, cert, key = make_certificates(tmp_path / "tls")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(ca))
    return server, client


class TunnelProxy(Listening):
    """An http:// proxy that only opens CONNECT tunnels (and records what it was asked)."""

    def __init__(self, refuse: bool = False, tls: ssl.SSLContext | None = None) -> None:
        self.asked: list[str] = []
        self.refuse = refuse
        self.tls = tls  # an https:// proxy
        super().__init__()

    def handle(self, sock: socket.socket) -> None:
        if self.tls is not None:
            try:
                sock = self.tls.wrap_socket(sock, server_side=True)
            except OSError:
                return
        self._tunnel(sock)

    def _tunnel(self, sock: socket.socket) -> None:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            byte = sock.recv(1)
            if not byte:
                return
            head += byte
        line = head.decode().split("\r\n")[0]
        self.asked.append(head.decode())
        if self.refuse:
            sock.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            sock.close()
            return
        host, port = line.split(" ")[1].rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pump(source, sink):
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                sink.close()
                source.close()
        threading.Thread(target=pump, args=(upstream, sock), daemon=True).start()
        pump(sock, upstream)

    def close(self) -> None:
        self.listener.close()


def test_an_https_request_goes_through_a_connect_tunnel(serve, tmp_path):
    server_tls, client_tls = tls_pair(tmp_path)
    server = serve(lambda seen: (ok(b"secret"), False), tls=server_tls)
    proxy = TunnelProxy()
    try:
        client = pool(tls=lambda: client_tls, environ={"HTTPS_PROXY": f"http://u:p@127.0.0.1:{proxy.port}"})
        assert fetch(client, server.url + "/v2/") == (200, b"secret")
        assert fetch(client, server.url + "/v2/") == (200, b"secret")
        assert len(proxy.asked) == 1 and proxy.asked[0].startswith(f"CONNECT 127.0.0.1:{server.port} HTTP/1.1")
        assert "Proxy-Authorization: Basic dTpw" in proxy.asked[0]
        assert server.seen[0].target == "/v2/"  # origin form inside the tunnel
    finally:
        proxy.close()
    refusing = TunnelProxy(refuse=True)
    try:
        with pytest.raises(ProxyFailed, match="refused a tunnel .*HTTP 403"):
            pool(tls=lambda: client_tls, environ={"HTTPS_PROXY": f"http://127.0.0.1:{refusing.port}"}).request(
                "GET", server.url + "/")
    finally:
        refusing.close()


def test_tls_is_verified_against_the_context_given(serve, tmp_path):
    server_tls, client_tls = tls_pair(tmp_path)
    server = serve(lambda seen: (ok(b"over tls"), False), tls=server_tls)
    assert fetch(pool(tls=lambda: client_tls), server.url + "/") == (200, b"over tls")
    with pytest.raises(ConnectFailed, match="CERTIFICATE_VERIFY_FAILED"):
        pool(tls=lambda: ssl.create_default_context()).request("GET", server.url + "/")


def test_an_https_request_goes_through_an_https_proxy_tls_within_tls(serve, tmp_path):
    server_tls, client_tls = tls_pair(tmp_path)
    server = serve(lambda seen: (ok(seen.target.encode() * 5000), False), tls=server_tls)
    proxy = TunnelProxy(tls=server_tls)  # the test CA signed 127.0.0.1, which both are
    try:
        client = pool(tls=lambda: client_tls, environ={"https_proxy": f"https://127.0.0.1:{proxy.port}"})
        assert fetch(client, server.url + "/inner") == (200, b"/inner" * 5000)
        assert fetch(client, server.url + "/again", "PUT", content=b"x" * 200_000) == (200, b"/again" * 5000)
        assert len(proxy.asked) == 1 and server.connections == 1
        assert server.seen[1].body == b"x" * 200_000
    finally:
        proxy.close()
