package licenses_test

import (
	"fmt"

	"github.com/lineageledger/lineaged/x/licenses"
)

func ExampleLicenseKey() {
	fmt.Printf("%x\n", licenses.LicenseKey("acme/x"))
	// Output: 010661636d652f78
}

func ExampleGrantKey() {
	fmt.Printf("%x\n", licenses.GrantKey(258))
	// Output: 020000000000000102
}

func ExampleGrantRevocationKey() {
	fmt.Printf("%x\n", licenses.GrantRevocationKey(1))
	// Output: 030000000000000001
}

func ExampleGrantsBySubjectPrefix() {
	fmt.Printf("%x\n", licenses.GrantsBySubjectPrefix("model:a@1"))
	// Output: 04096d6f64656c3a614031
}

func ExampleGrantsBySubjectLicenseePrefix() {
	fmt.Printf("%x\n", licenses.GrantsBySubjectLicenseePrefix("model:a@1", "beta"))
	// Output: 04096d6f64656c3a6140310462657461
}

func ExampleGrantBySubjectKey() {
	fmt.Printf("%x\n", licenses.GrantBySubjectKey("model:a@1", "beta", 3))
	// Output: 04096d6f64656c3a61403104626574610000000000000003
}

func ExampleGrantsByLicensePrefix() {
	fmt.Printf("%x\n", licenses.GrantsByLicensePrefix("mit"))
	// Output: 05036d6974
}

func ExampleGrantByLicenseKey() {
	fmt.Printf("%x\n", licenses.GrantByLicenseKey("mit", 3))
	// Output: 05036d69740000000000000003
}

func ExampleGrantSequenceKey() {
	fmt.Printf("%x\n", licenses.GrantSequenceKey())
	// Output: 06
}

func ExampleSubjectKey() {
	fmt.Println(licenses.SubjectKey(licenses.ModelSubject("acme/llm-7b@1.2.0")))
	fmt.Println(licenses.SubjectKey(licenses.DatasetSubject("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")))
	// Output:
	// model:acme/llm-7b@1.2.0
	// dataset:sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
}

func ExampleGrantID() {
	fmt.Println(licenses.GrantID(7))
	// Output: grant-7
}
