"""WSGI middleware around moto's DomainDispatcherApplication: request log, latency,
fault injection, reset and the /_harness control endpoints.

Only (service, action) of AWS requests is ever recorded: never bodies, headers or values.
"""

from __future__ import annotations

import io
import json
import re
import socket
import struct
import threading
import time
import uuid
from typing import Any, Callable
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import moto

from . import ecs, validate

MAX_LOG = 20000

# X-Amz-Target prefix -> SigV4 service name, for requests without a SigV4 header.
TARGET_PREFIX_SERVICE = {
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "secretsmanager": "secretsmanager",
    "Logs_20140328": "logs",
    "TrentService": "kms",
}
_SCOPE_RE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")

# Error codes documented as the AWS JSON/query protocol error shapes:
# https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#operation-error-serialization
# https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#operation-error-serialization
# https://smithy.io/2.0/aws/protocols/aws-ec2-query-protocol.html#operation-error-serialization


# Fault kinds: "error" answers with an AWS error instead of the backend; "drop-after-response"
# lets the backend serve the request (its change is made) and then closes the connection
# without sending the answer, as a reply lost on the network: the SDK retries the call.
FAULT_KINDS = ("error", "drop-after-response")


class DroppedAfterResponse(ConnectionAbortedError):
    """Raised to the WSGI server after the connection was closed on purpose."""


def _drop_connection(environ: dict[str, Any]) -> None:
    """Closes the client's connection with a reset (SO_LINGER 0), sending nothing."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("drop-after-response needs the werkzeug server (no werkzeug.socket)")
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client went away first: dropped either way


class HarnessState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []
        self.latency_ms = 0.0
        self.throttles: dict[str, TokenBucket] = {}


class TokenBucket:
    """AWS's request throttling: a bucket of `burst` tokens refilled at `rate` per second;
    each request takes one, a request that finds none is throttled. This is how ECS
    documents its API throttling ("Request throttling for the Amazon ECS API",
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html)."""

    def __init__(self, burst: float, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self.tokens = burst
        self.last = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def as_dict(self) -> dict[str, float]:
        return {"burst": self.burst, "rate": self.rate}


THROTTLED = {"kind": "error", "status": 400, "code": "ThrottlingException", "message": "Rate exceeded"}


def _json_response(start_response: Callable, status: int, body: Any) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        f"{status} {'OK' if status < 400 else 'Error'}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length > 0:
        body = stream.read(length)
    elif environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get(
        "wsgi.input_terminated"
    ):
        body = stream.read()
    else:
        body = b""
    # Give moto an identical, re-readable body.
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def classify(environ: dict[str, Any], body: bytes) -> tuple[str, str, str]:
    """Returns (service, action, protocol) with protocol one of json, query, ec2."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = _SCOPE_RE.search(auth)
    service = m.group(1) if m else ""
    if target:
        prefix, _, action = target.partition(".")
        service = service or TARGET_PREFIX_SERVICE.get(prefix, prefix)
        return service or "unknown", action, "json"
    action = ""
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in qs:
        action = qs["Action"][0]
    ctype = environ.get("CONTENT_TYPE", "")
    if not action and body and "x-www-form-urlencoded" in ctype:
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            action = form["Action"][0]
    if not service:
        host = environ.get("HTTP_HOST", "")
        service = host.split(".")[0] if "amazonaws" in host else "unknown"
    return service, action, "ec2" if service == "ec2" else "query"


