"""ECS deployment fidelity patches for moto 5.2.5.

moto's ECS services never deploy: UpdateService keeps deployments[0] on the old task
definition, stores the task definition string as passed, and runningCount comes from an
environment variable. These patches make services deploy the way ECS documents it, with
progress evaluated lazily (no background threads) whenever DescribeServices, ListTasks,
DescribeTasks or UpdateService is served.

Docs followed:
  D1 https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html
  D2 https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html
  D3 https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
  D4 https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html
  D5 https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages-list.html
  D6 https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
  D7 https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html
  D8 https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
  D9 https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html (clientToken)
     and the "Creation of service was not idempotent." error peers hit without one
     (hashicorp/terraform-provider-aws#14489, #20452)
  D10 https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
     (awslogs stream name: prefix-name/container-name/ecs-task-id)
  D11 https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html,
     API_Task.html / API_Container.html (healthStatus) and the developer guide's
     "Determine task health using container health checks" (the service scheduler
     replaces a task whose essential container is UNHEALTHY)
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
import uuid
from typing import Any

from moto.core.utils import utcnow
from moto.core.responses import ActionResult
from moto.ecs import exceptions as ecs_exceptions
from moto.ecs import models as ecs_models
from moto.ecs import responses as ecs_responses
from moto.ec2.models import ec2_backends
from moto.logs.models import logs_backends
from moto.moto_api._internal.managed_state_model import ManagedState

LOCK = threading.RLock()

DEFAULT_STOPPED_REASON = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution "
    "resource retrieval failed: unable to retrieve secret from asm: service call has been "
    "retried 1 time(s): AccessDeniedException: User is not authorized to perform "
    "secretsmanager:GetSecretValue"
)
MAX_EVENTS = 100  # D4: DescribeServices returns the 100 most recent events
MAX_TASKS_PER_BATCH = 10  # tasks materialised per start/failure batch (counts stay exact)
MAX_STOPPED_TASKS_PER_DEPLOYMENT = 30  # older stopped tasks are forgotten, as ECS does


def default_deployment_seconds() -> float:
    try:
        return max(float(os.environ.get("LAUNCH_EMULATOR_DEPLOYMENT_SECONDS", "2")), 0.0)
    except ValueError:
        return 2.0


class Settings:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.deployment_seconds = default_deployment_seconds()
        # image -> {"reason": str, "exitCode": int, "stopCode": str, "logs": [str]}
        self.failing_images: dict[str, dict[str, Any]] = {}
        # image -> {} : tasks run but their container health check fails
        self.unhealthy_images: dict[str, dict[str, Any]] = {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "deploymentSeconds": self.deployment_seconds,
            "failingImages": dict(self.failing_images),
            "unhealthyImages": dict(self.unhealthy_images),
        }


SETTINGS = Settings()


def failing_image(body: dict[str, Any]) -> dict[str, Any]:
    """The failing-images control's entry. With `logs` the container started, wrote
    those lines to its awslogs stream and exited (stopCode EssentialContainerExited);
    without, the task failed before its container ran (TaskFailedToStart, no logs)."""
    logs = [str(line) for line in body.get("logs") or []]
    default_reason = "Essential container in task exited" if logs else DEFAULT_STOPPED_REASON
    return {
        "reason": str(body.get("reason") or default_reason),
        "exitCode": int(body["exitCode"]) if body.get("exitCode") is not None else 1,
        "stopCode": "EssentialContainerExited" if logs else "TaskFailedToStart",
        "logs": logs,
    }


# --------------------------------------------------------------------------- tasks


class HarnessTask(ecs_models.Task):
    """A task started by a harness deployment. Its status is set by the deployment
    logic, not by moto's ManagedState ticks (which would move RUNNING to DEACTIVATING
    on the next DescribeTasks). moto 5.2.5's own Task.__init__ cannot start an awsvpc
    task (it reads NetworkInterface.private_dns_name, which does not exist), so the
    fields are set here, and the ENI attachment is built the way API_Attachment.html
    documents it."""

    def __init__(self, backend: Any, cluster: Any, td: Any, service: Any, started_by: str) -> None:
        ManagedState.__init__(self, model_name="ecs::task", transitions=[("PROVISIONING", "PROVISIONING")])
        self.id = str(uuid.uuid4())
        self.cluster_name = cluster.name
        self.cluster_arn = cluster.arn
        self.container_instance_arn = None
        self.desired_status = "RUNNING"
        self.task_definition_arn = td.arn
        self.overrides = {}
        self.started_by = started_by
        self.tags = []
        self.launch_type = service.launch_type or "FARGATE"
        self.capacity_provider_name = None
        self.platform_version = service.platform_version or "1.4.0"
        self.stopped_reason = ""
        self.health_status = "UNKNOWN"  # D11, until the task runs
        self.resource_requirements = None
        self.region_name = cluster.region_name
        self._account_id = backend.account_id
        self._backend = backend
        self.group = f"service:{service.name}"
        self.attachments = []
        self.status = "PROVISIONING"
        net = (service.network_configuration or {}).get("awsvpcConfiguration") or {}
        if net.get("subnets"):
            self.network_configuration = service.network_configuration
            try:
                eni = ec2_backends[backend.account_id][cluster.region_name].create_network_interface(
                    subnet=net["subnets"][0],
                    private_ip_address=None,
                    group_ids=net.get("securityGroups") or [],
                    description="launch emulator ECS task",
                )
                eni.status = "in-use"
                details = [
                    {"name": "subnetId", "value": net["subnets"][0]},
                    {"name": "networkInterfaceId", "value": eni.id},
                    {"name": "macAddress", "value": getattr(eni, "mac_address", "")},
                    {"name": "privateIPv4Address", "value": getattr(eni, "private_ip_address", "")},
                ]
            except Exception:  # ENI bookkeeping is best effort
                details = [{"name": "subnetId", "value": net["subnets"][0]}]
            self.attachments.append(
                {"id": str(uuid.uuid4()), "type": "ElasticNetworkInterface", "status": "ATTACHED", "details": details}
            )

    @property
    def status(self) -> str | None:  # type: ignore[override]
        return self._harness_status

    @status.setter
    def status(self, value: str) -> None:
        self._harness_status = value

    def advance(self) -> None:
        pass


def _container_dicts(task: Any, td: Any) -> list[dict[str, Any]]:
    # D7: Task.containers, one per container definition.
    out = []
    for cd in td.container_definitions:
        out.append(
            {
                "containerArn": f"{task.task_arn.replace(':task/', ':container/')}/{uuid.uuid4()}",
                "taskArn": task.task_arn,
                "name": cd.get("name"),
                "image": cd.get("image"),
                "lastStatus": "PENDING",
                "healthStatus": "UNKNOWN",
                "cpu": str(cd.get("cpu", 0)),
                "networkInterfaces": [],
            }
        )
    return out


def _start_tasks(backend: Any, service: Any, dep: dict[str, Any], count: int) -> list[Any]:
    cluster = backend._get_cluster(service.cluster_name)
    td = backend.describe_task_definition(dep["taskDefinition"])
    tasks = []
    for _ in range(min(count, MAX_TASKS_PER_BATCH)):
        task = HarnessTask(backend, cluster, td, service, dep["id"])
        now = utcnow()
        task.status = "PROVISIONING"
        task.desired_status = "RUNNING"
        task.created_at = now
        task.cpu = td.cpu
        task.memory = td.memory
        task.containers = _container_dicts(task, td)
        task.connectivity = "CONNECTED"
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        tasks.append(task)
    return tasks


def _task_id(task: Any) -> str:
    return task.task_arn.split("/")[-1]


def _task_definition(backend: Any, arn: str) -> Any:
    try:
        return backend.describe_task_definition(arn)
    except Exception:
        return None


def _set_health(backend: Any, task: Any) -> None:
    """D11: a container with a healthCheck is HEALTHY once running, UNHEALTHY when its
    image is marked unhealthy; one without stays UNKNOWN. The task is UNHEALTHY when an
    essential container is, HEALTHY when every essential container with a check is
    and there is one, else UNKNOWN."""
    td = _task_definition(backend, task.task_definition_arn)
    defs = {cd.get("name"): cd for cd in (td.container_definitions if td else [])}
    checked, unhealthy = False, False
    for c in task.containers:
        cd = defs.get(c.get("name")) or {}
        if not cd.get("healthCheck"):
            continue
        c["healthStatus"] = "UNHEALTHY" if cd.get("image") in SETTINGS.unhealthy_images else "HEALTHY"
        if cd.get("essential", True):
            checked = True
            unhealthy = unhealthy or c["healthStatus"] == "UNHEALTHY"
    task.health_status = "UNHEALTHY" if unhealthy else ("HEALTHY" if checked else "UNKNOWN")


def _mark_running(tasks: list[Any], backend: Any = None) -> None:
    now = utcnow()
    for t in tasks:
        t.status = "RUNNING"
        t.pull_started_at = now
        t.pull_stopped_at = now
        t.started_at = now
        for c in t.containers:
            c["lastStatus"] = "RUNNING"
        if backend is not None:
            _set_health(backend, t)


def _write_logs(backend: Any, task: Any, image: str, lines: list[str]) -> None:
    """D10: what a container that ran wrote, in its awslogs stream
    <awslogs-stream-prefix>/<container name>/<task id>, when its log group exists
    (ECS does not create it). Events end now, 1 ms apart."""
    td = _task_definition(backend, task.task_definition_arn)
    if td is None or not lines:
        return
    for cd in td.container_definitions:
        lc = cd.get("logConfiguration") or {}
        opts = lc.get("options") or {}
        if cd.get("image") != image or lc.get("logDriver") != "awslogs" or not opts.get("awslogs-stream-prefix"):
            continue
        region = opts.get("awslogs-region") or task.region_name
        try:
            group = logs_backends[task._account_id][region].groups.get(opts.get("awslogs-group"))
        except Exception:
            group = None
        if group is None:
            continue
        stream = f"{opts['awslogs-stream-prefix']}/{cd.get('name')}/{_task_id(task)}"
        if stream not in group.streams:
            group.create_log_stream(stream)
        end = int(time.time() * 1000)
        group.put_log_events(
            stream,
            [{"timestamp": end - (len(lines) - 1 - i), "message": line} for i, line in enumerate(lines)],
        )


def _mark_stopped(tasks: list[Any], reason: str, stop_code: str, exit_code: Any) -> None:
    now = utcnow()
    for t in tasks:
        t.status = "STOPPED"
        t.desired_status = "STOPPED"
        t.stopped_reason = reason
        t.stop_code = stop_code
        t.stopping_at = now
        t.stopped_at = now
        t.execution_stopped_at = now
        for c in t.containers:
            c["lastStatus"] = "STOPPED"
            if exit_code is not None:
                c["exitCode"] = exit_code


# ----------------------------------------------------------------- service state


def _state(service: Any) -> dict[str, Any]:
    st = getattr(service, "_harness", None)
    if st is None:
        st = {"deps": {}, "last_completed": None}
        service._harness = st
    return st


def _add_event(service: Any, message: str) -> None:
    # D4/D5: events are newest first, each {id, createdAt, message}.
    service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": utcnow(), "message": message})
    del service.events[MAX_EVENTS:]


def _primary(service: Any) -> dict[str, Any] | None:
    for d in service.deployments:
        if d.get("status") == "PRIMARY":
            return d
    return None


def _sync_counts(service: Any) -> None:
    # D4: service runningCount/pendingCount count the service's tasks in every
    # deployment (during a rolling update the ACTIVE deployment's tasks still run).
    service.running_count = sum(int(d.get("runningCount") or 0) for d in service.deployments)
    service.pending_count = sum(int(d.get("pendingCount") or 0) for d in service.deployments)


def _new_deployment_id() -> str:
    return f"ecs-svc/{random.randint(10**18, 10**19 - 1)}"


def _default_deployment_configuration(dc: dict[str, Any] | None) -> dict[str, Any]:
    # D8 defaults for the rolling-update (ECS) deployment controller.
    out: dict[str, Any] = {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    for k, v in (dc or {}).items():
        if v is not None:
            out[k] = v
    return out


def _circuit_breaker(service: Any) -> tuple[bool, bool]:
    dc = getattr(service, "deployment_configuration", None) or {}
    cb = dc.get("deploymentCircuitBreaker") or {}
    return bool(cb.get("enable")), bool(cb.get("rollback"))


def _threshold(desired: int) -> int:
    # D3: failure threshold = 0.5 x desired count (rounded up), min 3, max 200.
    return min(max(math.ceil(0.5 * desired), 3), 200)


def start_deployment(
    backend: Any, service: Any, td_arn: str, desired: int, rollback_of: str | None = None
) -> dict[str, Any]:
    """D1/D2: a new PRIMARY deployment; the previous PRIMARY becomes ACTIVE."""
    now = utcnow()
    dep_id = _new_deployment_id()
    for d in service.deployments:
        if d.get("status") == "PRIMARY":
            d["status"] = "ACTIVE"
            d["updatedAt"] = now
    nc = service.network_configuration or None
    dep = {
        "id": dep_id,
        "status": "PRIMARY",
        "taskDefinition": td_arn,
        "desiredCount": desired,
        "pendingCount": desired,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "platformVersion": service.platform_version or "LATEST",
        "platformFamily": "Linux",
        "networkConfiguration": nc,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {dep_id} in progress.",
    }
    service.deployments.insert(0, dep)
    st = _state(service)
    st["deps"][dep_id] = {
        "t0": time.monotonic(),
        "tasks": [],
        "stopped": [],
        "rounds": 0,
        "rollback_of": rollback_of,
    }
    _launch_batch(backend, service, dep)
    _sync_counts(service)
    return dep


def _launch_batch(backend: Any, service: Any, dep: dict[str, Any]) -> None:
    desired = int(dep["desiredCount"] or 0)
    if desired <= 0:
        return
    tasks = _start_tasks(backend, service, dep, desired)
    _state(service)["deps"][dep["id"]]["tasks"].extend(tasks)
    # D5: "(service service-name) has started 2 tasks: (task id) (task id)."
    _add_event(
        service,
        f"(service {service.name}) has started {desired} tasks: "
        + " ".join(f"(task {_task_id(t)})" for t in tasks)
        + ".",
    )


def _failing_spec(backend: Any, td_arn: str) -> dict[str, Any] | None:
    if not SETTINGS.failing_images:
        return None
    td = _task_definition(backend, td_arn)
    if td is None:
        return None
    for cd in td.container_definitions:
        spec = SETTINGS.failing_images.get(cd.get("image"))
        if spec is not None:
            return {**spec, "image": cd.get("image")}
    return None


def _unhealthy(backend: Any, td_arn: str) -> bool:
    """D11: a container with a healthCheck whose image is marked unhealthy."""
    if not SETTINGS.unhealthy_images:
        return False
    td = _task_definition(backend, td_arn)
    return td is not None and any(
        cd.get("healthCheck") and cd.get("image") in SETTINGS.unhealthy_images for cd in td.container_definitions
    )


def _forget_old_stopped(backend: Any, service: Any, dst: dict[str, Any]) -> None:
    extra = len(dst["stopped"]) - MAX_STOPPED_TASKS_PER_DEPLOYMENT
    if extra > 0:
        for t in dst["stopped"][:extra]:
            backend.tasks.get(service.cluster_name, {}).pop(t.task_arn, None)
        del dst["stopped"][:extra]


def _complete(backend: Any, service: Any, dep: dict[str, Any]) -> None:
    st = _state(service)
    dst = st["deps"][dep["id"]]
    now = utcnow()
    _mark_running(dst["tasks"], backend)
    dep["runningCount"] = dep["desiredCount"]
    dep["pendingCount"] = 0
    dep["rolloutState"] = "COMPLETED"
    dep["rolloutStateReason"] = f"ECS deployment {dep['id']} completed."
    dep["updatedAt"] = now
    # D1: once the PRIMARY deployment is COMPLETED the older deployments are drained
    # and removed; their tasks are stopped by the scheduler.
    old_tasks = []
    for d in list(service.deployments):
        if d is dep:
            continue
        service.deployments.remove(d)
        odst = st["deps"].get(d["id"])
        if odst:
            running = [t for t in odst["tasks"] if t.status != "STOPPED"]
            _mark_stopped(
                running,
                f"Scaling activity initiated by (deployment {dep['id']})",
                "ServiceSchedulerInitiated",
                0,
            )
            old_tasks.extend(running)
    if old_tasks:
        _add_event(
            service,
            f"(service {service.name}) has stopped {len(old_tasks)} running tasks: "
            + " ".join(f"(task {_task_id(t)})" for t in old_tasks)
            + ".",
        )
    st["last_completed"] = {"id": dep["id"], "taskDefinition": dep["taskDefinition"]}
    _add_event(service, f"(service {service.name}) (deployment {dep['id']}) deployment completed.")
    _add_event(service, f"(service {service.name}) has reached a steady state.")


def _fail_round(backend: Any, service: Any, dep: dict[str, Any], spec: dict[str, Any]) -> None:
    """The running batch of tasks fails to start: they stop with the failing image's reason."""
    dst = _state(service)["deps"][dep["id"]]
    tasks = [t for t in dst["tasks"] if t.status != "STOPPED"]
    if spec.get("logs"):
        # The container started, wrote its lines and exited.
        now = utcnow()
        for t in tasks:
            t.pull_started_at = t.pull_stopped_at = t.started_at = now
            _write_logs(backend, t, spec.get("image"), spec["logs"])
    _mark_stopped(
        tasks,
        spec.get("reason") or DEFAULT_STOPPED_REASON,
        spec.get("stopCode") or "TaskFailedToStart",
        spec.get("exitCode", 1),
    )
    dst["stopped"].extend(tasks)
    dst["tasks"] = []
    dep["failedTasks"] = int(dep.get("failedTasks") or 0) + int(dep["desiredCount"])
    dep["pendingCount"] = dep["desiredCount"]
    dep["runningCount"] = 0
    dep["updatedAt"] = utcnow()
    _forget_old_stopped(backend, service, dst)


