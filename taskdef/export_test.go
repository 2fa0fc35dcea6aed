package taskdef

import "github.com/aws/aws-sdk-go-v2/service/ecs"

// CloneInput exposes the deep copy to the external tests.
var CloneInput = clone[*ecs.RegisterTaskDefinitionInput]
