package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// version is the release this binary was built as. Release builds set it at link time:
//
//	go build -ldflags "-X main.version=v1.2.0" ./cmd/bandeira
//
// Left empty, the version comes from the module's build information: the tag of
// `go install github.com/bandeira/bandeira/cmd/bandeira@v1.2.0`, or the pseudo-version
// Go stamps from the git checkout of a local `go build`.
var version string

// buildInfo says what this binary is: the bandeira_build_info labels and the output of
// `bandeira version`.
type buildInfo struct {
	Version   string `json:"version"`   // v1.2.0, a pseudo-version, or "devel"
	Revision  string `json:"revision"`  // the git commit, "-dirty" appended for a modified tree; "unknown" without VCS data
	GoVersion string `json:"goversion"` // the Go toolchain, e.g. go1.26.8
	Platform  string `json:"platform"`  // GOOS/GOARCH
}

// readBuildInfo returns this binary's build information.
func readBuildInfo() buildInfo {
	info, ok := debug.ReadBuildInfo()
	return buildInfoOf(info, ok, version)
}

// buildInfoOf derives the build information from Go's record of the build (ok false when
// there is none) and the link-time version, which wins when set.
func buildInfoOf(info *debug.BuildInfo, ok bool, linked string) buildInfo {
	b := buildInfo{Version: linked, Revision: "unknown", GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if ok {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		dirty := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty && b.Revision != "unknown" {
			b.Revision += "-dirty"
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	return b
}

// String is the one line `bandeira version` prints.
func (b buildInfo) String() string {
	return fmt.Sprintf("bandeira %s (revision %s, %s %s)", b.Version, b.Revision, b.GoVersion, b.Platform)
}

// newBuildInfoGauge returns bandeira_build_info{version,revision,goversion}, always 1, the
// Prometheus convention for joining a build's identity onto other series.
func newBuildInfoGauge(b buildInfo) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "bandeira_build_info",
		Help:        "Always 1; the labels say which build of bandeira is running.",
		ConstLabels: prometheus.Labels{"version": b.Version, "revision": b.Revision, "goversion": b.GoVersion},
	})
	g.Set(1)
	return g
}

const versionHelp = `
Usage: bandeira version [--json]
       bandeira --version

Prints the version of this binary, the git revision it was built from and the Go toolchain
that built it: the same values as the bandeira_build_info metric. Release builds set the
version with go build -ldflags "-X main.version=v1.2.0"; other builds show the version Go
recorded (the module tag, a pseudo-version from the git checkout, or devel).

Examples:
  bandeira version
  bandeira version --json
`

func versionCommand(_ context.Context, args []string, s stdio) int {
	fs := newFlagSet("version", versionHelp, s)
	asJSON := fs.Bool("json", false, `print {"version","revision","goversion","platform"} as JSON`)
	if code, ok := fs.parse(args); !ok {
		return code
	}
	b := readBuildInfo()
	if *asJSON {
		if err := json.NewEncoder(s.out).Encode(b); err != nil {
			return exitFail
		}
		return exitOK
	}
	fmt.Fprintln(s.out, b)
	return exitOK
}
