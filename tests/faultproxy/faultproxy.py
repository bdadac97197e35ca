"""A fault-injecting HTTP proxy for parapet's integration tests (test-only code).

parapet is pointed at the proxy (--endpoint-url / AWS_ENDPOINT_URL); the proxy forwards every
request, byte for byte, to the upstream moto server, so SigV4 signatures still verify in moto's
auth mode, and decides per request whether to answer on moto's behalf:

- latency before forwarding (uniform in [lo, hi] seconds);
- each service's throttling error, in its protocol's dialect (EC2 503 RequestLimitExceeded,
  query 400 Throttling, JSON 400 ThrottlingException, REST-JSON 429, S3 503 SlowDown);
- 500 and 503 errors;
- connections dropped mid-response (the status line, headers and half the body, then a close);
- slow bodies (the response trickles out in small pieces);
- AccessDenied for chosen services or operations, in the right dialect;
- ExpiredToken for every request (an expired session token) and RequestExpired for requests whose
  X-Amz-Date is more than 15 minutes away from the proxy's clock (a client clock that is off);
- rewriting chosen operations' answers (huge, nested, truncated, wrongly typed, invalid UTF-8).

Decisions are reproducible: each one is drawn from a random generator seeded with the proxy's
seed, the request's content (method, target, body: not the signature or the date, which change
per attempt) and how many times the proxy has seen that content before. So the same scan against
the same data meets the same faults whatever order its threads send requests in, and a retry of a
request is a new draw. Nothing here listens anywhere but 127.0.0.1.

Use from a test:

    with FaultProxy(moto.url, seed=7, throttle=0.25, drop=0.03) as proxy:
        run(["scan", "--endpoint-url", proxy.url, ...])
        proxy.log   # one dict per request: service, operation, attempt, fault

or standalone: python3 faultproxy.py --upstream http://127.0.0.1:5000 --throttle 0.25
"""
import argparse
import calendar
import hashlib
import json
import random
import re
import socket
import threading
import time
import urllib.parse
import uuid

# SigV4 signing names to the protocol whose error dialect the service speaks.
PROTOCOLS = {
    "ec2": "ec2",
    "iam": "query", "sts": "query", "sns": "query", "monitoring": "query",
    "kms": "json", "cloudtrail": "json", "config": "json", "logs": "json",
    "guardduty": "restjson",
    "s3": "restxml",
}
# parapet's service names where they differ from the signing names.
ALIASES = {"cloudwatch": "monitoring"}

# S3 sub-resources (the query key of a bucket request) to operation names.
S3_SUBRESOURCES = {
    "location": "GetBucketLocation", "policy": "GetBucketPolicy", "logging": "GetBucketLogging",
    "encryption": "GetBucketEncryption", "publicAccessBlock": "GetPublicAccessBlock",
    "acl": "GetBucketAcl", "versioning": "GetBucketVersioning",
}

MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024
SKEW_LIMIT_S = 15 * 60


