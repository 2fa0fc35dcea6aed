"""Tests of the emulator harness itself: boto3 against a server started on a free port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore.config
import botocore.exceptions
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
NO_RETRY = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory):
    port = _free_port()
    env = dict(os.environ)
    env.pop("LAUNCH_EMULATOR_DEPLOYMENT_SECONDS", None)
    log = tmp_path_factory.mktemp("emulator") / "server.log"
    logf = open(log, "wb")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "server.py"), "--port", str(port)],
        stdout=logf,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/_harness/health", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("emulator did not start: " + log.read_text()[-2000:])
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)
    logf.close()


def control(url: str, method: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def logged(h):
    """The request log without each request's start and end times."""
    return [{k: v for k, v in r.items() if k not in ("start", "end")} for r in control(h, "GET", "/_harness/requests")]

@pytest.fixture
def h(endpoint):
    control(endpoint, "POST", "/_harness/reset")
    control(endpoint, "POST", "/_harness/ecs", {"deploymentSeconds": 0.3})
    return endpoint


def client(url, name, **kw):
    return boto3.client(
        name,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        **kw,
    )


# ------------------------------------------------------------------ controls


def test_health(endpoint):
    assert control(endpoint, "GET", "/_harness/health") == {"harness": "launch", "moto": "5.2.5"}


def test_request_log_and_no_secret_values(h):
    sm = client(h, "secretsmanager")
    sm.create_secret(Name="creds", SecretString='{"client_secret":"s3cr3t-value"}')
    client(h, "iam").list_roles()
    client(h, "sts").get_caller_identity()
    client(h, "ec2").describe_vpcs()
    client(h, "ecs").list_clusters()
    reqs = control(h, "GET", "/_harness/requests")
    assert [{k: r[k] for k in ("service", "action")} for r in reqs] == [
        {"service": "secretsmanager", "action": "CreateSecret"},
        {"service": "iam", "action": "ListRoles"},
        {"service": "sts", "action": "GetCallerIdentity"},
        {"service": "ec2", "action": "DescribeVpcs"},
        {"service": "ecs", "action": "ListClusters"},
    ]
    assert all(set(r) == {"service", "action", "start", "end"} for r in reqs), reqs
    assert all(a["start"] <= a["end"] <= b["start"] for a, b in zip(reqs, reqs[1:])), "sequential calls: each ends before the next starts"
    assert "s3cr3t" not in json.dumps(reqs)


def test_reset_wipes_moto_and_harness_state(h):
    client(h, "iam").create_role(RoleName="r1", AssumeRolePolicyDocument=TRUST)
    control(h, "POST", "/_harness/latency", {"ms": 5})
    control(h, "POST", "/_harness/faults", {"action": "GetRole", "count": 5, "code": "Throttling"})
    control(h, "POST", "/_harness/ecs/failing-images", {"image": "x:1"})
    control(h, "POST", "/_harness/ecs/unhealthy-images", {"image": "x:2"})
    control(h, "POST", "/_harness/throttle", {"action": "ListRoles", "burst": 1, "rate": 0.001})
    control(h, "POST", "/_harness/reset")
    assert client(h, "iam").list_roles()["Roles"] == []
    assert control(h, "GET", "/_harness/faults") == []
    assert control(h, "GET", "/_harness/throttle") == {}
    assert control(h, "GET", "/_harness/ecs") == {"deploymentSeconds": 2.0, "failingImages": {}, "unhealthyImages": {}}
    assert [(r["service"], r["action"]) for r in control(h, "GET", "/_harness/requests")] == [("iam", "ListRoles")]


