package localnet

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// namespaces puts each node of a network in its own Linux network
// namespace, joined by a bridge in the host namespace, so that the nodes
// can be cut apart. (On loopback they cannot: every node dials its peers
// from 127.0.0.1, so no filter can tell one node's packets from
// another's.)
//
// Addresses come from 198.18.0.0/15, the range reserved for network
// benchmarks: subnet 198.18.<id>.0/24, the bridge at .1 (the harness
// reaches every node through it), node i at .<11+i>.
//
// A partition installs blackhole routes inside the namespaces: a node on
// one side has no route to any node on the other, in either direction,
// while the harness still reaches every node.
type namespaces struct {
	id     int
	names  []string
	bridge string

	mu sync.Mutex
	// cut lists the blackhole routes in place: namespace index, then the
	// index of the node it cannot reach.
	cut [][2]int
}

// namespacesUnavailable says why nodes cannot be put in namespaces here,
// or returns "" if they can.
func namespacesUnavailable() string {
	if os.Geteuid() != 0 {
		return "not root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "no ip command (iproute2)"
	}
	probe := fmt.Sprintf("llprobe%d", os.Getpid()%100000)
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		return fmt.Sprintf("ip netns add: %v: %s", err, strings.TrimSpace(string(out)))
	}
	exec.Command("ip", "netns", "del", probe).Run()
	return ""
}

// newNamespaces creates the bridge and one namespace per node; the test's
// cleanup removes them (after the nodes, whose cleanup runs first when
// registered later). Leftovers of an earlier run that died before its
// cleanup are removed first.
func newNamespaces(t *testing.T, id, nodes int) *namespaces {
	t.Helper()
	ns := &namespaces{id: id, bridge: fmt.Sprintf("llf%dbr", id)}
	for i := 0; i < nodes; i++ {
		ns.names = append(ns.names, fmt.Sprintf("llf%dn%d", id, i))
	}
	ns.remove()
	t.Cleanup(ns.remove)
	steps := [][]string{
		{"link", "add", ns.bridge, "type", "bridge", "forward_delay", "0"},
		{"addr", "add", ns.subnet() + ".1/24", "dev", ns.bridge},
		{"link", "set", ns.bridge, "up"},
	}
	for i, name := range ns.names {
		host, peer := fmt.Sprintf("llf%dv%d", id, i), fmt.Sprintf("llf%dp%d", id, i)
		steps = append(steps,
			[]string{"netns", "add", name},
			[]string{"link", "add", host, "type", "veth", "peer", "name", peer},
			[]string{"link", "set", peer, "netns", name},
			[]string{"link", "set", host, "master", ns.bridge},
			[]string{"link", "set", host, "up"},
			[]string{"-n", name, "link", "set", peer, "name", "eth0"},
			[]string{"-n", name, "addr", "add", ns.ip(i) + "/24", "dev", "eth0"},
			[]string{"-n", name, "link", "set", "eth0", "up"},
			[]string{"-n", name, "link", "set", "lo", "up"},
		)
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			t.Fatal(err)
		}
	}
	return ns
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (ns *namespaces) subnet() string { return fmt.Sprintf("198.18.%d", ns.id) }

// ip is node i's address.
func (ns *namespaces) ip(i int) string { return fmt.Sprintf("%s.%d", ns.subnet(), 11+i) }

// exec is the command prefix that runs a program in node i's namespace.
func (ns *namespaces) exec(i int) []string { return []string{"ip", "netns", "exec", ns.names[i]} }

// partition cuts every node of each side off from every node of the other
// sides, in both directions.
func (ns *namespaces) partition(sides ...[]int) error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for a, side := range sides {
		for b, other := range sides {
			if a == b {
				continue
			}
			for _, from := range side {
				for _, to := range other {
					if err := ipCmd("-n", ns.names[from], "route", "add", "blackhole", ns.ip(to)+"/32"); err != nil {
						return err
					}
					ns.cut = append(ns.cut, [2]int{from, to})
				}
			}
		}
	}
	return nil
}

// heal removes every blackhole route.
func (ns *namespaces) heal() error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	var first error
	for _, c := range ns.cut {
		if err := ipCmd("-n", ns.names[c[0]], "route", "del", "blackhole", ns.ip(c[1])+"/32"); err != nil && first == nil {
			first = err
		}
	}
	ns.cut = nil
	return first
}

// remove deletes the namespaces (and with them the veth pairs and routes)
// and the bridge, ignoring what does not exist.
func (ns *namespaces) remove() {
	for i, name := range ns.names {
		exec.Command("ip", "netns", "del", name).Run()
		// A veth pair whose end never reached its namespace.
		exec.Command("ip", "link", "del", fmt.Sprintf("llf%dv%d", ns.id, i)).Run()
	}
	exec.Command("ip", "link", "del", ns.bridge).Run()
}
