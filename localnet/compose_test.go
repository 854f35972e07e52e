package localnet

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestComposeTopology keeps docker-compose.yml in line with what
// `lineaged testnet --validators 4 --starting-ip 192.168.10.11` generates:
// one service per node home, consecutive addresses inside the network's
// subnet, every node started from its own home. Where the Docker client
// has compose, `docker compose config` must accept the file too.
func TestComposeTopology(t *testing.T) {
	b, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Command  []string `yaml:"command"`
			Networks map[string]struct {
				IPv4 string `yaml:"ipv4_address"`
			} `yaml:"networks"`
		} `yaml:"services"`
		Networks map[string]struct {
			IPAM struct {
				Config []struct {
					Subnet string `yaml:"subnet"`
				} `yaml:"config"`
			} `yaml:"ipam"`
		} `yaml:"networks"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	_, subnet, err := net.ParseCIDR(doc.Networks["localnet"].IPAM.Config[0].Subnet)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Services) != 4 {
		t.Fatalf("%d services, want 4 validators", len(doc.Services))
	}
	for i := 0; i < 4; i++ {
		name := fmt.Sprintf("node%d", i)
		svc, ok := doc.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		want := []string{"start", "--home", "/data/" + name}
		if fmt.Sprint(svc.Command) != fmt.Sprint(want) {
			t.Errorf("%s command %v, want %v", name, svc.Command, want)
		}
		ip := net.ParseIP(svc.Networks["localnet"].IPv4)
		if wantIP := fmt.Sprintf("192.168.10.%d", 11+i); ip.String() != wantIP || !subnet.Contains(ip) {
			t.Errorf("%s address %v, want %s inside %v", name, ip, wantIP, subnet)
		}
	}
	if out, err := exec.Command("docker", "compose", "version").CombinedOutput(); err != nil {
		t.Logf("docker compose unavailable (%s): checked the file structurally only", out)
		return
	}
	if out, err := exec.Command("docker", "compose", "-f", "docker-compose.yml", "config", "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
}