class Request:
    """One parsed request: the exact bytes received plus what the proxy needs to know."""

    def __init__(self, head, body, method, target, headers):
        self.head = head
        self.body = body
        self.method = method
        self.target = target
        self.headers = headers  # lower-case name -> value (last wins)
        self.service, self.region = self._scope()
        self.protocol = PROTOCOLS.get(self.service, "query")
        self.operation = self._operation()

    def _scope(self):
        auth = self.headers.get("authorization", "")
        m = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request", auth)
        if m:
            return m.group(2), m.group(1)
        return "unknown", "unknown"

    def _operation(self):
        path, _, query = self.target.partition("?")
        if self.protocol in ("query", "ec2"):
            params = urllib.parse.parse_qs(query)
            if self.method == "POST":
                params.update(urllib.parse.parse_qs(self.body.decode("latin-1")))
            return params.get("Action", ["Unknown"])[0]
        if self.protocol == "json":
            return self.headers.get("x-amz-target", ".Unknown").rsplit(".", 1)[-1]
        if self.service == "guardduty":
            parts = [p for p in path.split("/") if p]
            if parts[:1] == ["detector"]:
                if len(parts) == 1:
                    return "ListDetectors" if self.method == "GET" else "CreateDetector"
                if len(parts) == 2:
                    return "GetDetector" if self.method == "GET" else "UpdateDetector"
            return f"{self.method} {path}"
        if self.service == "s3":
            if path.strip("/") == "":
                return "ListBuckets"
            keys = [k.split("=")[0] for k in query.split("&") if k]
            for k in keys:
                if k in S3_SUBRESOURCES:
                    return S3_SUBRESOURCES[k]
            return f"{self.method} {path}"
        return f"{self.method} {path}"

    def content_key(self):
        """What identifies "the same request" across attempts: not its date or signature."""
        h = hashlib.sha256()
        h.update(self.method.encode() + b" " + self.target.encode() + b"\n")
        h.update(self.headers.get("x-amz-target", "").encode() + b"\n")
        h.update(self.service.encode() + b" " + self.region.encode() + b"\n")
        h.update(self.body)
        return h.hexdigest()

    def matches(self, spec):
        """spec: "service" or "service:Operation" (parapet's or the signing name)."""
        svc, _, op = spec.partition(":")
        svc = ALIASES.get(svc, svc)
        return svc == self.service and (not op or op == self.operation)


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value), without framing headers
        self.body = body  # bytes, or an iterable of bytes for streamed bodies
        self.length = None  # Content-Length to announce for a streamed body, or None: chunked


# ---- error bodies in each protocol's dialect -------------------------------------------------

def error_response(req, status, code, message):
    rid = str(uuid.uuid4())
    p = req.protocol
    if p == "ec2":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}"
                f"</Code><Message>{message}</Message></Error></Errors><RequestID>{rid}"
                f"</RequestID></Response>")
        return Response(status, "Error", [("Content-Type", "text/xml;charset=UTF-8")], body.encode())
    if p == "query":
        kind = "Receiver" if status >= 500 else "Sender"
        body = (f"<ErrorResponse xmlns=\"https://{req.service}.amazonaws.com/doc/\"><Error>"
                f"<Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error>"
                f"<RequestId>{rid}</RequestId></ErrorResponse>")
        return Response(status, "Error", [("Content-Type", "text/xml"),
                                          ("x-amzn-RequestId", rid)], body.encode())
    if p == "json":
        body = json.dumps({"__type": code, "message": message})
        return Response(status, "Error", [("Content-Type", "application/x-amz-json-1.1"),
                                          ("x-amzn-RequestId", rid)], body.encode())
    if p == "restjson":
        body = json.dumps({"message": message, "__type": code})
        return Response(status, "Error", [("Content-Type", "application/json"),
                                          ("x-amzn-ErrorType", f"{code}:http://internal.amazon.com/"),
                                          ("x-amzn-RequestId", rid)], body.encode())
    body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>"
            f"{message}</Message><RequestId>{rid}</RequestId></Error>")
    return Response(status, "Error", [("Content-Type", "application/xml"),
                                      ("x-amz-request-id", rid)], body.encode())


def throttle_response(req):
    p = req.protocol
    if p == "ec2":
        return error_response(req, 503, "RequestLimitExceeded", "Request limit exceeded.")
    if p == "query":
        return error_response(req, 400, "Throttling", "Rate exceeded")
    if p == "json":
        return error_response(req, 400, "ThrottlingException", "Rate exceeded")
    if p == "restjson":
        return error_response(req, 429, "TooManyRequestsException", "Rate exceeded")
    return error_response(req, 503, "SlowDown", "Please reduce your request rate.")


def server_error_response(req, status):
    code = "ServiceUnavailable" if status == 503 else "InternalFailure"
    if req.protocol == "query" and req.service == "iam":
        code = "ServiceFailure" if status == 500 else code
    if req.protocol == "restjson":
        code = "InternalServerErrorException"
    if req.protocol == "restxml":
        code = "InternalError" if status == 500 else "ServiceUnavailable"
    return error_response(req, status, code, "We encountered an internal error. Please try again.")


