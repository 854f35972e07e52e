package models_test

import (
	"fmt"

	"github.com/lineageledger/lineaged/x/models"
)

func ExampleModelKey() {
	fmt.Printf("%x\n", models.ModelKey("ab", "1"))
	// Output: 010261620131
}

func ExampleRevocationKey() {
	fmt.Printf("%x\n", models.RevocationKey("ab", "1"))
	// Output: 020261620131
}

func ExampleSupersessionKey() {
	fmt.Printf("%x\n", models.SupersessionKey("ab", "1"))
	// Output: 030261620131
}

func ExampleByDigestPrefix() {
	fmt.Printf("%x\n", models.ByDigestPrefix("d"))
	// Output: 040164
}

func ExampleByDigestKey() {
	fmt.Printf("%x\n", models.ByDigestKey("d", "ab", "1"))
	// Output: 0401640261620131
}

func ExampleVersionsPrefix() {
	fmt.Printf("%x\n", models.VersionsPrefix("ab"))
	// Output: 05026162
}

func ExampleVersionKey() {
	fmt.Printf("%x\n", models.VersionKey("ab", 258, "1"))
	// Output: 0502616200000000000001020131
}

func ExampleDeploymentKey() {
	fmt.Printf("%x\n", models.DeploymentKey(1))
	// Output: 060000000000000001
}

func ExampleVersionDeploymentsPrefix() {
	fmt.Printf("%x\n", models.VersionDeploymentsPrefix("ab", "1"))
	// Output: 070261620131
}

func ExampleVersionDeploymentKey() {
	fmt.Printf("%x\n", models.VersionDeploymentKey("ab", "1", 2))
	// Output: 0702616201310000000000000002
}

func ExampleNameDeploymentsPrefix() {
	fmt.Printf("%x\n", models.NameDeploymentsPrefix("ab"))
	// Output: 08026162
}

func ExampleNameDeploymentKey() {
	fmt.Printf("%x\n", models.NameDeploymentKey("ab", 2))
	// Output: 080261620000000000000002
}

func ExampleDeploymentSeqKey() {
	fmt.Printf("%x\n", models.DeploymentSeqKey())
	// Output: 09
}

func ExampleRef() {
	fmt.Println(models.Ref("acme/llm-7b", "1.2.0"))
	name, version, err := models.ParseRef("acme/llm-7b@1.2.0")
	fmt.Println(name, version, err)
	// Output:
	// acme/llm-7b@1.2.0
	// acme/llm-7b 1.2.0 <nil>
}

func ExampleManifestSignBytes() {
	fmt.Printf("%q\n", models.ManifestSignBytes("sha256:00"))
	// Output: "lineage-ledger/model-manifest/v1\x00sha256:00"
}

func ExampleAliasKey() {
	fmt.Printf("%x\n", models.AliasKey("ab", "p"))
	// Output: 0a0261620170
}

func ExampleAliasesPrefix() {
	fmt.Printf("%x\n", models.AliasesPrefix("ab"))
	// Output: 0a026162
}

func ExampleAliasMovesPrefix() {
	fmt.Printf("%x\n", models.AliasMovesPrefix("ab", "p"))
	// Output: 0b0261620170
}

func ExampleAliasMoveKey() {
	fmt.Printf("%x\n", models.AliasMoveKey("ab", "p", 258))
	// Output: 0b02616201700000000000000102
}

func ExampleTrainedOnPrefix() {
	fmt.Printf("%x\n", models.TrainedOnPrefix("d1"))
	// Output: 10026431
}

func ExampleTrainedOnKey() {
	fmt.Printf("%x\n", models.TrainedOnKey("d1", "a/m", "1"))
	// Output: 1002643103612f6d0131
}

func ExampleFineTunesPrefix() {
	fmt.Printf("%x\n", models.FineTunesPrefix("a/b", "1"))
	// Output: 1103612f620131
}

func ExampleFineTuneKey() {
	fmt.Printf("%x\n", models.FineTuneKey("a/b", "1", "a/t", "2"))
	// Output: 1103612f62013103612f740132
}
