package preflight

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus is the HTTP status of the response that made err, or 0.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// isInterrupted reports whether err came from ctx ending.
func isInterrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// isDenied reports whether AWS refused the call for lack of permission.
func isDenied(err error) bool {
	switch errorCode(err) {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess":
		return true
	}
	return httpStatus(err) == 403
}

// isUnsupported reports whether the endpoint does not implement the call
// (LocalStack answers 501, others InvalidAction or an unknown operation).
func isUnsupported(err error) bool {
	switch errorCode(err) {
	case "NotImplemented", "InvalidAction", "UnknownOperation", "UnknownOperationException", "NotImplementedException":
		return true
	}
	return httpStatus(err) == 501
}

// errText is err's text on one line.
func errText(err error) string { return oneLine(err.Error()) }

// oneLine folds any run of whitespace containing a line break into a space.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
