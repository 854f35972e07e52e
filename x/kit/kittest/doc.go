// Package kittest provides an in-memory [kit.Store] for module unit tests,
// so that modules can be tested without the application or a database, and
// small helpers for checking the events handlers return.
package kittest
