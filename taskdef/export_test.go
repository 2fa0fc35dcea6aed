package taskdef

import "github.com/aws/aws-sdk-go-v2/service/ecs"

// CloneInput exposes the deep copy to the external tests.
var CloneInput = clone[*ecs.RegisterTaskDefinitionInput]

// Merge is Build without the canonical form, so tests can see where each
// value lands in the base's own order and shape.
var Merge = merge

// PlainJSON exposes the JSON that panics on what a task definition cannot
// hold.
var PlainJSON = plainJSON
