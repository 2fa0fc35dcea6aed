"""The emulator refuses what AWS refuses: every AWS request is checked against the service
model botocore ships (the same models the AWS SDKs are generated from) before moto sees it,
and IAM policy documents are checked against IAM's policy grammar and size quotas.

What is checked, per member of the operation's input shape: required members, unknown
members, types, enum values, string/blob lengths, list/map lengths, numeric ranges and the
model's regular-expression patterns (matched against the whole value, as AWS does: IAM
refuses "a b" as a role name although `[\\w+=,.@-]+` occurs in it).

How a request is read: JSON protocol (ecs, secretsmanager, logs, kms, ssm, ecr): the JSON body,
operation from X-Amz-Target. Query protocol (iam, sts) and EC2 protocol: the form/query
parameters, mapped back onto the input shape by inverting botocore/serialize.py's
QuerySerializer/EC2Serializer (`A.member.N`, flattened `A.N`, `A.entry.N.key`/`.value`, EC2's
`queryName`/capitalised `locationName` and `A.N` lists).

A violation is answered as the service answers it (status 400):
- JSON: `{"__type": code, "message": "1 validation error detected: Value 'bridgee' at
  'networkMode' failed to satisfy constraint: Member must satisfy enum value set: [...]"}`,
  the message AWS's request validation writes. The code is the service's: ECS answers
  ClientException for RegisterTaskDefinition ("Family contains invalid characters.",
  aws/amazon-ecs-cli#37, #542) and InvalidParameterException for other operations
  ("family must match ^[a-zA-Z0-9\\-_]+$", ListTasks, aws/amazon-ecs-cli#542); CloudWatch Logs
  and ECR answer InvalidParameterException; Secrets Manager, KMS and SSM ValidationException.
  A member of the wrong JSON type is a SerializationException.
- query (iam, sts): `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>…`.
- EC2: MissingParameter, UnknownParameter or InvalidParameterValue in EC2's error shape.
- IAM policy documents: MalformedPolicyDocument with IAM's own messages ("Policy statement must
  contain resources.", "Policy statement must contain actions.", seen in
  terraform-aws-modules/terraform-aws-iam#603 and aws/aws-cdk#7615) and LimitExceeded for the
  size quotas (inline policies of a role 10,240, managed policy 6,144, trust policy 2,048
  characters, whitespace not counted: IAM user guide, "IAM and AWS STS quotas").

A sensitive member's value (a secret string, for example) is never put in a message.
Validation is on by default; `POST /_harness/validation {"enabled": false}` turns it off until
the next reset.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import json
import sys
import threading
from typing import Any
from urllib.parse import parse_qsl

import regex

LOCK = threading.Lock()

# X-Amz-Target prefix (JSON protocol) or SigV4 service name (query/EC2) -> botocore model.
JSON_SERVICES = {
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "secretsmanager": "secretsmanager",
    "Logs_20140328": "logs",
    "TrentService": "kms",
    "AmazonSSM": "ssm",
    "AmazonEC2ContainerRegistry_V20150921": "ecr",
}
QUERY_SERVICES = {"iam": "iam", "sts": "sts", "ec2": "ec2"}

# The code a JSON-protocol service answers a constraint violation with.
JSON_VALIDATION_CODE = {
    "ecs": "InvalidParameterException",
    "logs": "InvalidParameterException",
    "ecr": "InvalidParameterException",
}
JSON_OPERATION_CODE = {
    ("ecs", "RegisterTaskDefinition"): "ClientException",
    ("ecs", "DescribeServices"): "InvalidParameterException",
    ("ecs", "DescribeTasks"): "InvalidParameterException",
}

# IAM operations whose member is a policy document, and which kind of document it is.
POLICY_MEMBERS = {
    "CreateRole": ("AssumeRolePolicyDocument", "trust"),
    "UpdateAssumeRolePolicy": ("PolicyDocument", "trust"),
    "PutRolePolicy": ("PolicyDocument", "inline"),
    "PutUserPolicy": ("PolicyDocument", "inline"),
    "PutGroupPolicy": ("PolicyDocument", "inline"),
    "CreatePolicy": ("PolicyDocument", "managed"),
    "CreatePolicyVersion": ("PolicyDocument", "managed"),
}
INLINE_POLICY_QUOTA = 10240  # all inline policies of a role together
MANAGED_POLICY_QUOTA = 6144
TRUST_POLICY_QUOTA = 2048
POLICY_VERSIONS = ("2012-10-17", "2008-10-17")
POLICY_TOP_KEYS = {"Version", "Id", "Statement"}
STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}


class Settings:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.enabled = True

    def as_dict(self) -> dict[str, Any]:
        return {"enabled": self.enabled}


SETTINGS = Settings()


def control(method: str, body: dict[str, Any]) -> tuple[int, Any]:
    """Serves /_harness/validation: GET shows the switch, POST {"enabled": bool} sets it."""
    with LOCK:
        if method == "POST":
            if not isinstance(body.get("enabled"), bool):
                return 400, {"error": "enabled must be true or false"}
            SETTINGS.enabled = body["enabled"]
        elif method != "GET":
            return 404, {"error": f"no harness endpoint {method} /_harness/validation"}
        return 200, SETTINGS.as_dict()


def enabled() -> bool:
    with LOCK:
        return SETTINGS.enabled


@functools.lru_cache(maxsize=None)
def service_model(name: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(name)


@functools.lru_cache(maxsize=None)
def _pattern(p: str):
    try:
        return regex.compile(p)
    except regex.error:
        return None


def refusal(code: str, message: str, status: int = 400) -> dict[str, Any]:
    return {"status": status, "code": code, "message": message}


# ---------------------------------------------------------------- entry points


def check(environ: dict[str, Any], body: bytes, service: str, action: str, protocol: str) -> dict[str, Any] | None:
    """The moto lane's hook: returns the error AWS would answer this raw request with
    ({"status","code","message"}), or None when AWS would accept it. Each refusal is logged
    on stderr (the server log): service, action, code and message, never a sensitive value."""
    if not enabled():
        return None
    answer = _check(environ, body, service, action, protocol)
    if answer is not None:
        print(f"harness: refused {service} {action}: {answer['code']}: {answer['message']}", file=sys.stderr, flush=True)
    return answer


def _check(environ: dict[str, Any], body: bytes, service: str, action: str, protocol: str) -> dict[str, Any] | None:
    if protocol == "json":
        prefix = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")[0]
        name = JSON_SERVICES.get(prefix)
        if name is None:
            return None
        model = service_model(name)
        if action not in model.operation_names:
            return refusal("UnknownOperationException", f"Operation {action} is not supported by {name}.")
        try:
            params = json.loads(body) if body.strip() else {}
        except ValueError:
            return refusal("SerializationException", "Request body is not valid JSON.")
        return check_params(name, action, params)
    name = QUERY_SERVICES.get(service)
    if name is None:
        return None
    model = service_model(name)
    if not action:
        return None
    if action not in model.operation_names:
        return refusal("InvalidAction", f"Could not find operation {action} for version {model.api_version}.")
    pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", "") and body:
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    flat = {k: v for k, v in pairs if k not in ("Action", "Version")}
    op = model.operation_model(action)
    errors: list[Problem] = []
    params = decode_query(op.input_shape, flat, ec2=(name == "ec2"), errors=errors) if op.input_shape else {}
    return _answer(name, action, params, errors, protocol="ec2" if name == "ec2" else "query")


def check_params(service: str, action: str, params: Any) -> dict[str, Any] | None:
    """Checks an already-decoded input (a JSON body, or the parameters dict LocalStack's
    parser made of a request of any protocol) against the operation's input shape."""
    model = service_model(service)
    if action not in model.operation_names:
        return None
    protocol = {"ec2": "ec2", "query": "query"}.get(model.protocol, "json")
    return _answer(service, action, params, [], protocol)


