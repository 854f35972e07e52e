package receipt

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestAppVersion: a receipt's headers must name the app version whose rules
// this verifier re-runs; another one is unusable, not valid.
func TestAppVersion(t *testing.T) {
	c := newSynthChain(t)
	c.setFrom(1, 5, setOf(newValidators(c.s, 3)...))
	if _, err := Verify(context.Background(), c.receipt(), c.genesis()); err != nil {
		t.Fatalf("re-signed receipt of app version %d rejected: %v", AppVersion, err)
	}
	c.appVersion = AppVersion + 1
	_, err := Verify(context.Background(), c.receipt(), c.genesis())
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "app version") {
		t.Fatalf("receipt of app version %d: %v, want unusable", c.appVersion, err)
	}
}
