// Package version tells which build of Warden is running.
package version

import "runtime/debug"

// Version is set at build time with -ldflags "-X github.com/warden-iam/warden/internal/version.Version=v1.2.3".
var Version = ""

// String is the version to report: the linked-in value, else the module
// version or VCS revision from the build information, else "dev".
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}