def test_managed_policies_loaded(h):
    iam = client(h, "iam")
    iam.create_role(RoleName="exec", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(
        RoleName="exec",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
    )


def test_managed_policies_survive_a_reset_without_its_attachments(h):
    # harness/iam.py builds AWS managed policies lazily from a list kept across resets:
    # a reset must still forget what was attached, and the policies read the same.
    arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    iam = client(h, "iam")
    before = iam.get_policy(PolicyArn=arn)["Policy"]
    iam.create_role(RoleName="exec", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="exec", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert [p["PolicyName"] for p in iam.list_policies(OnlyAttached=True)["Policies"]] == ["AmazonECSTaskExecutionRolePolicy"]

    control(h, "POST", "/_harness/reset")
    after = iam.get_policy(PolicyArn=arn)["Policy"]
    assert after["AttachmentCount"] == 0
    assert iam.list_policies(OnlyAttached=True)["Policies"] == []
    assert {k: v for k, v in after.items() if k != "AttachmentCount"} == {k: v for k, v in before.items() if k != "AttachmentCount"}
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=after["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert "ecr:GetAuthorizationToken" in json.dumps(doc)
    assert len(iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]) == 1000


def test_latency(h):
    sts = client(h, "sts")
    control(h, "POST", "/_harness/latency", {"ms": 400})
    t0 = time.monotonic()
    sts.get_caller_identity()
    assert time.monotonic() - t0 >= 0.4


def test_throttle_is_a_token_bucket(h):
    ecs = client(h, "ecs", config=NO_RETRY)
    control(h, "POST", "/_harness/throttle", {"action": "ListClusters", "burst": 3, "rate": 0.2})
    outcomes = []
    for _ in range(5):
        try:
            ecs.list_clusters()
            outcomes.append("ok")
        except botocore.exceptions.ClientError as e:
            assert e.response["Error"]["Code"] == "ThrottlingException"
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            outcomes.append("throttled")
    assert outcomes[:3] == ["ok"] * 3 and "throttled" in outcomes[3:], outcomes
    time.sleep(5.2)  # one token back at 0.2 per second
    ecs.list_clusters()
    client(h, "ecs", config=NO_RETRY).describe_clusters()  # other actions are not throttled
    log = control(h, "GET", "/_harness/requests")
    assert [r.get("throttled", False) for r in log if r["action"] == "ListClusters"][:3] == [False] * 3
    assert control(h, "GET", "/_harness/throttle") == {"ListClusters": {"burst": 3, "rate": 0.2}}
    control(h, "DELETE", "/_harness/throttle")
    assert control(h, "GET", "/_harness/throttle") == {}


@pytest.mark.parametrize(
    "service,call,action,status,code",
    [
        ("iam", lambda c: c.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST), "CreateRole", 400, "Throttling"),
        ("sts", lambda c: c.get_caller_identity(), "GetCallerIdentity", 503, "ServiceUnavailable"),
        ("ec2", lambda c: c.describe_subnets(), "DescribeSubnets", 400, "RequestLimitExceeded"),
        ("secretsmanager", lambda c: c.describe_secret(SecretId="x"), "DescribeSecret", 400, "ThrottlingException"),
        ("ecs", lambda c: c.list_clusters(), "ListClusters", 500, "InternalFailure"),
        ("logs", lambda c: c.describe_log_groups(), "DescribeLogGroups", 400, "ThrottlingException"),
    ],
)
def test_faults_shaped_per_protocol(h, service, call, action, status, code):
    c = client(h, service, config=NO_RETRY)
    control(h, "POST", "/_harness/faults", {"action": action, "count": 1, "status": status, "code": code, "message": "Rate exceeded"})
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        call(c)
    err = ei.value.response
    assert err["Error"]["Code"] == code
    assert err["Error"]["Message"] == "Rate exceeded"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status
    reqs = logged(h)
    assert reqs == [{"service": service, "action": action, "injected": True}]


def test_fault_count_and_sdk_retry(h):
    iam = client(h, "iam", config=botocore.config.Config(retries={"total_max_attempts": 3, "mode": "standard"}))
    control(h, "POST", "/_harness/faults", {"action": "CreateRole", "count": 2, "code": "Throttling", "message": "Rate exceeded"})
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)  # two throttles retried
    reqs = logged(h)
    assert [r.get("injected", False) for r in reqs] == [True, True, False]


def test_drop_after_response_makes_the_change_and_loses_the_reply(h):
    iam = client(h, "iam", config=NO_RETRY)
    control(h, "POST", "/_harness/faults", {"action": "CreateRole", "kind": "drop-after-response"})
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    # The backend served the call: the role exists although the caller saw no answer.
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["r"]
    assert logged(h) == [
        {"service": "iam", "action": "CreateRole", "injected": True},
        {"service": "iam", "action": "ListRoles"},
    ]
    assert control(h, "GET", "/_harness/faults") == []


def test_drop_after_response_sdk_retry_sees_the_change(h):
    iam = client(h, "iam", config=botocore.config.Config(retries={"total_max_attempts": 3, "mode": "standard"}))
    control(h, "POST", "/_harness/faults", {"action": "CreateRole", "kind": "drop-after-response"})
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert ei.value.response["Error"]["Code"] == "EntityAlreadyExists"  # the retry met the first call's role


def test_fault_kind_validated(h):
    with pytest.raises(urllib.error.HTTPError) as ei:
        control(h, "POST", "/_harness/faults", {"action": "CreateRole", "kind": "explode"})
    assert ei.value.code == 400
    with pytest.raises(urllib.error.HTTPError):
        control(h, "POST", "/_harness/faults", {"action": "CreateRole"})  # an error fault needs a code


# ------------------------------------------------------------------ ECS


def setup_ecs(url, image="repo/agent:1", family="agent"):
    ec2 = client(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]
    ecs = client(url, "ecs")
    ecs.create_cluster(clusterName="c")
    return ecs, {"awsvpcConfiguration": {"subnets": [sub], "securityGroups": [sg], "assignPublicIp": "DISABLED"}}


def register(ecs, image, family="agent", **container):
    return ecs.register_task_definition(
        family=family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="1024",
        memory="2048",
        containerDefinitions=[{"name": "agent", "image": image, "essential": True, **container}],
    )["taskDefinition"]["taskDefinitionArn"]


AWSLOGS = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/agent", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}}
HEALTH = {"command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"], "interval": 30, "retries": 3}


def describe(ecs, name="s"):
    return ecs.describe_services(cluster="c", services=[name])["services"][0]


