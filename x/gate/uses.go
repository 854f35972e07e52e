package gate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// useNames are the names users type for uses: in the CLI (gate check
// --use, licences' --allow, verify --expect-use) and in the REST API
// (?uses=, and "uses" in a request body). The first name of each is its
// canonical name, what [UseName] prints; "fine-tune" is a synonym.
var useNames = []struct {
	use   gatev1.Use
	names []string
}{
	{gatev1.Use_USE_COMMERCIAL, []string{"commercial"}},
	{gatev1.Use_USE_DERIVATIVES, []string{"derivatives", "fine-tune"}},
	{gatev1.Use_USE_REDISTRIBUTION, []string{"redistribution"}},
	{gatev1.Use_USE_AI_TRAINING, []string{"ai-training"}},
}

// ParseUses reads a comma-separated list of uses as [ParseUse] reads each.
// A use named twice counts once; the result is in [gatev1.Use] order, as
// [Keeper.Check] wants it.
func ParseUses(s string) ([]gatev1.Use, error) {
	if strings.TrimSpace(s) == "" {
		return nil, ErrInvalidRequest.Wrapf("uses: at least one use is required (%s)", UseList())
	}
	var out []gatev1.Use
	for part := range strings.SplitSeq(s, ",") {
		u, err := ParseUse(part)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	slices.Sort(out)
	return out, nil
}

// ParseUse reads one use as users type it: "commercial", "derivatives"
// (or its synonym "fine-tune"), "redistribution" or "ai-training", in any
// case and with "_" for "-". The names other places give the uses are
// accepted too: the enum names (USE_AI_TRAINING, or AI_TRAINING) and the
// licence's usage fields and restrictions (commercial_use, ai_training).
// An unknown name is refused with the list of valid ones.
func ParseUse(s string) (gatev1.Use, error) {
	n := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
	n = strings.TrimPrefix(n, "use-")
	if n == "commercial-use" {
		n = "commercial"
	}
	for _, u := range useNames {
		if slices.Contains(u.names, n) {
			return u.use, nil
		}
	}
	return gatev1.Use_USE_UNSPECIFIED, ErrInvalidRequest.Wrapf("uses: unknown use %q (want %s)", strings.TrimSpace(s), UseList())
}

// UseName is the canonical name [ParseUse] reads for u.
func UseName(u gatev1.Use) string {
	for _, n := range useNames {
		if n.use == u {
			return n.names[0]
		}
	}
	return fmt.Sprintf("unknown(%d)", int32(u))
}

// UseNames are the canonical names of every use, in [gatev1.Use] order.
func UseNames() []string {
	out := make([]string, len(useNames))
	for i, n := range useNames {
		out[i] = n.names[0]
	}
	return out
}

// UseList describes the valid uses for messages and help texts:
// "commercial, derivatives (or fine-tune), redistribution, ai-training".
func UseList() string {
	parts := make([]string, len(useNames))
	for i, n := range useNames {
		parts[i] = n.names[0]
		if len(n.names) > 1 {
			parts[i] += " (or " + strings.Join(n.names[1:], ", ") + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// knownUse reports whether u is a use a request may name.
func knownUse(u gatev1.Use) bool {
	_, known := gatev1.Use_name[int32(u)]
	return known && u != gatev1.Use_USE_UNSPECIFIED
}

// licenceUse is the name x/licenses gives u in its restrictions, and what
// its Usage says about it.
func licenceUse(u gatev1.Use) (name string, permitted func(*licensesv1.Usage) bool) {
	switch u {
	case gatev1.Use_USE_COMMERCIAL:
		return "commercial_use", (*licensesv1.Usage).GetCommercialUse
	case gatev1.Use_USE_DERIVATIVES:
		return "derivatives", (*licensesv1.Usage).GetDerivatives
	case gatev1.Use_USE_REDISTRIBUTION:
		return "redistribution", (*licensesv1.Usage).GetRedistribution
	case gatev1.Use_USE_AI_TRAINING:
		return "ai_training", (*licensesv1.Usage).GetAiTraining
	}
	// Unreachable: requests are validated to hold known uses only.
	return "", func(*licensesv1.Usage) bool { return false }
}