# ---------------------------------------------------------------- problems


class Problem:
    """One violation. kind: required, unknown, type, constraint."""

    def __init__(self, kind: str, path: str, text: str, value: Any = None, show: bool = False) -> None:
        self.kind, self.path, self.text, self.value, self.show = kind, path, text, value, show

    def coral(self) -> str:
        """AWS's request-validation wording."""
        if self.kind == "literal":
            return self.text
        if self.kind == "required":
            return f"Value null at '{self.path}' failed to satisfy constraint: Member must not be null"
        if self.kind == "unknown":
            return f"Unknown parameter '{self.path}'"
        value = ""
        if self.show:
            v = str(self.value)
            value = f" '{v if len(v) <= 256 else v[:256] + '...'}'"
        return f"Value{value} at '{self.path}' failed to satisfy constraint: {self.text}"


def _answer(service: str, action: str, params: Any, errors: list[Problem], protocol: str) -> dict[str, Any] | None:
    op = service_model(service).operation_model(action)
    if op.input_shape is not None:
        validate(op.input_shape, params, "", errors)
    if service == "ecs" and action == "RegisterTaskDefinition" and isinstance(params, dict):
        ecs_names(params, errors)
    if service == "ecs" and isinstance(params, dict):
        ecs_list_maximums(action, params, errors)
    if errors:
        return _refuse(service, action, errors, protocol)
    if service == "iam" and action in POLICY_MEMBERS:
        return check_policy(action, params)
    return None


