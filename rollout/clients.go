package rollout

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/launchdeploy/launch/preflight"
)

// NewClients builds the SDK clients a rollout uses from one config.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		STS:     sts.NewFromConfig(cfg),
		IAM:     iam.NewFromConfig(cfg),
		Secrets: secretsmanager.NewFromConfig(cfg),
		KMS:     kms.NewFromConfig(cfg),
		ECS:     ecs.NewFromConfig(cfg),
		Logs:    cloudwatchlogs.NewFromConfig(cfg),
		Preflight: preflight.Clients{
			EC2: ec2.NewFromConfig(cfg),
			ECR: ecr.NewFromConfig(cfg),
			IAM: iam.NewFromConfig(cfg),
			SSM: ssm.NewFromConfig(cfg),
			// An endpoint override (an emulator, a VPC endpoint) serves
			// buckets by path, not as <bucket>.<host>.
			S3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil }),
		},
		Region: cfg.Region,
	}
}

// NewDestroyClients builds the SDK clients destroy uses.
func NewDestroyClients(cfg aws.Config) DestroyClients {
	return DestroyClients{STS: sts.NewFromConfig(cfg), ECS: ecs.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg), Region: cfg.Region}
}