def _breaker_failed(backend: Any, service: Any, dep: dict[str, Any], desired: int, fail_round: Any, what: str) -> None:
    """D3: tasks keep failing until failedTasks reaches the threshold; then the
    deployment is FAILED, and with rollback ECS returns to the last COMPLETED one."""
    st = _state(service)
    dst = st["deps"][dep["id"]]
    _, rollback = _circuit_breaker(service)
    fail_round()
    threshold = _threshold(desired)
    while int(dep["failedTasks"]) < threshold:
        extra = _start_tasks(backend, service, dep, min(desired, threshold - int(dep["failedTasks"])))
        dst["tasks"].extend(extra)
        fail_round()
    dep["failedTasks"] = max(int(dep["failedTasks"]), threshold)
    dep["pendingCount"] = 0
    dep["runningCount"] = 0
    dep["rolloutState"] = "FAILED"
    dep["rolloutStateReason"] = f"ECS deployment circuit breaker: {what}."
    _add_event(service, f"(service {service.name}) deployment {dep['id']} deployment failed: {what}.")
    target = st.get("last_completed")
    if rollback and target and dst.get("rollback_of") is None and target["id"] != dep["id"]:
        _add_event(service, f"(service {service.name}) rolling back to deployment {target['id']}.")
        service.task_definition = target["taskDefinition"]
        start_deployment(backend, service, target["taskDefinition"], desired, rollback_of=dep["id"])