def wait_for(fn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("condition not met")
        time.sleep(0.1)


def create_service(ecs, net, td, desired=1, breaker=None):
    kw = {}
    if breaker is not None:
        kw["deploymentConfiguration"] = {
            "deploymentCircuitBreaker": breaker,
            "maximumPercent": 100,
            "minimumHealthyPercent": 0,
        }
    return ecs.create_service(
        cluster="c", serviceName="s", taskDefinition=td, desiredCount=desired,
        launchType="FARGATE", networkConfiguration=net, **kw,
    )["service"]


def test_create_service_deploys(h):
    ecs, net = setup_ecs(h)
    td = register(ecs, "repo/agent:1")
    svc = create_service(ecs, net, "agent")
    assert svc["taskDefinition"] == td
    (dep,) = svc["deployments"]
    assert dep["status"] == "PRIMARY" and dep["rolloutState"] == "IN_PROGRESS"
    assert dep["id"].startswith("ecs-svc/") and dep["id"][8:].isdigit()
    assert (dep["desiredCount"], dep["runningCount"], dep["pendingCount"], dep["failedTasks"]) == (1, 0, 1, 0)
    assert dep["taskDefinition"] == td and dep["launchType"] == "FARGATE"
    assert svc["events"][0]["message"].startswith("(service s) has started 1 tasks: (task ")
    svc = wait_for(lambda: (s := describe(ecs)) and s["deployments"][0]["rolloutState"] == "COMPLETED" and s)
    dep = svc["deployments"][0]
    assert (dep["runningCount"], dep["pendingCount"]) == (1, 0)
    assert dep["rolloutStateReason"] == f"ECS deployment {dep['id']} completed."
    assert (svc["runningCount"], svc["pendingCount"]) == (1, 0)
    assert svc["events"][0]["message"] == "(service s) has reached a steady state."
    assert svc["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": False, "rollback": False}
    arns = ecs.list_tasks(cluster="c", serviceName="s")["taskArns"]
    assert len(arns) == 1
    task = ecs.describe_tasks(cluster="c", tasks=arns)["tasks"][0]
    assert task["lastStatus"] == "RUNNING" and task["group"] == "service:s" and task["startedBy"] == dep["id"]


def test_update_service_new_task_definition(h):
    ecs, net = setup_ecs(h)
    td1 = register(ecs, "repo/agent:1")
    td2 = register(ecs, "repo/agent:2")
    create_service(ecs, net, td1)
    wait_for(lambda: describe(ecs)["deployments"][0]["rolloutState"] == "COMPLETED")
    svc = ecs.update_service(cluster="c", service="s", taskDefinition="agent:2")["service"]
    assert svc["taskDefinition"] == td2
    assert [(d["status"], d["taskDefinition"], d["rolloutState"]) for d in svc["deployments"]] == [
        ("PRIMARY", td2, "IN_PROGRESS"),
        ("ACTIVE", td1, "COMPLETED"),
    ]
    svc = wait_for(lambda: (s := describe(ecs)) and len(s["deployments"]) == 1 and s)
    assert svc["deployments"][0]["taskDefinition"] == td2
    assert svc["deployments"][0]["rolloutState"] == "COMPLETED"
    # old task stopped by the scheduler, new one running
    assert len(ecs.list_tasks(cluster="c", serviceName="s")["taskArns"]) == 1
    assert len(ecs.list_tasks(cluster="c", serviceName="s", desiredStatus="STOPPED")["taskArns"]) == 1


def test_update_desired_count_only(h):
    ecs, net = setup_ecs(h)
    register(ecs, "repo/agent:1")
    create_service(ecs, net, "agent")
    wait_for(lambda: describe(ecs)["deployments"][0]["rolloutState"] == "COMPLETED")
    dep_id = describe(ecs)["deployments"][0]["id"]
    svc = ecs.update_service(cluster="c", service="s", desiredCount=0)["service"]
    assert [d["id"] for d in svc["deployments"]] == [dep_id]
    assert svc["deployments"][0]["desiredCount"] == 0
    svc = wait_for(lambda: (s := describe(ecs)) and s["deployments"][0]["rolloutState"] == "COMPLETED" and s)
    assert (svc["runningCount"], svc["desiredCount"]) == (0, 0)


def test_force_new_deployment(h):
    ecs, net = setup_ecs(h)
    td = register(ecs, "repo/agent:1")
    create_service(ecs, net, td)
    first = describe(ecs)["deployments"][0]["id"]
    svc = ecs.update_service(cluster="c", service="s", forceNewDeployment=True)["service"]
    assert len(svc["deployments"]) == 2 and svc["deployments"][1]["id"] == first
    assert svc["deployments"][0]["id"] != first


def test_failing_image_circuit_breaker_rollback(h):
    ecs, net = setup_ecs(h)
    td1 = register(ecs, "repo/agent:1")
    td2 = register(ecs, "repo/agent:bad")
    control(h, "POST", "/_harness/ecs/failing-images", {"image": "repo/agent:bad"})
    control(h, "POST", "/_harness/ecs", {"deploymentSeconds": 1.5})  # FAILED stays visible while polling
    create_service(ecs, net, td1, breaker={"enable": True, "rollback": True})
    good = wait_for(lambda: (d := describe(ecs)["deployments"][0]) and d["rolloutState"] == "COMPLETED" and d)
    svc = ecs.update_service(cluster="c", service="s", taskDefinition=td2)["service"]
    bad_id = svc["deployments"][0]["id"]
    svc = wait_for(lambda: (s := describe(ecs)) and any(d["rolloutState"] == "FAILED" for d in s["deployments"]) and s)
    failed = next(d for d in svc["deployments"] if d["id"] == bad_id)
    assert failed["rolloutState"] == "FAILED" and failed["status"] == "ACTIVE"
    assert failed["failedTasks"] == 3
    assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert svc["deployments"][0]["taskDefinition"] == td1 and svc["taskDefinition"] == td1
    msgs = [e["message"] for e in svc["events"]]
    assert f"(service s) deployment {bad_id} deployment failed: tasks failed to start." in msgs
    assert f"(service s) rolling back to deployment {good['id']}." in msgs
    svc = wait_for(lambda: (s := describe(ecs)) and len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED" and s)
    assert svc["deployments"][0]["taskDefinition"] == td1
    stopped = ecs.list_tasks(cluster="c", serviceName="s", desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster="c", tasks=stopped)["tasks"]
    failed_tasks = [t for t in tasks if t["startedBy"] == bad_id]
    assert len(failed_tasks) == 3
    t = failed_tasks[0]
    assert t["lastStatus"] == "STOPPED" and t["desiredStatus"] == "STOPPED"
    assert t["stopCode"] == "TaskFailedToStart" and t["stoppedReason"].startswith("ResourceInitializationError")
    assert t["containers"][0]["exitCode"] == 1 and t["taskDefinitionArn"] == td2
    assert "stoppedAt" in t and "createdAt" in t


def test_failing_first_deployment_breaker_no_rollback_target(h):
    ecs, net = setup_ecs(h)
    register(ecs, "repo/agent:bad")
    control(h, "POST", "/_harness/ecs/failing-images", {"image": "repo/agent:bad", "reason": "CannotPullContainerError: nope", "exitCode": 2})
    create_service(ecs, net, "agent", breaker={"enable": True, "rollback": True})
    svc = wait_for(lambda: (s := describe(ecs)) and s["deployments"][0]["rolloutState"] == "FAILED" and s)
    assert len(svc["deployments"]) == 1 and svc["deployments"][0]["status"] == "PRIMARY"
    time.sleep(0.5)
    assert len(describe(ecs)["deployments"]) == 1
    arn = ecs.list_tasks(cluster="c", serviceName="s", desiredStatus="STOPPED")["taskArns"][0]
    t = ecs.describe_tasks(cluster="c", tasks=[arn])["tasks"][0]
    assert t["stoppedReason"] == "CannotPullContainerError: nope" and t["containers"][0]["exitCode"] == 2


def test_failing_without_breaker_is_stuck(h):
    ecs, net = setup_ecs(h)
    register(ecs, "repo/agent:bad")
    control(h, "POST", "/_harness/ecs/failing-images", {"image": "repo/agent:bad"})
    create_service(ecs, net, "agent")
    time.sleep(0.7)
    d1 = describe(ecs)["deployments"][0]
    time.sleep(0.7)
    d2 = describe(ecs)["deployments"][0]
    assert d1["rolloutState"] == d2["rolloutState"] == "IN_PROGRESS"
    assert 0 < d1["failedTasks"] < d2["failedTasks"]


def test_desired_zero_completes(h):
    ecs, net = setup_ecs(h)
    register(ecs, "repo/agent:1")
    create_service(ecs, net, "agent", desired=0)
    svc = wait_for(lambda: (s := describe(ecs)) and s["deployments"][0]["rolloutState"] == "COMPLETED" and s)
    assert svc["runningCount"] == 0


def test_update_with_unknown_task_definition_fails(h):
    ecs, net = setup_ecs(h)
    register(ecs, "repo/agent:1")
    create_service(ecs, net, "agent")
    with pytest.raises(botocore.exceptions.ClientError):
        ecs.update_service(cluster="c", service="s", taskDefinition="agent:9")
    assert len(describe(ecs)["deployments"]) == 1


# ------------------------------------------------------------------ validation (harness/validate.py)

LAX = botocore.config.Config(parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"})
AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=0"


def raw(url, service, body, target=None):
    """Sends one request as the SDKs frame it (JSON with X-Amz-Target, or a query form),
    without the SDK's client-side checks; returns (status, parsed body)."""
    if target:
        headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
        data = json.dumps(body).encode()
    else:
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        data = urllib.parse.urlencode(body).encode()
    headers["Authorization"] = AUTH.format(service)
    req = urllib.request.Request(url + "/", data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


TASKDEF = {
    "family": "agent",
    "requiresCompatibilities": ["FARGATE"],
    "networkMode": "awsvpc",
    "cpu": "1024",
    "memory": "2048",
    "containerDefinitions": [{"name": "agent", "image": "repo/agent:1", "essential": True}],
}


def refused(call):
    with pytest.raises(botocore.exceptions.ClientError) as ei:
        call()
    err = ei.value.response
    return err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"], err["Error"]["Message"]


def test_valid_requests_pass_every_protocol(h):
    ecs = client(h, "ecs")
    assert ecs.register_task_definition(**TASKDEF)["taskDefinition"]["revision"] == 1
    iam = client(h, "iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf"},
    }))
    client(h, "ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": ["vpc-1"]}], MaxResults=5)
    client(h, "logs").create_log_group(logGroupName="/ecs/agent")