def denied_response(req):
    action = f"{req.service}:{req.operation}"
    msg = f"User: arn:aws:iam::123456789012:user/parapet is not authorized to perform: {action}"
    p = req.protocol
    if p == "ec2":
        return error_response(req, 403, "UnauthorizedOperation",
                              "You are not authorized to perform this operation.")
    if p == "query":
        code = "AuthorizationError" if req.service == "sns" else "AccessDenied"
        return error_response(req, 403, code, msg)
    if p == "json":
        return error_response(req, 400, "AccessDeniedException", msg)
    if p == "restjson":
        return error_response(req, 403, "AccessDeniedException", msg)
    return error_response(req, 403, "AccessDenied", "Access Denied")


def expired_token_response(req):
    msg = "The security token included in the request is expired"
    if req.protocol == "json":
        return error_response(req, 400, "ExpiredTokenException", msg)
    if req.protocol == "restjson":
        return error_response(req, 403, "ExpiredTokenException", msg)
    if req.protocol == "ec2":
        return error_response(req, 400, "RequestExpired", "Request has expired.")
    if req.protocol == "restxml":
        return error_response(req, 400, "ExpiredToken", msg)
    return error_response(req, 403, "ExpiredToken", msg)


def request_expired_response(req, amz_date, now):
    # The wording of each dialect, as AWS writes it for a signature dated too far from its clock.
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    earliest = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now - SKEW_LIMIT_S))
    if req.protocol == "ec2":
        return error_response(req, 400, "RequestExpired",
                              f"Request has expired. Timestamp date is {amz_date}")
    if req.protocol == "restxml":
        return error_response(req, 403, "RequestTimeTooSkewed",
                              "The difference between the request time and the current time is "
                              "too large.")
    if req.protocol in ("json", "restjson"):
        return error_response(req, 400 if req.protocol == "json" else 403,
                              "InvalidSignatureException",
                              f"Signature expired: {amz_date} is now earlier than {earliest} "
                              f"({stamp} - 15 min.)")
    return error_response(req, 403, "SignatureDoesNotMatch",
                          f"Signature expired: {amz_date} is now earlier than {earliest} "
                          f"({stamp} - 15 min.)")


# ---- wire helpers ---------------------------------------------------------------------------

def _read_head(f):
    """Reads a request or response head; returns its bytes, or b"" at a clean end of stream."""
    head = b""
    while True:
        line = f.readline(MAX_HEAD)
        if not line:
            if head:
                raise ConnectionError("connection closed inside a head")
            return b""
        head += line
        if len(head) > MAX_HEAD:
            raise ConnectionError("head too large")
        if line in (b"\r\n", b"\n"):
            if head.strip() == b"":  # stray blank lines between requests
                head = b""
                continue
            return head


def _parse_headers(head):
    lines = head.decode("latin-1").split("\r\n")
    first = lines[0]
    headers = {}
    ordered = []
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
        ordered.append((name.strip(), value.strip()))
    return first, headers, ordered


def _read_body(f, headers, until_close=False):
    te = headers.get("transfer-encoding", "").lower()
    if "chunked" in te:
        out = b""
        while True:
            size_line = f.readline(1024)
            if not size_line:
                raise ConnectionError("connection closed inside a chunked body")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while f.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return out
            out += f.read(size)
            f.readline(1024)
            if len(out) > MAX_BODY:
                raise ConnectionError("body too large")
    if "content-length" in headers:
        n = int(headers["content-length"])
        if n > MAX_BODY:
            raise ConnectionError("body too large")
        body = f.read(n)
        if len(body) != n:
            raise ConnectionError("connection closed inside a body")
        return body
    return f.read(MAX_BODY) if until_close else b""


