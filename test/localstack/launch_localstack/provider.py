"""ECS as a LocalStack service provider backed by moto's ECS backend.

LocalStack serves its moto-backed services (SWF, Support, ACM, …) with a provider class that
implements the generated ASF API (every operation raises NotImplementedError unless the
provider overrides it) and `Service.for_provider(provider,
dispatch_table_factory=MotoFallbackDispatcher)`, which forwards every not-implemented operation
to moto inside the same process. LocalStack community ships no generated ECS API, so the API
class is generated here from botocore's ECS service model, the same shape the ASF scaffold
generates. Because moto runs in LocalStack's process, moto's ECS reads and writes the same EC2
backend that LocalStack's EC2 provider serves (subnets, security groups, ENIs).

Registered through the `localstack.aws.provider` entry points `ecs:default` and `ecr:default`
(pyproject.toml); a licensed LocalStack that has its own ECS and ECR providers does not need
this package at all (only the /_harness controls would be missing there).
"""

from __future__ import annotations

import re

from localstack.services.plugins import Service, aws_provider


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def make_api(service: str) -> type:
    """The ASF API class of a service: one @handler per operation of botocore's model, each
    raising NotImplementedError (what localstack.aws.api.<service> would contain)."""
    from localstack.aws.api import handler
    from localstack.aws.spec import load_service

    model = load_service(service)
    namespace: dict = {"service": service, "version": model.api_version}
    for operation in model.operation_names:

        def not_implemented(self, context, request):  # noqa: ARG001
            raise NotImplementedError

        not_implemented.__name__ = _snake(operation)
        namespace[not_implemented.__name__] = handler(operation, expand=False)(not_implemented)
    return type(f"{service.capitalize()}Api", (), namespace)


def make_provider(service: str, backends: str):
    """A provider whose every operation falls through to moto (see MotoFallbackDispatcher);
    its state is moto's BackendDict `backends` ("module:attribute")."""
    import importlib

    from localstack.state import StateVisitor

    module, _, attribute = backends.partition(":")

    class MotoProvider(make_api(service)):
        def accept_state_visitor(self, visitor: StateVisitor):
            visitor.visit(getattr(importlib.import_module(module), attribute))

    MotoProvider.__name__ = f"{service.capitalize()}Provider"
    return MotoProvider()


@aws_provider(api="ecs", name="default")
def ecs():
    from localstack.services.moto import MotoFallbackDispatcher

    import launch_localstack  # noqa: F401  (puts test/emulator on sys.path)
    from harness import ecs as harness_ecs

    # The moto lane's ECS deployment patches (idempotent; also installed at infra start).
    harness_ecs.install()
    provider = make_provider("ecs", "moto.ecs.models:ecs_backends")
    return Service.for_provider(provider, dispatch_table_factory=MotoFallbackDispatcher)


@aws_provider(api="ecr", name="default")
def ecr():
    """ECR the same way (community LocalStack has none either): `launch preflight` checks that
    images in the account's ECR exist (DescribeImages)."""
    from localstack.services.moto import MotoFallbackDispatcher

    provider = make_provider("ecr", "moto.ecr.models:ecr_backends")
    return Service.for_provider(provider, dispatch_table_factory=MotoFallbackDispatcher)
