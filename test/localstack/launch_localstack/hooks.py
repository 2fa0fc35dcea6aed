"""The launch harness controls inside LocalStack, installed by an on_infra_start hook.

- `/_harness/...` routes on LocalStack's edge router (served before any AWS parsing), answered
  by harness.middleware.HarnessControls: the same code, state and JSON as the moto lane.
- a handler in LocalStack's custom service request handler chain (after the request is
  parsed, so service and operation are known) records every AWS request as
  {"service","action"}, adds the configured latency, answers armed faults and refuses what
  AWS would refuse (harness.validate on the parsed request; `/_harness/validation` switches it). Faults are
  raised as CommonServiceException, so LocalStack serializes them in the request's protocol
  (query/EC2 XML, JSON with x-amzn-ErrorType) the way it serializes its own errors.
  LocalStack's internal calls (one service calling another) are neither logged nor faulted.
- reset (`POST /_harness/reset`): community LocalStack 4.13.1 has no state-reset endpoint
  (`/_localstack/state/reset` is not in it), so the harness does what that endpoint does:
  every loaded service's state containers (LocalStack stores and moto backends) are reset,
  with the services' state lifecycle hooks, then all of moto's backends.
- the moto lane's ECS deployment patches (harness.ecs.install()).
- a Python 3.11 shim for LocalStack 4.13.1's KMS: KmsKey.generate_key_material_id calls
  uuid.uuid5(namespace, <bytes>), which only Python >= 3.12 accepts, so every CreateKey fails
  with HTTP 500 "encoding without a string argument" on 3.11. The shim gives that module a
  uuid5 that hashes bytes the way Python 3.12's does (RFC 4122 §4.3: SHA-1 of namespace + name).
"""

from __future__ import annotations

import json
import logging

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)

CONTROLS = None  # harness.middleware.HarnessControls, set by install_launch_harness


def reset_backends() -> None:
    from moto.core.base_backend import BackendDict
    from moto.moto_api._internal import moto_api_backend

    from localstack.services.plugins import SERVICE_PLUGINS
    from localstack.services.stores import AccountRegionBundle
    from localstack.state import StateLifecycleHook, StateVisitor

    class ResetVisitor(StateVisitor):
        def visit(self, state_container):
            if isinstance(state_container, (AccountRegionBundle, BackendDict)):
                state_container.reset()
            elif hasattr(state_container, "reset"):
                state_container.reset()

    for name in SERVICE_PLUGINS.list_loaded_services():
        service = SERVICE_PLUGINS.get_service(name)
        if service is None:
            continue
        hook = service.lifecycle_hook if isinstance(service.lifecycle_hook, StateLifecycleHook) else None
        if hook:
            hook.on_before_state_reset()
        try:
            service.accept_state_visitor(ResetVisitor())
        except Exception:  # a service without resettable state
            LOG.debug("launch harness: could not reset %s", name, exc_info=True)
        if hook:
            hook.on_after_state_reset()
    moto_api_backend.reset()


def _kms_py311_shim() -> None:
    import sys

    if sys.version_info >= (3, 12):
        return
    import hashlib
    import types
    import uuid

    from localstack.services.kms import models as kms_models

    def uuid5(namespace: uuid.UUID, name: str | bytes) -> uuid.UUID:
        if isinstance(name, str):
            name = bytes(name, "utf-8")
        digest = hashlib.sha1(namespace.bytes + name).digest()
        return uuid.UUID(bytes=digest[:16], version=5)

    shim = types.ModuleType("uuid")
    shim.__dict__.update(uuid.__dict__)
    shim.uuid5 = uuid5
    kms_models.uuid = shim


def _harness_route(request, sub: str = ""):
    from localstack.http import Response

    status, body = CONTROLS.control(request.method, "/_harness/" + sub, request.get_data())
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _record_and_fault(chain, context, response):  # noqa: ARG001
    from localstack.aws.api import CommonServiceException

    if context.service is None or context.operation is None or context.is_internal_call:
        return
    refused = _refusal(context)
    fault = CONTROLS.admit(context.service.service_name, context.operation.name) or refused
    if fault is not None and fault.get("kind") == "drop-after-response":
        if refused is None:
            # Served by the backend; _lose_reply replaces the answer.
            _LOSE_REPLY.add(id(context))
            return
        fault = refused
    if fault is not None:
        raise CommonServiceException(
            fault["code"], fault["message"], status_code=fault["status"], sender_fault=fault["status"] < 500
        )


# Requests whose answer is lost (fault kind drop-after-response), by id of their
# RequestContext. LocalStack's server offers no hook to reset a connection, so the lane
# answers 503 with an empty body after the backend made the change: to the client that is
# the same lost reply (no answer it can read, and a status every AWS SDK retries).
_LOSE_REPLY: set[int] = set()


def _lose_reply(chain, context, response):  # noqa: ARG001
    if id(context) not in _LOSE_REPLY:
        return
    _LOSE_REPLY.discard(id(context))
    response.status_code = 503
    response.set_data(b"")
    for h in ("x-amzn-requestid", "x-amz-request-id", "Content-Type"):
        response.headers.pop(h, None)


def _refusal(context):
    """What AWS would refuse (harness.validate), checked on the request LocalStack parsed:
    the same model checks and IAM policy grammar as the moto lane. LocalStack's parser drops
    members the model does not know, so unknown members are not seen here."""
    from harness import validate

    if not validate.enabled() or not isinstance(context.service_request, dict):
        return None
    if context.service.service_name == "s3":
        # S3's REST-XML requests carry their body as a stream LocalStack has
        # parsed into a file-like object, not the model's blob: the moto lane
        # does not check S3 either.
        return None
    try:
        validate.service_model(context.service.service_name)
    except Exception:  # noqa: BLE001  (a service botocore has no model for)
        return None
    return validate.check_params(context.service.service_name, context.operation.name, dict(context.service_request))


@hooks.on_infra_start()
def install_launch_harness():
    global CONTROLS
    import launch_localstack  # noqa: F401  (puts test/emulator on sys.path)
    from harness import ecs
    from harness.middleware import HarnessControls
    from localstack.aws import handlers
    from localstack.services.edge import ROUTER
    from localstack.version import __version__ as localstack_version

    if CONTROLS is not None:
        return
    ecs.install()
    _kms_py311_shim()
    CONTROLS = HarnessControls(reset_backends, health={"localstack": localstack_version})
    ROUTER.add("/_harness/<path:sub>", _harness_route)
    handlers.serve_custom_service_request_handlers.append(_record_and_fault)
    handlers.run_custom_response_handlers.append(_lose_reply)
    LOG.info("launch harness: /_harness controls, request log, faults and ECS patches installed")
