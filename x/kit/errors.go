package kit

import (
	"errors"
	"fmt"
)

// Error is a rejection with a stable identity. Codespace and Code are part
// of consensus (they are committed in block results) and of the public API;
// once released they never change meaning.
type Error struct {
	Codespace string
	Code      uint32
	Message   string
	// notFound marks the error of a record that does not exist.
	notFound bool
}

// NewError defines an error. Modules keep their errors in one table in
// errors.go so that codes stay unique and documented; there is no global
// registry.
func NewError(codespace string, code uint32, message string) *Error {
	if code == 0 {
		panic("kit: error code 0 means success")
	}
	return &Error{Codespace: codespace, Code: code, Message: message}
}

func (e *Error) Error() string { return e.Message }

// MarkNotFound marks e as the answer for a record that does not exist, so
// that the query APIs report it as such (gRPC NotFound, HTTP 404) rather
// than as a bad request. It returns e, for use where e is defined.
func (e *Error) MarkNotFound() *Error {
	e.notFound = true
	return e
}

// NotFound reports whether e answers for a record that does not exist.
func (e *Error) NotFound() bool { return e.notFound }

// Wrapf adds context to e; errors.Is and errors.As still find e.
func (e *Error) Wrapf(format string, args ...any) error {
	return &wrapped{base: e, detail: fmt.Sprintf(format, args...)}
}

type wrapped struct {
	base   *Error
	detail string
}

func (w *wrapped) Error() string { return w.base.Message + ": " + w.detail }
func (w *wrapped) Unwrap() error { return w.base }

// CodeOf returns the codespace and code of err, and whether err carries one.
func CodeOf(err error) (codespace string, code uint32, ok bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Codespace, e.Code, true
	}
	return "", 0, false
}