def _refuse(service: str, action: str, errors: list[Problem], protocol: str) -> dict[str, Any]:
    if protocol == "ec2":
        first = errors[0]
        if first.kind == "required":
            name = first.path[:1].upper() + first.path[1:]  # as sent: GroupName
            return refusal("MissingParameter", f"The request must contain the parameter {name}")
        if first.kind == "unknown":
            return refusal("UnknownParameter", f"The parameter {first.path} is not recognized")
        return refusal("InvalidParameterValue", first.coral())
    if protocol == "json" and any(e.kind == "type" for e in errors):
        bad = next(e for e in errors if e.kind == "type")
        return refusal("SerializationException", f"Cannot deserialize '{bad.path}': {bad.text}")
    if all(e.kind == "literal" for e in errors):  # ECS's own wording, one problem at a time
        return refusal(JSON_OPERATION_CODE.get((service, action), "ClientException"), errors[0].text)
    errors = [e for e in errors if e.kind != "literal"] + [e for e in errors if e.kind == "literal"]
    n = len(errors)
    message = f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(e.coral() for e in errors)
    if protocol == "query":
        return refusal("ValidationError", message)
    code = JSON_OPERATION_CODE.get((service, action)) or JSON_VALIDATION_CODE.get(service, "ValidationException")
    return refusal(code, message)


# ---------------------------------------------------------------- shape walk


def _member_path(path: str, name: str) -> str:
    name = name[:1].lower() + name[1:]
    return f"{path}.{name}" if path else name


