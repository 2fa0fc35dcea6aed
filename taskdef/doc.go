// Package taskdef builds the Fargate task definition for one agent, from a base
// definition as `aws ecs describe-task-definition` prints it or from the spec alone.
// It compares that definition with the family's newest ACTIVE revision in a
// normalised form, so an unchanged definition is reused instead of re-registered.
package taskdef
