package spec

// IsRegionName reports whether name has the form of an AWS region name,
// such as eu-west-1: the rule the spec's region is checked with, for the
// command line's --region.
func IsRegionName(name string) bool { return regionRe.MatchString(name) }
