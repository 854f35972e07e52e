package gate

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
)

func TestParseUses(t *testing.T) {
	const (
		commercial = gatev1.Use_USE_COMMERCIAL
		deriv      = gatev1.Use_USE_DERIVATIVES
		redist     = gatev1.Use_USE_REDISTRIBUTION
		training   = gatev1.Use_USE_AI_TRAINING
	)
	cases := []struct {
		in   string
		want []gatev1.Use // nil: an error
	}{
		{"commercial", []gatev1.Use{commercial}},
		{"ai-training,commercial", []gatev1.Use{commercial, training}},
		{"commercial,fine-tune,derivatives,redistribution,ai-training", []gatev1.Use{commercial, deriv, redist, training}},
		{"fine-tune", []gatev1.Use{deriv}},
		{" Commercial , REDISTRIBUTION ", []gatev1.Use{commercial, redist}},
		{"commercial,commercial", []gatev1.Use{commercial}},
		{"", nil},
		{"  ", nil},
		{"commercial,", nil},
		{"commercial,,derivatives", nil},
		{"training", nil},
		{"commercial-ai-training", nil},
		{"use", nil},
		// The names other places give the uses are aliases.
		{"USE_COMMERCIAL,USE_AI_TRAINING", []gatev1.Use{commercial, training}},
		{"COMMERCIAL,DERIVATIVES", []gatev1.Use{commercial, deriv}},
		{"commercial_use,ai_training", []gatev1.Use{commercial, training}},
		{"commercial-use,Fine_Tune", []gatev1.Use{commercial, deriv}},
		{"use-redistribution", []gatev1.Use{redist}},
	}
	for _, c := range cases {
		got, err := ParseUses(c.in)
		if c.want == nil {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("ParseUses(%q) = %v, %v; want ErrInvalidRequest", c.in, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseUses(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestUseNamesRoundTrip(t *testing.T) {
	for n := range gatev1.Use_name {
		u := gatev1.Use(n)
		if !knownUse(u) {
			continue
		}
		got, err := ParseUses(UseName(u))
		if err != nil || !slices.Equal(got, []gatev1.Use{u}) {
			t.Errorf("ParseUses(UseName(%s)) = %v, %v", u, got, err)
		}
		if name, _ := licenceUse(u); name == "" {
			t.Errorf("%s has no licence use", u)
		}
	}
	if got := UseName(gatev1.Use(9)); got != "unknown(9)" {
		t.Errorf("UseName(9) = %q", got)
	}
}

// TestUnknownUseListsTheValidOnes: a refused use names every valid one.
func TestUnknownUseListsTheValidOnes(t *testing.T) {
	_, err := ParseUses("commercial,training")
	want := `unknown use "training" (want commercial, derivatives (or fine-tune), redistribution, ai-training)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want it to say %s", err, want)
	}
	if got := UseNames(); !slices.Equal(got, []string{"commercial", "derivatives", "redistribution", "ai-training"}) {
		t.Errorf("UseNames() = %q", got)
	}
}