def validate(shape, value: Any, path: str, errors: list[Problem]) -> None:
    t = shape.type_name
    meta = shape.metadata
    show = not meta.get("sensitive")
    if t == "structure":
        if not isinstance(value, dict):
            errors.append(Problem("type", path or "input", "expected a structure"))
            return
        for name in shape.required_members:
            if value.get(name) is None:
                errors.append(Problem("required", _member_path(path, name), ""))
        for name, v in value.items():
            if name not in shape.members:
                errors.append(Problem("unknown", _member_path(path, name), ""))
            elif v is not None:
                validate(shape.members[name], v, _member_path(path, name), errors)
        return
    if t == "list":
        if not isinstance(value, list):
            errors.append(Problem("type", path, "expected a list"))
            return
        _length(meta, len(value), path, errors, None, False)
        for i, item in enumerate(value, 1):
            if item is not None:
                validate(shape.member, item, f"{path}.{i}.member", errors)
        return
    if t == "map":
        if not isinstance(value, dict):
            errors.append(Problem("type", path, "expected a map"))
            return
        _length(meta, len(value), path, errors, None, False)
        for k, v in value.items():
            validate(shape.key, k, f"{path}.key", errors)
            if v is not None:
                validate(shape.value, v, f"{path}.{k}.member", errors)
        return
    if t == "string":
        if not isinstance(value, str):
            errors.append(Problem("type", path, "expected a string"))
            return
        if shape.enum and value not in shape.enum:
            errors.append(Problem("constraint", path, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]", value, show))
        _length(meta, len(value), path, errors, value, show)
        p = meta.get("pattern")
        if p and _pattern(p) is not None and not _pattern(p).fullmatch(value):
            errors.append(Problem("constraint", path, f"Member must satisfy regular expression pattern: {p}", value, show))
        return
    if t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(Problem("type", path, "expected an integer"))
            return
        _range(meta, value, path, errors)
        return
    if t in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(Problem("type", path, "expected a number"))
            return
        _range(meta, value, path, errors)
        return
    if t == "boolean":
        if not isinstance(value, bool):
            errors.append(Problem("type", path, "expected a boolean"))
        return
    if t == "blob":
        if isinstance(value, str):
            try:
                value = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                errors.append(Problem("type", path, "expected base64-encoded binary data"))
                return
        if not isinstance(value, (bytes, bytearray)):
            errors.append(Problem("type", path, "expected binary data"))
            return
        _length(meta, len(value), path, errors, None, False)
        return
    if t == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float, str, datetime.datetime)):
            errors.append(Problem("type", path, "expected a timestamp"))
        return


def _length(meta: dict, n: int, path: str, errors: list[Problem], value: Any, show: bool) -> None:
    if "min" in meta and n < meta["min"]:
        errors.append(Problem("constraint", path, f"Member must have length greater than or equal to {meta['min']}", value, show))
    if "max" in meta and n > meta["max"]:
        errors.append(Problem("constraint", path, f"Member must have length less than or equal to {meta['max']}", value, show))


def _range(meta: dict, v: float, path: str, errors: list[Problem]) -> None:
    if "min" in meta and v < meta["min"]:
        errors.append(Problem("constraint", path, f"Member must have value greater than or equal to {meta['min']}", v, True))
    if "max" in meta and v > meta["max"]:
        errors.append(Problem("constraint", path, f"Member must have value less than or equal to {meta['max']}", v, True))


# ---------------------------------------------------------------- rules the model lacks

# ECS's model gives `family` and a container's `name` no constraints; the API reference does:
# "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed"
# (API_RegisterTaskDefinition family, API_ContainerDefinition name). ECS's answers:
# "Family can not be blank." (aws-actions/amazon-ecs-deploy-task-definition#630), "Family contains
# invalid characters." (aws/amazon-ecs-cli#37), "Container.name contains invalid characters."
# (hashicorp/terraform-provider-aws#5950).
_ECS_NAME = regex.compile(r"[a-zA-Z0-9_-]*")


def ecs_names(params: dict[str, Any], errors: list[Problem]) -> None:
    family = params.get("family")
    if isinstance(family, str):
        if not family:
            errors.append(Problem("literal", "family", "Family can not be blank."))
        elif len(family) > 255:
            errors.append(Problem("constraint", "family", "Member must have length less than or equal to 255", family, True))
        elif not _ECS_NAME.fullmatch(family):
            errors.append(Problem("literal", "family", "Family contains invalid characters."))
    containers = params.get("containerDefinitions")
    for i, c in enumerate(containers if isinstance(containers, list) else [], 1):
        name = c.get("name") if isinstance(c, dict) else None
        if not isinstance(name, str):
            continue
        if len(name) > 255:
            errors.append(Problem("constraint", f"containerDefinitions.{i}.member.name",
                                  "Member must have length less than or equal to 255", name, True))
        elif not _ECS_NAME.fullmatch(name):
            errors.append(Problem("literal", f"containerDefinitions.{i}.member.name", "Container.name contains invalid characters."))


# Lists ECS caps that its service model leaves unbounded (and moto does not check), with ECS's
# answer: InvalidParameterException "service names can have at most 10 items."
# (API_DescribeServices; remind101/empire#468, panther-labs/panther#1526) and "taskIds can have
# at most 100 items." (API_DescribeTasks; gchq/sleeper#555).
_ECS_LIST_MAXIMUMS = {
    ("DescribeServices", "services"): (10, "service names"),
    ("DescribeTasks", "tasks"): (100, "taskIds"),
}