class FaultProxy:
    """See the module comment. Rates are probabilities per request, checked in this order:
    deny, expired token, clock skew, throttle, 5xx; then, on moto's answer: rewrite, drop, slow.
    `only`: the services (or service:Operation) random faults apply to; None means every one.
    `rewrite`: {"service:Operation": fn(Response, Request) -> Response}. `drop_first` and
    `throttle_first`: specs whose first attempt is always dropped or throttled, so a test can count
    on meeting each fault in each dialect."""

    def __init__(self, upstream, seed=1, latency=(0.0, 0.0), throttle=0.0, error5xx=0.0,
                 drop=0.0, slow=0.0, slow_delay=0.01, deny=(), expired_token=False,
                 clock_offset_s=0, only=None, rewrite=None, drop_first=(), throttle_first=()):
        u = urllib.parse.urlsplit(upstream)
        if u.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fault proxy only forwards to loopback")
        self.upstream = (u.hostname, u.port or 80)
        self.seed = seed
        self.latency = latency
        self.throttle = throttle
        self.error5xx = error5xx
        self.drop = drop
        self.slow = slow
        self.slow_delay = slow_delay
        self.deny = list(deny)
        self.expired_token = expired_token
        self.clock_offset_s = clock_offset_s
        self.only = only
        self.rewrite = dict(rewrite or {})
        self.drop_first = list(drop_first)  # specs whose first attempt is always cut off
        self.throttle_first = list(throttle_first)  # specs whose first attempt is throttled
        self.lock = threading.Lock()
        self.seen = {}  # content key -> attempts so far
        self.log = []  # one dict per request
        self.sock = None
        self.thread = None
        self.stopping = False
        self.conns = set()
        self.port = None
        self.url = None

    # ---- lifecycle ----
    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stopping = True
        if self.sock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self.thread:
            self.thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- what happened ----
    def faults(self, kind=None):
        with self.lock:
            return [e for e in self.log if e["fault"] and (kind is None or e["fault"] == kind)]

    def attempts_by_request(self):
        """{content key: attempts}, for asserting that retries are bounded."""
        with self.lock:
            return dict(self.seen)

    # ---- serving ----
    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.add(conn)
            threading.Thread(target=self._serve_conn, args=(conn,), daemon=True).start()

    def _serve_conn(self, conn):
        f = conn.makefile("rb")
        try:
            while not self.stopping:
                head = _read_head(f)
                if not head:
                    break
                first, headers, _ = _parse_headers(head)
                parts = first.split(" ")
                if len(parts) != 3:
                    break
                body = _read_body(f, headers)
                req = Request(head, body, parts[0], parts[1], headers)
                keep = self._handle(conn, req)
                if not keep or headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, OSError, ValueError):
            pass
        finally:
            with self.lock:
                self.conns.discard(conn)
            try:
                f.close()
                conn.close()
            except OSError:
                pass

    def _wants_fault(self, req):
        if self.only is None:
            return True
        return any(req.matches(s) for s in self.only)

    def _handle(self, conn, req):
        key = req.content_key()
        with self.lock:
            n = self.seen.get(key, 0) + 1
            self.seen[key] = n
        rng = random.Random(f"{self.seed}|{key}|{n}")
        entry = {"service": req.service, "region": req.region, "operation": req.operation,
                 "key": key, "attempt": n, "fault": None,
                 "token": req.headers.get("x-amz-security-token")}
        with self.lock:
            self.log.append(entry)
        lo, hi = self.latency
        if hi > 0:
            time.sleep(rng.uniform(lo, hi))

        resp = None
        if any(req.matches(s) for s in self.deny):
            entry["fault"], resp = "deny", denied_response(req)
        elif self.expired_token:
            entry["fault"], resp = "expired-token", expired_token_response(req)
        elif self.clock_offset_s:
            amz_date = req.headers.get("x-amz-date", "")
            now = time.time() + self.clock_offset_s
            try:
                sent = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
            except ValueError:
                sent = 0
            if abs(now - sent) > SKEW_LIMIT_S:
                entry["fault"], resp = "request-expired", request_expired_response(req, amz_date, now)
        fault_ok = self._wants_fault(req)
        r = rng.random()
        forced = n == 1 and any(req.matches(s) for s in self.throttle_first)
        if resp is None and ((fault_ok and r < self.throttle) or forced):
            entry["fault"], resp = "throttle", throttle_response(req)
        elif resp is None and fault_ok and r < self.throttle + self.error5xx:
            status = 500 if rng.random() < 0.5 else 503
            entry["fault"], resp = f"http{status}", server_error_response(req, status)
        if resp is not None:
            return self._send(conn, resp)

        resp = self._forward(req)
        for spec, fn in self.rewrite.items():
            if req.matches(spec):
                entry["fault"] = "rewrite"
                resp = fn(resp, req)
                break
        forced = n == 1 and any(req.matches(s) for s in self.drop_first)
        if (fault_ok and rng.random() < self.drop) or forced:
            entry["fault"] = "drop"
            self._send_partial(conn, resp)
            return False
        if fault_ok and rng.random() < self.slow:
            entry["fault"] = entry["fault"] or "slow"
            return self._send(conn, resp, slow=True)
        return self._send(conn, resp)

    def _forward(self, req):
        up = socket.create_connection(self.upstream, timeout=60)
        try:
            up.sendall(req.head + req.body)  # exactly what parapet sent
            f = up.makefile("rb")
            head = _read_head(f)
            if not head:
                raise ConnectionError("upstream closed without answering")
            first, headers, ordered = _parse_headers(head)
            _, status, *reason = first.split(" ", 2)
            body = _read_body(f, headers, until_close=True) if req.method != "HEAD" else b""
            f.close()
        finally:
            up.close()
        keep = [(k, v) for k, v in ordered
                if k.lower() not in ("content-length", "transfer-encoding", "connection",
                                     "keep-alive")]
        return Response(int(status), reason[0] if reason else "", keep, body)

    def _head_bytes(self, resp, length):
        lines = [f"HTTP/1.1 {resp.status} {resp.reason or 'Status'}"]
        lines += [f"{k}: {v}" for k, v in resp.headers]
        if length is None:
            lines.append("Transfer-Encoding: chunked")
        else:
            lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, conn, resp, slow=False):
        try:
            if isinstance(resp.body, (bytes, bytearray)):
                conn.sendall(self._head_bytes(resp, len(resp.body)))
                if slow:
                    step = max(1, len(resp.body) // 8)
                    for i in range(0, len(resp.body), step):
                        conn.sendall(resp.body[i:i + step])
                        time.sleep(self.slow_delay)
                else:
                    conn.sendall(resp.body)
                return True
            # A streamed body: announced length (or chunked), written until done or the client
            # hangs up, as a client that refuses a huge answer does.
            conn.sendall(self._head_bytes(resp, resp.length))
            for piece in resp.body:
                if resp.length is None:
                    conn.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                else:
                    conn.sendall(piece)
            if resp.length is None:
                conn.sendall(b"0\r\n\r\n")
            return True
        except OSError:
            return False

    def _send_partial(self, conn, resp):
        body = resp.body if isinstance(resp.body, (bytes, bytearray)) else b""
        try:
            conn.sendall(self._head_bytes(resp, len(body) or 100))
            conn.sendall(body[:len(body) // 2])
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--throttle", type=float, default=0.0)
    ap.add_argument("--error5xx", type=float, default=0.0)
    ap.add_argument("--drop", type=float, default=0.0)
    ap.add_argument("--slow", type=float, default=0.0)
    ap.add_argument("--latency", type=float, nargs=2, default=(0.0, 0.0))
    ap.add_argument("--deny", action="append", default=[])
    args = ap.parse_args()
    p = FaultProxy(args.upstream, seed=args.seed, throttle=args.throttle, error5xx=args.error5xx,
                   drop=args.drop, slow=args.slow, latency=tuple(args.latency), deny=args.deny)
    p.start()
    print(p.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        p.stop()


if __name__ == "__main__":
    main()