def _run_unhealthy(backend: Any, service: Any, dep: dict[str, Any]) -> None:
    """D11: the deployment's tasks run, but their health check fails."""
    dst = _state(service)["deps"][dep["id"]]
    _mark_running(dst["tasks"], backend)
    dep["runningCount"] = len([t for t in dst["tasks"] if t.status == "RUNNING"]) or dep["desiredCount"]
    dep["pendingCount"] = 0
    dep["updatedAt"] = utcnow()
    for t in dst["tasks"]:
        _add_event(service, f"(service {service.name}) (task {_task_id(t)}) failed container health checks.")


def _stop_unhealthy(backend: Any, service: Any, dep: dict[str, Any]) -> None:
    """D11: the scheduler stops the tasks that failed their health check."""
    dst = _state(service)["deps"][dep["id"]]
    tasks = [t for t in dst["tasks"] if t.status != "STOPPED"]
    _mark_running([t for t in tasks if t.status != "RUNNING"], backend)
    _mark_stopped(tasks, "Task failed container health checks", "ServiceSchedulerInitiated", None)
    dst["stopped"].extend(tasks)
    dst["tasks"] = []
    dep["failedTasks"] = int(dep.get("failedTasks") or 0) + int(dep["desiredCount"])
    dep["pendingCount"] = dep["desiredCount"]
    dep["runningCount"] = 0
    dep["updatedAt"] = utcnow()
    if tasks:
        _add_event(
            service,
            f"(service {service.name}) has stopped {len(tasks)} running tasks: "
            + " ".join(f"(task {_task_id(t)})" for t in tasks)
            + ".",
        )
    _forget_old_stopped(backend, service, dst)


