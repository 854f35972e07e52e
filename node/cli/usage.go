package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// annotationGroup marks a command that only holds others.
const annotationGroup = "lineaged/group"

// exitUsage is the exit status of a command line that cannot be run as
// given: an unknown command or flag, a flag value that does not parse, a
// wrong number of arguments, a missing required flag, an invalid -o. It is
// 2 for every command, so that no usage mistake reads as a command's own
// failure status 1 (a DENY from gate check, an invalid receipt from
// verify, a rejected transaction). Commands with more codes keep 2 for
// this: gate check's and verify's 2 already mean "could not answer".
const exitUsage = 2

// usageError is a command line that cannot be run as given.
type usageError struct{ err error }

func (u *usageError) Error() string { return u.err.Error() }
func (u *usageError) Unwrap() error { return u.err }

// usageErr marks err as a usage error (nil stays nil).
func usageErr(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err: err}
}

// usagef is a usage error with a message.
func usagef(format string, args ...any) error { return &usageError{err: fmt.Errorf(format, args...)} }

// enforceUsage makes every command of root's tree, including cobra's own
// completion commands, report usage mistakes as usage errors:
//
//   - flag errors (unknown flags, values that do not parse);
//   - argument counts: each command's Args validator is wrapped, and a
//     command that runs something but declares none takes no arguments,
//     so a stray argument is never silently ignored;
//   - a command group (a command that only holds others) given anything
//     but one of its commands answers "unknown command", with
//     suggestions. Invoked alone, a group prints its help and exits 0:
//     asking what a group holds is not a mistake.
//
// Required flags and flag groups are checked as usage in [env.prepare].
// Run it once the tree is complete.
func enforceUsage(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if isCobraHelp(c) {
			return
		}
		switch {
		case c.HasSubCommands() && !c.Runnable():
			c.Args = unknownSubcommand
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
			if c.Annotations == nil {
				c.Annotations = map[string]string{}
			}
			c.Annotations[annotationGroup] = "true"
		case c.Args == nil:
			c.Args = cobra.NoArgs
		}
		args := c.Args
		c.Args = func(cmd *cobra.Command, a []string) error { return usageErr(args(cmd, a)) }
	}
	walk(root)
}

// isCobraHelp reports whether c is cobra's help command, which takes any
// command path as its arguments.
func isCobraHelp(c *cobra.Command) bool {
	return c.HasParent() && c.Parent() == c.Root() && c.Name() == "help"
}

// unknownSubcommand is the Args of a command group: no argument but one of
// its commands (which cobra has already dispatched to) is valid.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	if len(names) > 0 {
		msg += fmt.Sprintf("\n\n%s holds: %s", cmd.CommandPath(), strings.Join(names, ", "))
	}
	return errors.New(msg)
}

// exitCode is the process exit status for an error a command returned.
func exitCode(err error) int {
	var ee *exitError
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		return exitUsage
	}
	return 1
}