@pytest.mark.parametrize(
    "name,kwargs,message",
    [
        (
            "missing containerDefinitions",
            {k: v for k, v in TASKDEF.items() if k != "containerDefinitions"},
            "1 validation error detected: Value null at 'containerDefinitions' failed to satisfy constraint: Member must not be null",
        ),
        (
            "bad enum",
            {**TASKDEF, "networkMode": "bridgee"},
            "1 validation error detected: Value 'bridgee' at 'networkMode' failed to satisfy constraint: "
            "Member must satisfy enum value set: [bridge, host, awsvpc, none]",
        ),
        (
            "family too long",
            {**TASKDEF, "family": "f" * 256},
            f"1 validation error detected: Value '{'f' * 256}' at 'family' failed to satisfy constraint: "
            "Member must have length less than or equal to 255",
        ),
        (
            "two problems",
            {**TASKDEF, "networkMode": "bridgee", "containerDefinitions": [{"name": "a", "image": "i", "dependsOn": [{"containerName": "b"}]}]},
            "2 validation errors detected: Value 'bridgee' at 'networkMode' failed to satisfy constraint: "
            "Member must satisfy enum value set: [bridge, host, awsvpc, none]; "
            "Value null at 'containerDefinitions.1.member.dependsOn.1.member.condition' failed to satisfy constraint: Member must not be null",
        ),
    ],
)
def test_register_task_definition_refused(h, name, kwargs, message):
    ecs = client(h, "ecs", config=LAX)
    assert refused(lambda: ecs.register_task_definition(**kwargs)) == (400, "ClientException", message), name
    assert ecs.list_task_definitions()["taskDefinitionArns"] == []
    assert logged(h)[0] == {"service": "ecs", "action": "RegisterTaskDefinition"}


