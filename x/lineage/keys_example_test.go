package lineage_test

import (
	"fmt"

	"github.com/lineageledger/lineaged/x/lineage"
)

// Key parts are short here to keep the output readable; real ones are
// digests, names and 64-digit run ids.

func ExampleDatasetKey() {
	fmt.Printf("%x\n", lineage.DatasetKey("d1"))
	// Output: 01026431
}

func ExampleAttestationsPrefix() {
	fmt.Printf("%x\n", lineage.AttestationsPrefix("d1"))
	// Output: 02026431
}

func ExampleAttestationKey() {
	fmt.Printf("%x\n", lineage.AttestationKey("d1", "beta"))
	// Output: 020264310462657461
}

func ExampleNameKey() {
	fmt.Printf("%x\n", lineage.NameKey("ns", "web", "1"))
	// Output: 03026e73037765620131
}

func ExampleHistoryPrefix() {
	fmt.Printf("%x\n", lineage.HistoryPrefix("ns", "web"))
	// Output: 04026e7303776562
}

func ExampleHistoryKey() {
	fmt.Printf("%x\n", lineage.HistoryKey("ns", "web", 258, "d1"))
	// Output: 04026e73037765620000000000000102026431
}

func ExampleRunKey() {
	fmt.Printf("%x\n", lineage.RunKey("r1"))
	// Output: 05027231
}

func ExampleUpstreamPrefix() {
	fmt.Printf("%x\n", lineage.UpstreamPrefix("c"))
	// Output: 060163
}

func ExampleUpstreamKey() {
	fmt.Printf("%x\n", lineage.UpstreamKey("c", "p", "r1"))
	// Output: 0601630170027231
}

func ExampleDownstreamPrefix() {
	fmt.Printf("%x\n", lineage.DownstreamPrefix("p"))
	// Output: 070170
}

func ExampleDownstreamKey() {
	fmt.Printf("%x\n", lineage.DownstreamKey("p", "c", "r1"))
	// Output: 0701700163027231
}

func ExampleDatasetRunsPrefix() {
	fmt.Printf("%x %x\n", lineage.DatasetRunsPrefix("d1", 0x01), lineage.DatasetRunsPrefix("d1", 0x02))
	// Output: 0802643101 0802643102
}

func ExampleConsumedByKey() {
	fmt.Printf("%x\n", lineage.ConsumedByKey("d1", "r1"))
	// Output: 0802643101027231
}

func ExampleProducedByKey() {
	fmt.Printf("%x\n", lineage.ProducedByKey("d1", "r1"))
	// Output: 0802643102027231
}

func ExampleRunID() {
	id := lineage.RunID("alpha",
		"sha256:0000000000000000000000000000000000000000000000000000000000000001",
		"", "",
		[]string{"sha256:0000000000000000000000000000000000000000000000000000000000000002"},
		[]string{"sha256:0000000000000000000000000000000000000000000000000000000000000003"},
		"nightly")
	fmt.Println(id)
	// Output: e54afb4bb54dfad569ba4c6cf3515c566b1023afe187f24f5d7ef576e8f89803
}

func ExampleRevocationKey() {
	fmt.Printf("%x\n", lineage.RevocationKey("d1"))
	// Output: 09026431
}
