"""Creates in the emulator what a real AWS account already has before a
first deploy: a VPC with two subnets, a security group, and the agent's
credentials secret. Prints shell `export` lines for deploy.yaml's variables.
Runs with the emulator's virtualenv (boto3 comes with moto)."""

import json
import os

import boto3

endpoint = os.environ["AWS_ENDPOINT_URL"]
region = os.environ.get("AWS_REGION", "eu-west-1")
kw = dict(endpoint_url=endpoint, region_name=region, aws_access_key_id="test", aws_secret_access_key="test")

ec2 = boto3.client("ec2", **kw)
vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
subnets = [
    ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
    for i, az in enumerate(zones, start=1)
]
sg = ec2.create_security_group(GroupName="streaming-agent", Description="Matillion Streaming agent", VpcId=vpc)["GroupId"]

sm = boto3.client("secretsmanager", **kw)
name = "matillion/streaming-agent/credentials"
# A demo value only: launch itself never reads it.
sm.create_secret(Name=name, SecretString=json.dumps({"client_id": "demo-client", "client_secret": "demo-secret"}))

print(f"export SUBNET_1={subnets[0]} SUBNET_2={subnets[1]} SECURITY_GROUP={sg}")