def test_register_task_definition_unknown_member(h):
    status, body = raw(h, "ecs", {**TASKDEF, "revision": 3}, target="AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition")
    assert status == 400
    assert json.loads(body) == {"__type": "ClientException", "message": "1 validation error detected: Unknown parameter 'revision'"}


def test_json_wrong_type_is_serialization_exception(h):
    status, body = raw(h, "ecs", {**TASKDEF, "containerDefinitions": [{"name": "a", "image": "i", "memory": "512"}]},
                       target="AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition")
    assert (status, json.loads(body)["__type"]) == (400, "SerializationException")


def test_other_ecs_operations_answer_invalid_parameter(h):
    ecs = client(h, "ecs", config=LAX)
    assert refused(lambda: ecs.list_task_definitions(status="GONE")) == (
        400, "InvalidParameterException",
        "1 validation error detected: Value 'GONE' at 'status' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ACTIVE, INACTIVE, DELETE_IN_PROGRESS]",
    )


def test_logs_pattern_refused(h):
    logs = client(h, "logs", config=LAX)
    status, code, message = refused(lambda: logs.create_log_group(logGroupName="bad name!"))
    assert (status, code) == (400, "InvalidParameterException")
    assert message.startswith("1 validation error detected: Value 'bad name!' at 'logGroupName' failed to satisfy constraint: "
                              "Member must satisfy regular expression pattern: ")


def test_sensitive_value_never_in_message(h):
    sm = client(h, "secretsmanager", config=LAX)
    status, code, message = refused(lambda: sm.create_secret(Name="s", SecretString="s3cr3t" * 20000))
    assert (status, code) == (400, "ValidationException")
    assert message == ("1 validation error detected: Value at 'secretString' failed to satisfy constraint: "
                       "Member must have length less than or equal to 65536")


def test_create_role_name_too_long(h):
    iam = client(h, "iam", config=LAX)
    name = "r" * 129
    assert refused(lambda: iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)) == (
        400, "ValidationError",
        f"1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64",
    )
    assert iam.list_roles()["Roles"] == []


def test_query_list_decoded_from_member_n(h):
    iam = client(h, "iam", config=LAX)
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert refused(lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, Tags=tags)) == (
        400, "ValidationError",
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
    )
    status, body = raw(h, "iam", {"Action": "CreateRole", "Version": "2010-05-08", "RoleName": "r",
                                  "AssumeRolePolicyDocument": TRUST, "Tags.member.1.Key": "k", "Colour": "red"})
    assert status == 400
    assert "<Type>Sender</Type><Code>ValidationError</Code><Message>2 validation errors detected: " in body
    assert "Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null" in body
    assert "Unknown parameter 'Colour'" in body


def test_ec2_refusals(h):
    status, body = raw(h, "ec2", {"Action": "DescribeSubnets", "Version": "2016-11-15", "Colour": "red"})
    assert status == 400 and "<Code>UnknownParameter</Code><Message>The parameter Colour is not recognized</Message>" in body
    ec2 = client(h, "ec2", config=LAX)
    assert refused(lambda: ec2.create_security_group(Description="d")) == (
        400, "MissingParameter", "The request must contain the parameter GroupName")


POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"}]}


@pytest.mark.parametrize(
    "doc,message",
    [
        ("{not json", "Syntax errors in policy."),
        ({"Version": "2012-10-17"}, "Missing required field Statement"),
        ({"Version": "2012-10-17", "Statement": [{"Action": "s3:GetObject", "Resource": "*"}]}, "Missing required field Effect"),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}, "Policy statement must contain actions."),
        ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}, "Policy statement must contain resources."),
        ({**POLICY, "Statements": []}, "Syntax errors in policy."),
        ({**POLICY, "Version": "2020-01-01"}, "The policy failed legacy parsing"),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "my-bucket"}]}, 'Resource my-bucket must be in ARN format or "*".'),
    ],
)
def test_put_role_policy_malformed(h, doc, message):
    iam = client(h, "iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    text = doc if isinstance(doc, str) else json.dumps(doc)
    assert refused(lambda: iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=text)) == (
        400, "MalformedPolicyDocument", message)
    assert iam.list_role_policies(RoleName="r")["PolicyNames"] == []


