// Package imageref checks container image references the way a registry
// and ECS read them, for the spec and for task definitions alike.
package imageref

import (
	"fmt"
	"strconv"

	"github.com/distribution/reference"
)

// MaxLength is the longest image reference ECS accepts in a container
// definition ("Up to 255 letters…", ECS task definition parameters, image).
const MaxLength = 255

// Check returns "" when image is a valid reference, else why not, as a
// sentence that ends with the fix. The grammar is the OCI distribution
// reference grammar, as github.com/distribution/reference implements it
// (the library Docker and containerd parse references with).
func Check(image string) string {
	switch {
	case image == "":
		return "the image is empty; write a reference such as public.ecr.aws/org/name:tag"
	case len(image) > MaxLength:
		return fmt.Sprintf("the image reference is %d characters long; ECS takes at most %d: check where it came from", len(image), MaxLength)
	}
	if _, err := reference.Parse(image); err != nil {
		return fmt.Sprintf("%s is not a valid image reference (%v); write [registry/]repository[:tag][@sha256:digest] with a lowercase repository, such as public.ecr.aws/org/name:tag", quoteShort(image), err)
	}
	return ""
}

// quoteShort quotes s, cut to 60 characters so a runaway value does not
// flood the message.
func quoteShort(s string) string {
	if len(s) > 60 {
		return strconv.Quote(s[:57]) + "…"
	}
	return strconv.Quote(s)
}
