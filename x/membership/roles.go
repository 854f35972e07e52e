package membership

import (
	"fmt"
	"strings"

	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// roleNames are the names users type: the enum name without its prefix,
// lower-case, with hyphens.
var roleNames = func() map[pb.Role]string {
	m := make(map[pb.Role]string, len(pb.Role_name))
	for v, n := range pb.Role_name {
		if v != 0 {
			m[pb.Role(v)] = strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(n, "ROLE_")), "_", "-")
		}
	}
	return m
}()

// RoleName is the user-facing name of a role, e.g. "model-publisher".
func RoleName(r pb.Role) string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return fmt.Sprintf("role(%d)", int32(r))
}

// AllRoles lists every assignable role in wire order.
func AllRoles() []pb.Role {
	out := make([]pb.Role, 0, len(roleNames))
	for v := int32(1); int(v) < len(pb.Role_name); v++ {
		out = append(out, pb.Role(v))
	}
	return out
}

// ParseRoles parses a comma-separated list of role names; "all" means every
// role.
func ParseRoles(s string) ([]pb.Role, error) {
	if strings.TrimSpace(s) == "all" {
		return AllRoles(), nil
	}
	var out []pb.Role
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		found := false
		for r, n := range roleNames {
			if n == part {
				out = append(out, r)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown role %q (known: %s)", part, rolesString(AllRoles()))
		}
	}
	return out, nil
}
