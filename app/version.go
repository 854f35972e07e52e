package app

import (
	"runtime/debug"
	"sync"
)

// Version is the software version; release builds set it with
// -ldflags "-X github.com/lineageledger/lineaged/app.Version=v1.2.3".
var Version = ""

// SoftwareVersion is Version, or else the module version or VCS revision
// the binary was built from.
func SoftwareVersion() string {
	if Version != "" {
		return Version
	}
	return buildVersion()
}

// buildVersion is read once: parsing the build information allocates, and
// every ABCI Info call (a load balancer or monitor may poll it many times
// a second) asks for the version.
var buildVersion = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "devel-" + s.Value[:12]
			}
		}
	}
	return "devel"
})