def _evaluate_service(backend: Any, service: Any) -> None:
    if service.status != "ACTIVE":
        return
    st = _state(service)
    dep = _primary(service)
    if dep is None or dep.get("rolloutState") != "IN_PROGRESS":
        return
    dst = st["deps"].get(dep["id"])
    if dst is None:
        return
    delay = SETTINGS.deployment_seconds
    elapsed = time.monotonic() - dst["t0"]
    if elapsed < delay:
        return
    desired = int(dep["desiredCount"] or 0)
    spec = _failing_spec(backend, dep["taskDefinition"]) if desired > 0 else None
    unhealthy = spec is None and desired > 0 and _unhealthy(backend, dep["taskDefinition"])
    if spec is None and not unhealthy:
        _complete(backend, service, dep)
        _sync_counts(service)
        return

    enable, _ = _circuit_breaker(service)
    rounds_due = int(elapsed // delay) if delay > 0 else dst["rounds"] + 1
    if unhealthy:
        # D11: after one delay the tasks run UNHEALTHY; each later delay the scheduler
        # stops them ("Task failed container health checks", counted in failedTasks)
        # and starts others, which fail the same way. With the circuit breaker the
        # deployment then fails as for tasks that fail to start (D3).
        if rounds_due <= dst["rounds"]:
            return
        first = dst["rounds"] == 0
        dst["rounds"] = rounds_due
        if first:
            _run_unhealthy(backend, service, dep)
        elif enable:
            _breaker_failed(
                backend, service, dep, desired,
                lambda: _stop_unhealthy(backend, service, dep), "tasks failed container health checks",
            )
        else:
            _stop_unhealthy(backend, service, dep)
            _launch_batch(backend, service, dep)
            _run_unhealthy(backend, service, dep)
        _sync_counts(service)
        return

    if enable:
        _breaker_failed(
            backend, service, dep, desired,
            lambda: _fail_round(backend, service, dep, spec), "tasks failed to start",
        )
        _sync_counts(service)
        return

    # No circuit breaker: a stuck rollout. Every `delay` seconds the batch fails and
    # the scheduler starts another; failedTasks keeps rising, rolloutState stays IN_PROGRESS.
    if rounds_due <= dst["rounds"]:
        return
    new_rounds = rounds_due - dst["rounds"]
    dst["rounds"] = rounds_due
    _fail_round(backend, service, dep, spec)
    dep["failedTasks"] = int(dep["failedTasks"]) + (new_rounds - 1) * desired
    _launch_batch(backend, service, dep)
    _sync_counts(service)


def evaluate_backend(backend: Any) -> None:
    with LOCK:
        for service in list(backend.services.values()):
            if service.deployment_controller.get("type", "ECS") == "ECS":
                _evaluate_service(backend, service)


# ------------------------------------------------------------------- patches

_orig = {}


def _patched_create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
    with LOCK:
        service = _orig["create_service"](self, *args, **kwargs)
        if service.deployment_controller.get("type", "ECS") != "ECS":
            return service
        # D1: CreateService starts the service's first PRIMARY deployment, IN_PROGRESS,
        # on the full task definition ARN (moto already resolves it for CreateService).
        service.deployments = []
        service.deployment_configuration = _default_deployment_configuration(None)
        start_deployment(self, service, service.task_definition, int(service.desired_count or 0))
        return service


def _patched_update_service(self: Any, service_properties: dict[str, Any]) -> Any:
    with LOCK:
        evaluate_backend(self)
        cluster_str = service_properties.get("cluster", "default")
        service_name = str(service_properties.get("service", "")).split("/")[-1]
        service = self._get_service(cluster_str, service_name)
        td_str = service_properties.pop("task_definition", None)
        force = bool(service_properties.pop("force_new_deployment", False))
        new_desired = service_properties.get("desired_count")
        # D2: taskDefinition is `family`, `family:revision` or a full ARN; the service
        # always reports the full ARN. Unknown ones fail before anything changes.
        new_td_arn = self.describe_task_definition(td_str).arn if td_str else None
        old_td_arn = service.task_definition
        old_desired = int(service.desired_count or 0)

        result = _orig["update_service"](self, service_properties)

        service.deployment_configuration = _default_deployment_configuration(
            getattr(service, "deployment_configuration", None)
        )
        if service.deployment_controller.get("type", "ECS") != "ECS":
            if new_td_arn:
                service.task_definition = new_td_arn
            return result
        desired = int(service.desired_count or 0)
        if new_td_arn:
            service.task_definition = new_td_arn
        if (new_td_arn and new_td_arn != old_td_arn) or force:
            # D2: a new task definition or forceNewDeployment starts a new deployment.
            start_deployment(self, service, service.task_definition, desired)
        elif new_desired is not None and desired != old_desired:
            # D2: only desiredCount changed: the PRIMARY deployment scales in place.
            dep = _primary(service)
            if dep is not None:
                dep["desiredCount"] = desired
                dep["updatedAt"] = utcnow()
                if int(dep.get("runningCount") or 0) != desired and dep.get("rolloutState") != "FAILED":
                    dep["rolloutState"] = "IN_PROGRESS"
                    dep["rolloutStateReason"] = f"ECS deployment {dep['id']} in progress."
                    dst = _state(service)["deps"].get(dep["id"])
                    if dst is not None:
                        dst["t0"] = time.monotonic()
                        dst["rounds"] = 0
                        running = [t for t in dst["tasks"] if t.status != "STOPPED"]
                        if desired < len(running):
                            _mark_stopped(
                                running[desired:],
                                "Scaling activity initiated by (deployment " + dep["id"] + ")",
                                "ServiceSchedulerInitiated",
                                0,
                            )
                            dst["tasks"] = running[:desired]
                        dep["pendingCount"] = max(desired - int(dep.get("runningCount") or 0), 0)
                        dep["runningCount"] = min(int(dep.get("runningCount") or 0), desired)
        _sync_counts(service)
        return result


def _patched_describe_services(self: Any, *args: Any, **kwargs: Any) -> Any:
    with LOCK:
        evaluate_backend(self)
        return _orig["describe_services"](self, *args, **kwargs)


def _patched_describe_tasks(self: Any, *args: Any, **kwargs: Any) -> Any:
    with LOCK:
        evaluate_backend(self)
        return _orig["describe_tasks"](self, *args, **kwargs)


def _patched_list_tasks(
    self: Any,
    cluster_str: str | None = None,
    container_instance: str | None = None,
    family: str | None = None,
    started_by: str | None = None,
    service_name: str | None = None,
    desiredStatus: str | None = None,
) -> Any:
    with LOCK:
        evaluate_backend(self)
        # D6: desiredStatus defaults to RUNNING; serviceName filters on the service's tasks.
        tasks = _orig["list_tasks"](
            self, cluster_str, container_instance, family, started_by, None, desiredStatus or "RUNNING"
        )
        if service_name:
            name = service_name.split("/")[-1]
            tasks = [t for t in tasks if getattr(t, "group", None) == f"service:{name}"]
        return tasks


def _existing_service(backend: Any, cluster_str: str, name: str) -> Any:
    try:
        cluster = backend._get_cluster(cluster_str)
    except Exception:
        return None  # moto's CreateService reports the missing cluster itself
    service = backend.services.get(f"{cluster.name}:{name}")
    return service if service is not None and service.status != "INACTIVE" else None


def _patched_response_create_service(self: Any) -> Any:
    # D9: moto replaces an existing service silently. ECS answers a CreateService for a
    # service that exists (ACTIVE or DRAINING) with the existing service when the call
    # repeats the clientToken that created it (a retried request), and with
    # InvalidParameterException "Creation of service was not idempotent." otherwise.
    token = self._get_param("clientToken") or ""
    with LOCK:
        existing = _existing_service(
            self.ecs_backend, self._get_param("cluster", "default"), str(self._get_param("serviceName") or "")
        )
        if existing is not None:
            if token and token == getattr(existing, "_harness_client_token", ""):
                return ActionResult({"service": existing})
            raise ecs_exceptions.InvalidParameterException("Creation of service was not idempotent.")
        # moto's CreateService ignores deploymentConfiguration; keep it on the service (D8).
        result = _orig["resp_create_service"](self)
        dc = self._get_param("deploymentConfiguration")
        service = result.result["service"]
        service.deployment_configuration = _default_deployment_configuration(dc)
        service._harness_client_token = token
    return result


def _patched_describe_task_definition(self: Any, task_definition_str: str) -> Any:
    """DescribeTaskDefinition with a bare family: "If a revision isn't specified, the
    latest ACTIVE revision is used" (ECS API Reference, DescribeTaskDefinition,
    taskDefinition). moto 5.2.5 returns the newest revision even when it is INACTIVE;
    with no ACTIVE revision ECS answers ClientException "Unable to describe task
    definition.", as moto does for a family it does not know."""
    name = task_definition_str.split("/")[-1]
    if ":" not in name:
        active = [r for r, td in self.task_definitions.get(name, {}).items() if td.status == "ACTIVE"]
        if not active:
            raise ecs_exceptions.TaskDefinitionNotFoundException()
        return self.task_definitions[name][max(active)]
    return _orig["describe_task_definition"](self, task_definition_str)


def install() -> None:
    if _orig:
        return
    B = ecs_models.EC2ContainerServiceBackend
    _orig["describe_task_definition"] = B.describe_task_definition
    B.describe_task_definition = _patched_describe_task_definition
    _orig["create_service"] = B.create_service
    _orig["update_service"] = B.update_service
    _orig["describe_services"] = B.describe_services
    _orig["describe_tasks"] = B.describe_tasks
    _orig["list_tasks"] = B.list_tasks
    B.create_service = _patched_create_service
    B.update_service = _patched_update_service
    B.describe_services = _patched_describe_services
    B.describe_tasks = _patched_describe_tasks
    B.list_tasks = _patched_list_tasks
    R = ecs_responses.EC2ContainerServiceResponse
    _orig["resp_create_service"] = R.create_service
    R.create_service = _patched_response_create_service