def ecs_list_maximums(action: str, params: dict[str, Any], errors: list[Problem]) -> None:
    for (op, member), (most, word) in _ECS_LIST_MAXIMUMS.items():
        value = params.get(member)
        if op == action and isinstance(value, list) and len(value) > most:
            errors.append(Problem("literal", member, f"{word} can have at most {most} items."))


# ---------------------------------------------------------------- query protocol decoding


_MISSING = object()


def _query_name(shape, default: str, ec2: bool) -> str:
    if ec2:
        if "queryName" in shape.serialization:
            return shape.serialization["queryName"]
        if "name" in shape.serialization:
            n = shape.serialization["name"]
            return n[:1].upper() + n[1:]
        return default
    return shape.serialization.get("name", default)


def decode_query(shape, flat: dict[str, str], ec2: bool, errors: list[Problem]) -> dict[str, Any]:
    """Maps query parameters onto the input shape (the inverse of botocore's QuerySerializer /
    EC2Serializer). Parameters no member claims are reported as unknown."""
    used: set[str] = set()
    out = _decode(shape, "", flat, used, ec2, errors)
    for key in flat:
        if key not in used:
            errors.append(Problem("unknown", key, ""))
    return out if isinstance(out, dict) else {}


def _has_prefix(flat: dict[str, str], prefix: str) -> bool:
    dotted = prefix + "."
    return any(k == prefix or k.startswith(dotted) for k in flat)


def _decode(shape, prefix: str, flat: dict[str, str], used: set[str], ec2: bool, errors: list[Problem]) -> Any:
    t = shape.type_name
    if t == "structure":
        out = {}
        for name, member in shape.members.items():
            key = _query_name(member, name, ec2)
            sub = f"{prefix}.{key}" if prefix else key
            if _has_prefix(flat, sub):
                v = _decode(member, sub, flat, used, ec2, errors)
                if v is not _MISSING:
                    out[name] = v
        return out
    if t == "list":
        if flat.get(prefix) == "":  # an empty list is sent as "Name="
            used.add(prefix)
            return []
        if ec2:
            item_prefix = prefix
        elif shape.serialization.get("flattened"):
            item_prefix = prefix
            if shape.member.serialization.get("name"):
                item_prefix = ".".join(prefix.split(".")[:-1] + [shape.member.serialization["name"]])
        else:
            item_prefix = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        items = []
        i = 1
        while _has_prefix(flat, f"{item_prefix}.{i}"):
            items.append(_decode(shape.member, f"{item_prefix}.{i}", flat, used, ec2, errors))
            i += 1
        return items if items else _MISSING
    if t == "map":
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        ksuf = _query_name(shape.key, "key", ec2)
        vsuf = _query_name(shape.value, "value", ec2)
        out = {}
        i = 1
        while _has_prefix(flat, f"{base}.{i}"):
            k = _decode(shape.key, f"{base}.{i}.{ksuf}", flat, used, ec2, errors)
            v = _decode(shape.value, f"{base}.{i}.{vsuf}", flat, used, ec2, errors)
            out[k if isinstance(k, str) else str(k)] = None if v is _MISSING else v
            i += 1
        return out if out else _MISSING
    if prefix not in flat:
        return _MISSING
    used.add(prefix)
    raw = flat[prefix]
    if t in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            errors.append(Problem("type", prefix, "expected an integer", raw, True))
            return _MISSING
    if t in ("float", "double"):
        try:
            return float(raw)
        except ValueError:
            errors.append(Problem("type", prefix, "expected a number", raw, True))
            return _MISSING
    if t == "boolean":
        if raw.lower() not in ("true", "false"):
            errors.append(Problem("type", prefix, "expected true or false", raw, True))
            return _MISSING
        return raw.lower() == "true"
    return raw  # string, blob (base64), timestamp (ISO 8601)


# ---------------------------------------------------------------- IAM policy documents