def test_trust_policy_grammar(h):
    iam = client(h, "iam")
    assert refused(lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(POLICY)))[1:] == (
        "MalformedPolicyDocument", "Has prohibited field Resource")
    no_principal = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    assert refused(lambda: iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(no_principal)))[1:] == (
        "MalformedPolicyDocument", "Missing required field Principal")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert refused(lambda: iam.update_assume_role_policy(RoleName="r", PolicyDocument="{}"))[1:] == (
        "MalformedPolicyDocument", "Missing required field Statement")


def _sized_policy(chars: int) -> str:
    """A valid policy of exactly `chars` non-whitespace characters (padded in the Sid)."""
    doc = {"Version": "2012-10-17", "Statement": [{"Sid": "", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    base = len(json.dumps(doc, separators=(",", ":")))
    doc["Statement"][0]["Sid"] = "S" * (chars - base)
    return json.dumps(doc, indent=4)  # whitespace is not counted


def test_inline_policy_size_quota(h):
    iam = client(h, "iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert refused(lambda: iam.put_role_policy(RoleName="r", PolicyName="big", PolicyDocument=_sized_policy(10241))) == (
        400, "LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role r")
    iam.put_role_policy(RoleName="r", PolicyName="a", PolicyDocument=_sized_policy(6000))
    iam.put_role_policy(RoleName="r", PolicyName="a", PolicyDocument=_sized_policy(6000))  # replacing is not adding
    assert refused(lambda: iam.put_role_policy(RoleName="r", PolicyName="b", PolicyDocument=_sized_policy(4241)))[1] == "LimitExceeded"
    iam.put_role_policy(RoleName="r", PolicyName="b", PolicyDocument=_sized_policy(4240))
    assert sorted(iam.list_role_policies(RoleName="r")["PolicyNames"]) == ["a", "b"]


def test_validation_switch(h):
    ecs = client(h, "ecs")
    assert control(h, "GET", "/_harness/validation") == {"enabled": True}
    assert control(h, "POST", "/_harness/validation", {"enabled": False}) == {"enabled": False}
    ecs.register_task_definition(**{**TASKDEF, "networkMode": "bridgee"})  # moto itself accepts it
    client(h, "iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")
    control(h, "POST", "/_harness/reset")
    assert control(h, "GET", "/_harness/validation") == {"enabled": True}
    assert refused(lambda: ecs.register_task_definition(**{**TASKDEF, "networkMode": "bridgee"}))[1] == "ClientException"


def test_ecs_refuses_more_services_or_tasks_than_it_describes_at_once(h):
    """ECS describes at most 10 services and 100 tasks per call (its model says no maximum,
    moto answers any number): the harness answers what ECS answers."""
    ecs = client(h, "ecs")
    ecs.create_cluster(clusterName="c")
    assert ecs.describe_services(cluster="c", services=[f"s{i}" for i in range(10)])["failures"]
    assert refused(lambda: ecs.describe_services(cluster="c", services=[f"s{i}" for i in range(11)])) == (
        400, "InvalidParameterException", "service names can have at most 10 items.")
    assert ecs.describe_tasks(cluster="c", tasks=[f"{i:032x}" for i in range(100)])["tasks"] == []  # accepted
    assert refused(lambda: ecs.describe_tasks(cluster="c", tasks=[f"{i:032x}" for i in range(101)])) == (
        400, "InvalidParameterException", "taskIds can have at most 100 items.")


def test_check_params_on_parsed_requests():
    """The LocalStack lane checks the request LocalStack already parsed (datetimes, bytes,
    Python lists): the same verdicts as on the wire."""
    import datetime

    sys.path.insert(0, HERE)
    from harness import validate

    assert validate.check_params("ecs", "RegisterTaskDefinition", dict(TASKDEF)) is None
    assert validate.check_params("ecs", "RegisterTaskDefinition", {**TASKDEF, "networkMode": "bridgee"})["code"] == "ClientException"
    assert validate.check_params("ecs", "RegisterTaskDefinition", {**TASKDEF, "family": "my agent"}) == {
        "status": 400, "code": "ClientException", "message": "Family contains invalid characters."}
    assert validate.check_params("kms", "Encrypt", {"KeyId": "alias/k", "Plaintext": b"x" * 4096}) is None
    assert validate.check_params("kms", "Encrypt", {"KeyId": "alias/k", "Plaintext": b"x" * 4097}) == {
        "status": 400, "code": "ValidationException",
        "message": "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
                   "Member must have length less than or equal to 4096"}
    assert validate.check_params("logs", "FilterLogEvents", {"logGroupName": "/ecs/a", "startTime": 1, "limit": 5}) is None
    assert validate.check_params("secretsmanager", "ListSecrets", {"MaxResults": 5}) is None
    assert validate.check_params("kms", "ScheduleKeyDeletion", {"KeyId": "k", "PendingWindowInDays": 6}) is None
    assert validate.check_params("iam", "CreatePolicyVersion", {"PolicyArn": "arn:aws:iam::123456789012:policy/p",
                                                                "PolicyDocument": json.dumps(POLICY), "SetAsDefault": True}) is None
    assert validate.check_params("ssm", "GetParameters", {"Names": ["/a"], "WithDecryption": True}) is None
    assert validate.check_params("ecr", "DescribeImages", {"repositoryName": "repo/agent", "imageIds": [{"imageTag": "1"}]}) is None
    started = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    assert validate.check_params("ecs", "ListServiceDeployments", {"service": "s", "createdAt": {"after": started}}) is None
    assert validate.check_params("logs", "FilterLogEvents", {"logGroupName": "/ecs/a", "limit": 0})["code"] == "InvalidParameterException"
    assert validate.check_params("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "launch", "DurationSeconds": 900}) is None
    assert validate.check_params("iam", "CreateRole", {"RoleName": "a b", "AssumeRolePolicyDocument": TRUST})["message"] == (
        "1 validation error detected: Value 'a b' at 'roleName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+")
    assert validate.check_params("ec2", "DescribeSubnets", {"SubnetIds": ["subnet-1"], "DryRun": False}) is None

def test_create_service_twice_needs_the_same_client_token(h):
    ecs, net = setup_ecs(h)
    register(ecs, "repo/agent:1")
    kw = dict(cluster="c", serviceName="s", taskDefinition="agent", desiredCount=1, launchType="FARGATE", networkConfiguration=net)
    first = ecs.create_service(clientToken="run-1", **kw)["service"]
    again = ecs.create_service(clientToken="run-1", **kw)["service"]  # a retried request
    assert again["serviceArn"] == first["serviceArn"]
    assert again["deployments"][0]["id"] == first["deployments"][0]["id"]  # nothing redeployed
    for token in ("run-2", None):
        with pytest.raises(botocore.exceptions.ClientError) as ei:
            ecs.create_service(**kw, **({"clientToken": token} if token else {}))
        assert ei.value.response["Error"]["Code"] == "InvalidParameterException"
        assert ei.value.response["Error"]["Message"] == "Creation of service was not idempotent."
    assert len(ecs.list_services(cluster="c")["serviceArns"]) == 1
    ecs.update_service(cluster="c", service="s", desiredCount=0)
    ecs.delete_service(cluster="c", service="s")
    ecs.create_service(clientToken="run-3", **kw)  # an INACTIVE service may be created again


# ------------------------------------------------------------------ task logs and health


def stopped_tasks(ecs, dep_id=None):
    arns = ecs.list_tasks(cluster="c", serviceName="s", desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster="c", tasks=arns)["tasks"] if arns else []
    return [t for t in tasks if dep_id is None or t["startedBy"] == dep_id]


def test_failing_image_with_logs_writes_the_awslogs_stream(h):
    ecs, net = setup_ecs(h)
    client(h, "logs").create_log_group(logGroupName="/ecs/agent")
    register(ecs, "repo/agent:bad", logConfiguration=AWSLOGS)
    control(h, "POST", "/_harness/ecs/failing-images",
            {"image": "repo/agent:bad", "logs": ["starting agent", "error: invalid client secret"]})
    create_service(ecs, net, "agent", breaker={"enable": True, "rollback": True})
    wait_for(lambda: describe(ecs)["deployments"][0]["rolloutState"] == "FAILED")
    tasks = stopped_tasks(ecs)
    assert len(tasks) == 3
    t = tasks[0]
    assert t["stoppedReason"] == "Essential container in task exited"
    assert t["stopCode"] == "EssentialContainerExited" and t["containers"][0]["exitCode"] == 1
    assert "startedAt" in t
    logs = client(h, "logs")
    task_id = t["taskArn"].split("/")[-1]
    # awslogs driver: <awslogs-stream-prefix>/<container name>/<task id>
    ev = logs.get_log_events(logGroupName="/ecs/agent", logStreamName=f"ecs/agent/{task_id}", startFromHead=True)["events"]
    assert [e["message"] for e in ev] == ["starting agent", "error: invalid client secret"]
    assert ev[0]["timestamp"] < ev[1]["timestamp"] <= int(time.time() * 1000)
    streams = logs.describe_log_streams(logGroupName="/ecs/agent")["logStreams"]
    assert sorted(s["logStreamName"] for s in streams) == sorted(f"ecs/agent/{x['taskArn'].split('/')[-1]}" for x in tasks)


def test_failing_image_without_logs_writes_none(h):
    # ResourceInitializationError: the container never ran, so it logged nothing.
    ecs, net = setup_ecs(h)
    client(h, "logs").create_log_group(logGroupName="/ecs/agent")
    register(ecs, "repo/agent:bad", logConfiguration=AWSLOGS)
    control(h, "POST", "/_harness/ecs/failing-images", {"image": "repo/agent:bad"})
    create_service(ecs, net, "agent", breaker={"enable": True, "rollback": False})
    wait_for(lambda: describe(ecs)["deployments"][0]["rolloutState"] == "FAILED")
    assert stopped_tasks(ecs)[0]["stopCode"] == "TaskFailedToStart"
    assert client(h, "logs").describe_log_streams(logGroupName="/ecs/agent")["logStreams"] == []


def test_failing_image_logs_need_the_group(h):
    # ECS does not create the awslogs group: without it nothing is written.
    ecs, net = setup_ecs(h)
    register(ecs, "repo/agent:bad", logConfiguration=AWSLOGS)
    control(h, "POST", "/_harness/ecs/failing-images", {"image": "repo/agent:bad", "logs": ["boom"]})
    create_service(ecs, net, "agent", breaker={"enable": True, "rollback": False})
    wait_for(lambda: describe(ecs)["deployments"][0]["rolloutState"] == "FAILED")
    assert client(h, "logs").describe_log_groups()["logGroups"] == []


def test_failing_image_logs_must_be_a_list(h):
    with pytest.raises(urllib.error.HTTPError) as ei:
        control(h, "POST", "/_harness/ecs/failing-images", {"image": "x", "logs": "boom"})
    assert ei.value.code == 400


def test_health_check_healthy_once_running(h):
    ecs, net = setup_ecs(h)
    register(ecs, "repo/agent:1", healthCheck=HEALTH)
    create_service(ecs, net, "agent")
    arn = ecs.list_tasks(cluster="c", serviceName="s")["taskArns"][0]
    t = ecs.describe_tasks(cluster="c", tasks=[arn])["tasks"][0]
    assert t["healthStatus"] == "UNKNOWN" and t["containers"][0]["healthStatus"] == "UNKNOWN"
    wait_for(lambda: describe(ecs)["deployments"][0]["rolloutState"] == "COMPLETED")
    t = ecs.describe_tasks(cluster="c", tasks=[arn])["tasks"][0]
    assert t["lastStatus"] == "RUNNING"
    assert t["healthStatus"] == "HEALTHY" and t["containers"][0]["healthStatus"] == "HEALTHY"


def test_no_health_check_stays_unknown(h):
    ecs, net = setup_ecs(h)
    register(ecs, "repo/agent:1")
    control(h, "POST", "/_harness/ecs/unhealthy-images", {"image": "repo/agent:1"})  # nothing to fail
    create_service(ecs, net, "agent")
    wait_for(lambda: describe(ecs)["deployments"][0]["rolloutState"] == "COMPLETED")
    t = ecs.describe_tasks(cluster="c", tasks=ecs.list_tasks(cluster="c", serviceName="s")["taskArns"])["tasks"][0]
    assert t["healthStatus"] == "UNKNOWN" and t["containers"][0]["healthStatus"] == "UNKNOWN"


def test_unhealthy_image_runs_unhealthy_and_is_replaced(h):
    ecs, net = setup_ecs(h)
    register(ecs, "repo/agent:sick", healthCheck=HEALTH)
    control(h, "POST", "/_harness/ecs/unhealthy-images", {"image": "repo/agent:sick"})
    control(h, "POST", "/_harness/ecs", {"deploymentSeconds": 0.5})
    create_service(ecs, net, "agent")
    dep = wait_for(lambda: (d := describe(ecs)["deployments"][0]) and d["runningCount"] == 1 and d)
    assert dep["rolloutState"] == "IN_PROGRESS" and dep["failedTasks"] == 0
    arns = ecs.list_tasks(cluster="c", serviceName="s")["taskArns"]
    t = ecs.describe_tasks(cluster="c", tasks=arns)["tasks"][0]
    assert t["lastStatus"] == "RUNNING"
    assert t["healthStatus"] == "UNHEALTHY" and t["containers"][0]["healthStatus"] == "UNHEALTHY"
    assert any(e["message"] == f"(service s) (task {arns[0].split('/')[-1]}) failed container health checks." for e in describe(ecs)["events"])
    # the next period the scheduler stops it and starts another, which fails the same way
    dep = wait_for(lambda: (d := describe(ecs)["deployments"][0]) and d["failedTasks"] >= 1 and d)
    assert dep["rolloutState"] == "IN_PROGRESS"
    (stopped,) = stopped_tasks(ecs)[:1]
    assert stopped["stoppedReason"] == "Task failed container health checks"
    assert stopped["stopCode"] == "ServiceSchedulerInitiated" and stopped["healthStatus"] == "UNHEALTHY"


def test_unhealthy_image_circuit_breaker_rolls_back(h):
    ecs, net = setup_ecs(h)
    td1 = register(ecs, "repo/agent:1", healthCheck=HEALTH)
    td2 = register(ecs, "repo/agent:sick", healthCheck=HEALTH)
    control(h, "POST", "/_harness/ecs/unhealthy-images", {"image": "repo/agent:sick"})
    control(h, "POST", "/_harness/ecs", {"deploymentSeconds": 0.5})
    create_service(ecs, net, td1, breaker={"enable": True, "rollback": True})
    wait_for(lambda: describe(ecs)["deployments"][0]["rolloutState"] == "COMPLETED")
    bad = ecs.update_service(cluster="c", service="s", taskDefinition=td2)["service"]["deployments"][0]["id"]
    svc = wait_for(lambda: (s := describe(ecs)) and any(d["rolloutState"] == "FAILED" for d in s["deployments"]) and s)
    failed = next(d for d in svc["deployments"] if d["id"] == bad)
    assert failed["failedTasks"] == 3
    assert failed["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed container health checks."
    assert svc["taskDefinition"] == td1
    assert {t["stoppedReason"] for t in stopped_tasks(ecs, bad)} == {"Task failed container health checks"}


def test_unhealthy_images_cleared(h):
    control(h, "POST", "/_harness/ecs/unhealthy-images", {"image": "a"})
    assert control(h, "GET", "/_harness/ecs")["unhealthyImages"] == {"a": {}}
    control(h, "DELETE", "/_harness/ecs/unhealthy-images")
    assert control(h, "GET", "/_harness/ecs")["unhealthyImages"] == {}