def _error_response(
    start_response: Callable, protocol: str, status: int, code: str, message: str
) -> list[bytes]:
    request_id = str(uuid.uuid4())
    reason = {400: "Bad Request", 403: "Forbidden", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "Error")
    if protocol == "json":
        data = json.dumps({"__type": code, "message": message}).encode()
        headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", request_id),
        ]
    elif protocol == "ec2":
        data = (
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers = [("Content-Type", "text/xml;charset=UTF-8")]
    else:
        fault_type = "Sender" if status < 500 else "Receiver"
        data = (
            "<ErrorResponse><Error>"
            f"<Type>{fault_type}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    headers.append(("Content-Length", str(len(data))))
    start_response(f"{status} {reason}", headers)
    return [data]


class HarnessControls:
    """The harness's state and /_harness control endpoints, independent of the server
    that hosts them: HarnessMiddleware (moto lane, WSGI) and the LocalStack lane's
    gateway handlers (test/localstack) both use it, so both lanes behave the same.

    reset_backends wipes the emulator's AWS state; health is merged into the
    /_harness/health answer."""

    def __init__(self, reset_backends: Callable[[], None], health: dict[str, Any] | None = None) -> None:
        self.reset_backends = reset_backends
        self.health = {"harness": "launch", "moto": moto.__version__, **(health or {})}
        self.state = HarnessState()

    def reset_all(self) -> None:
        with ecs.LOCK:
            self.reset_backends()
            ecs.SETTINGS.reset()
            validate.SETTINGS.reset()
        with self.state.lock:
            self.state.reset()

    def control(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        """Serves one /_harness request: returns (HTTP status, JSON-able body)."""
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return 400, {"error": "body must be JSON"}
        st = self.state

        if path == "/_harness/health":
            return 200, dict(self.health)
        if path == "/_harness/validation":
            return validate.control(method, body)
        if path == "/_harness/requests" and method == "GET":
            with st.lock:
                return 200, list(st.requests)
        if path == "/_harness/requests" and method == "DELETE":
            with st.lock:
                st.requests.clear()
            return 200, {"ok": True}
        if path == "/_harness/reset" and method == "POST":
            self.reset_all()
            return 200, {"ok": True}
        if path == "/_harness/latency" and method == "POST":
            try:
                ms = float(body.get("ms", 0))
            except (TypeError, ValueError):
                return 400, {"error": "ms must be a number"}
            with st.lock:
                st.latency_ms = max(ms, 0.0)
            return 200, {"ms": st.latency_ms}
        if path == "/_harness/faults" and method == "POST":
            kind = str(body.get("kind") or "error")
            if kind not in FAULT_KINDS:
                return 400, {"error": f"kind must be one of {', '.join(FAULT_KINDS)}"}
            if not body.get("action") or (kind == "error" and not body.get("code")):
                return 400, {"error": "action and code are required" if kind == "error" else "action is required"}
            fault = {
                "action": str(body["action"]),
                "service": str(body.get("service") or ""),
                "count": int(body.get("count", 1)),
                "kind": kind,
                "status": int(body.get("status", 400)),
                "code": str(body.get("code") or ""),
                "message": str(body.get("message") or body.get("code") or ""),
            }
            with st.lock:
                st.faults.append(fault)
            return 200, fault
        if path == "/_harness/throttle" and method == "POST":
            try:
                action, burst, rate = str(body["action"]), float(body["burst"]), float(body["rate"])
            except (KeyError, TypeError, ValueError):
                return 400, {"error": "action, burst and rate are required (rate in requests per second)"}
            if not action or burst < 1 or rate <= 0:
                return 400, {"error": "burst must be >= 1 and rate > 0"}
            with st.lock:
                st.throttles[action] = TokenBucket(burst, rate)
            return 200, {"action": action, "burst": burst, "rate": rate}
        if path == "/_harness/throttle" and method == "GET":
            with st.lock:
                return 200, {a: b.as_dict() for a, b in st.throttles.items()}
        if path == "/_harness/throttle" and method == "DELETE":
            with st.lock:
                st.throttles.clear()
            return 200, {"ok": True}
        if path == "/_harness/faults" and method == "GET":
            with st.lock:
                return 200, list(st.faults)
        if path == "/_harness/faults" and method == "DELETE":
            with st.lock:
                st.faults.clear()
            return 200, {"ok": True}
        if path == "/_harness/ecs" and method == "POST":
            with ecs.LOCK:
                if "deploymentSeconds" in body:
                    ecs.SETTINGS.deployment_seconds = max(float(body["deploymentSeconds"]), 0.0)
                return 200, ecs.SETTINGS.as_dict()
        if path == "/_harness/ecs" and method == "GET":
            with ecs.LOCK:
                return 200, ecs.SETTINGS.as_dict()
        if path == "/_harness/ecs/failing-images" and method == "POST":
            if not body.get("image"):
                return 400, {"error": "image is required"}
            if not isinstance(body.get("logs") or [], list):
                return 400, {"error": "logs must be a list of lines"}
            with ecs.LOCK:
                ecs.SETTINGS.failing_images[str(body["image"])] = ecs.failing_image(body)
                return 200, ecs.SETTINGS.as_dict()
        if path == "/_harness/ecs/failing-images" and method == "DELETE":
            with ecs.LOCK:
                ecs.SETTINGS.failing_images.clear()
            return 200, {"ok": True}
        if path == "/_harness/ecs/unhealthy-images" and method == "POST":
            if not body.get("image"):
                return 400, {"error": "image is required"}
            with ecs.LOCK:
                ecs.SETTINGS.unhealthy_images[str(body["image"])] = {}
                return 200, ecs.SETTINGS.as_dict()
        if path == "/_harness/ecs/unhealthy-images" and method == "DELETE":
            with ecs.LOCK:
                ecs.SETTINGS.unhealthy_images.clear()
            return 200, {"ok": True}
        return 404, {"error": f"no harness endpoint {method} {path}"}

    def admit(self, service: str, action: str) -> dict[str, Any] | None:
        """Records one AWS request (service and action only), sleeps the configured
        latency and returns the fault that answers it, if one is armed."""
        return self.record(service, action)[0]

    def record(self, service: str, action: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """admit, also returning the request's log entry: the caller sets its "end"
        (time.time()) once the answer is ready; "start" is set here."""
        st = self.state
        fault = None
        with st.lock:
            for f in st.faults:
                if f["action"] == action and (not f["service"] or f["service"] == service):
                    fault = f
                    f["count"] -= 1
                    if f["count"] <= 0:
                        st.faults.remove(f)
                    break
            entry: dict[str, Any] = {"service": service, "action": action, "start": time.time()}
            if fault is not None:
                entry["injected"] = True
            bucket = st.throttles.get(action)
            if fault is None and bucket is not None and not bucket.take():
                fault = THROTTLED
                entry["throttled"] = True
            st.requests.append(entry)
            del st.requests[:-MAX_LOG]
            latency = st.latency_ms
        if latency > 0:
            time.sleep(latency / 1000.0)
        return fault, entry


class HarnessMiddleware(HarnessControls):
    def __init__(self, app: Callable, reset_moto: Callable[[], None]) -> None:
        super().__init__(reset_moto)
        self.app = app
        self.reset_moto = reset_moto

    # ---------------------------------------------------------------- controls
    def _control(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        status, body = self.control(method, path, _read_body(environ))
        return _json_response(start_response, status, body)

    # ---------------------------------------------------------------- requests
    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_harness/"):
            return self._control(environ, start_response)
        if path == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
            # moto's own reset also resets the harness, so both entry points agree.
            self.reset_all()
            return _json_response(start_response, 200, {"status": "ok"})
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)

        body = _read_body(environ)
        service, action, protocol = classify(environ, body)
        refused = validate.check(environ, body, service, action, protocol)  # what AWS would refuse
        del body  # never kept: secret values travel in bodies
        fault, entry = self.record(service, action)
        fault = fault or refused
        if refused is not None and fault is not refused and fault.get("kind") == "drop-after-response":
            fault = refused  # a request AWS refuses is refused, whatever fault was set
        if fault is not None and fault.get("kind") == "drop-after-response":
            # The backend answers in full (its change is made), then the reply is lost.
            result = self.app(environ, lambda status, headers, exc_info=None: (lambda data: None))
            try:
                for _ in result:
                    pass
            finally:
                if hasattr(result, "close"):
                    result.close()
            _drop_connection(environ)
            # werkzeug treats a ConnectionError as a dropped client and sends nothing.
            raise DroppedAfterResponse(f"harness fault: {service} {action} answered, connection dropped")
        if fault is not None:
            entry["end"] = time.time()
            return _error_response(start_response, protocol, fault["status"], fault["code"], fault["message"])
        try:
            return self.app(environ, start_response)
        finally:
            entry["end"] = time.time()