def _non_ws_len(doc: str) -> int:
    return sum(1 for c in doc if not c.isspace())


def _as_list(v: Any) -> list:
    return v if isinstance(v, list) else [v]


def _inline_policies(role: str, excluding: str) -> list[str]:
    """The role's other inline policies in moto's IAM backend (best effort: [] when the
    backend cannot be read, e.g. another account layout)."""
    try:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.iam.models import iam_backends

        backend = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
        r = backend.get_role(role)
        return [doc for name, doc in r.policies.items() if name != excluding]
    except Exception:  # noqa: BLE001 (no such role: IAM itself answers NoSuchEntity)
        return []


def check_policy(action: str, params: dict[str, Any]) -> dict[str, Any] | None:
    member, kind = POLICY_MEMBERS[action]
    doc = params.get(member)
    if not isinstance(doc, str):
        return None
    problem = policy_problem(doc, kind)
    if problem:
        return refusal("MalformedPolicyDocument", problem)
    size = _non_ws_len(doc)
    if kind == "trust" and size > TRUST_POLICY_QUOTA:
        return refusal("LimitExceeded", f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_QUOTA}")
    if kind == "managed" and size > MANAGED_POLICY_QUOTA:
        return refusal("LimitExceeded", f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_QUOTA}")
    if kind == "inline":
        if action == "PutRolePolicy":
            size += sum(_non_ws_len(d) for d in _inline_policies(params.get("RoleName", ""), params.get("PolicyName", "")))
        if size > INLINE_POLICY_QUOTA:
            owner = {"PutRolePolicy": "role", "PutUserPolicy": "user", "PutGroupPolicy": "group"}[action]
            name = params.get({"role": "RoleName", "user": "UserName", "group": "GroupName"}[owner], "")
            return refusal("LimitExceeded", f"Maximum policy size of {INLINE_POLICY_QUOTA} bytes exceeded for {owner} {name}")
    return None


def policy_problem(doc: str, kind: str) -> str | None:
    """IAM's MalformedPolicyDocument message for doc, or None when IAM accepts its grammar.
    kind: trust (a role's trust policy: Principal required, Resource prohibited), inline or
    managed (identity policies: Resource required, Principal prohibited)."""
    try:
        policy = json.loads(doc)
    except ValueError:
        return "Syntax errors in policy."
    if not isinstance(policy, dict):
        return "Syntax errors in policy."
    for key in policy:
        if key not in POLICY_TOP_KEYS:
            return "Syntax errors in policy."
    version = policy.get("Version")
    if version is not None and version not in POLICY_VERSIONS:
        return "The policy failed legacy parsing"
    if "Statement" not in policy:
        return "Missing required field Statement"
    statements = _as_list(policy["Statement"])
    if not statements:
        return "Missing required field Statement"
    for st in statements:
        if not isinstance(st, dict) or any(k not in STATEMENT_KEYS for k in st):
            return "Syntax errors in policy."
        if "Effect" not in st:
            return "Missing required field Effect"
        if st["Effect"] not in ("Allow", "Deny"):
            return "Syntax errors in policy."
        if ("Action" in st) == ("NotAction" in st):
            return "Policy statement must contain actions." if "Action" not in st else "Syntax errors in policy."
        actions = _as_list(st.get("Action", st.get("NotAction")))
        if not actions or not all(isinstance(a, str) and a for a in actions):
            return "Policy statement must contain actions."
        has_resource = "Resource" in st or "NotResource" in st
        has_principal = "Principal" in st or "NotPrincipal" in st
        if kind == "trust":
            if has_resource:
                return "Has prohibited field Resource"
            if not has_principal:
                return "Missing required field Principal"
        else:
            if has_principal:
                return "Policy document should not specify a principal."
            if not has_resource:
                return "Policy statement must contain resources."
            resources = _as_list(st.get("Resource", st.get("NotResource")))
            if not resources or not all(isinstance(r, str) for r in resources):
                return "Policy statement must contain resources."
            for r in resources:
                if r != "*" and not r.startswith("arn:"):
                    return f'Resource {r} must be in ARN format or "*".'
    return None
