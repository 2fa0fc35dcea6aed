package main
import (
 _ "github.com/aws/aws-sdk-go-v2/aws"
 _ "github.com/aws/aws-sdk-go-v2/config"
 _ "github.com/aws/aws-sdk-go-v2/service/ecs"
 _ "github.com/aws/aws-sdk-go-v2/service/iam"
 _ "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
 _ "github.com/aws/aws-sdk-go-v2/service/sts"
 _ "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
 _ "github.com/aws/aws-sdk-go-v2/service/ec2"
 _ "github.com/aws/aws-sdk-go-v2/service/kms"
 _ "github.com/aws/smithy-go"
 _ "gopkg.in/yaml.v3"
 _ "golang.org/x/sync/errgroup"
 _ "github.com/google/go-cmp/cmp"
 _ "github.com/pmezard/go-difflib/difflib"
)
func main(){}
