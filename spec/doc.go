// Package spec owns deploy.yaml: it reads the file, substitutes ${VAR}
// references, decodes it strictly into the model in types.go, fills defaults
// and validates everything AWS would reject, reporting every problem at once
// with its file, line and field path.
// It knows nothing of AWS APIs, so validating and rendering a spec stay offline.
package spec
