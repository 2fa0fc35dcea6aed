"""Speed patch for moto 5.2.5's IAM: AWS managed policies are built when first used, once.

moto's IAMBackend.__init__ parses its bundled list of ~1,300 AWS managed policies and builds a
policy object for each every time an IAM backend is created or reset. And moto creates many:
finding the account of a request's access key (moto/iam/models.py get_account_id_from) touches
the IAM backend of every partition (8) of every account it knows, so after a reset the first
request rebuilt 8 × accounts × 1,300 policies. Profiled with py-spy on this server, that was
~5 of the ~6.5 s every integration test spent before launch ran (reset ~3 s, first request
~2.5 s).

The patch makes `aws_managed_policies` and `managed_policies` lazy: a backend builds them when
something reads them (GetPolicy, AttachRolePolicy, ListPolicies...), from a list parsed once per
account and partition, handing each backend fresh copies with the state a backend changes
reset (attachment count, tags, version list). What a request sees is unchanged: the same names,
ARNs, documents, versions and dates. (A policy's id is kept across resets; in AWS an AWS managed
policy's id is the same in every account, so that is closer to AWS, not further.)
"""

from __future__ import annotations

import threading
from typing import Any

from moto.iam import models as iam_models

_orig: dict[str, Any] = {}
_templates: dict[tuple[str, str], list[Any]] = {}
_lock = threading.Lock()


def _shallow_copy(obj: Any) -> Any:
    c = object.__new__(type(obj))
    c.__dict__.update(obj.__dict__)
    return c


def _fresh(p: Any) -> Any:
    q = _shallow_copy(p)
    q.attachment_count = 0
    q.tags = {}
    q.versions = [_shallow_copy(v) for v in p.versions]
    return q


def _build_aws_policies(backend: Any) -> list[Any]:
    key = (backend.account_id, backend.region_name)
    with _lock:
        template = _templates.get(key)
        if template is None:
            template = _templates[key] = _orig["_init_aws_policies"](backend)
    return [_fresh(p) for p in template]


def _get_aws_policies(self: Any) -> list[Any]:
    v = self.__dict__.get("_harness_aws_policies")
    if v is None:
        v = self.__dict__["_harness_aws_policies"] = _build_aws_policies(self)
    return v


def _set_aws_policies(self: Any, v: Any) -> None:
    self.__dict__["_harness_aws_policies"] = v


def _get_managed_policies(self: Any) -> dict[str, Any]:
    v = self.__dict__.get("_harness_managed_policies")
    if v is None:
        v = self.__dict__["_harness_managed_policies"] = {p.arn: p for p in self.aws_managed_policies}
    return v


def _set_managed_policies(self: Any, v: Any) -> None:
    self.__dict__["_harness_managed_policies"] = v


def install() -> None:
    if _orig:
        return
    B = iam_models.IAMBackend
    _orig["_init_aws_policies"] = B._init_aws_policies
    # __init__ assigns both attributes from these; None means "not built yet".
    B._init_aws_policies = lambda self: None
    B._init_managed_policies = lambda self: None
    B.aws_managed_policies = property(_get_aws_policies, _set_aws_policies)
    B.managed_policies = property(_get_managed_policies, _set_managed_policies)
