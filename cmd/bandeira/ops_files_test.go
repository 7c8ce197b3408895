package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// dashboard is the part of the Grafana dashboard JSON the tests read.
type dashboard struct {
	UID, Title    string
	SchemaVersion int `json:"schemaVersion"`
	Templating    struct {
		List []struct{ Name, Type string } `json:"list"`
	} `json:"templating"`
	Panels []dashPanel `json:"panels"`
}

type dashPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(dashboardPath)
	require.NoError(t, err)
	var d dashboard
	require.NoError(t, json.Unmarshal(data, &d))
	return d
}

// TestOpsFiles checks what the Prometheus test cannot: the dashboard's structure, the
// rules' labels and annotations, and that docker-compose.yml mounts files that exist where
// Prometheus and Grafana look for them (Docker does not run in CI).
func TestOpsFiles(t *testing.T) {
	t.Run("the dashboard is provisionable and every panel reads the chosen data source", func(t *testing.T) {
		d := readDashboard(t)
		require.Equal(t, "bandeira-overview", d.UID)
		require.Positive(t, d.SchemaVersion)
		require.Equal(t, "datasource", d.Templating.List[0].Name)
		require.Equal(t, "instance", d.Templating.List[1].Name)
		ids := map[int]bool{}
		for _, p := range d.Panels {
			require.False(t, ids[p.ID], "panel id %d twice", p.ID)
			ids[p.ID] = true
			require.LessOrEqual(t, p.GridPos.X+p.GridPos.W, 24, p.Title)
			if p.Type == "row" {
				continue
			}
			require.Equal(t, "${datasource}", p.Datasource.UID, p.Title)
			require.NotEmpty(t, p.Targets, p.Title)
			for _, tg := range p.Targets {
				require.Contains(t, tg.Expr, `instance=~"$instance"`, "%s: every query follows the instance variable", p.Title)
			}
		}
	})
	t.Run("the dashboard and rules use only metrics bandeira exposes", func(t *testing.T) {
		n := mustStartNet(t)
		code, _, errOut := runLoadtest(t, "--target", n.gatewayAddr, "--rate", "500", "--requests", "300",
			"--cards", n.cardsFile(), "--mix", "purchase=60,refund=10,reversal=10,decline=10,installments=10", "--quiet")
		require.Equal(t, exitOK, code, errOut)
		driveWalletLoad(t, n)
		body := n.get("/metrics")
		names := regexp.MustCompile(`\b((?:bandeira|go|process)_[a-z0-9_]+)`)
		var exprs []string
		for _, q := range dashboardQueries(t) {
			exprs = append(exprs, q.expr)
		}
		for _, r := range alertRules(t) {
			exprs = append(exprs, r.Expr)
		}
		for _, e := range exprs {
			for _, m := range names.FindAllString(e, -1) {
				require.Regexp(t, `(?m)^`+regexp.QuoteMeta(m)+`[{ ]`, body, "%s is not on /metrics (in %s)", m, e)
			}
		}
	})
	t.Run("every alert has a severity, a summary and a description", func(t *testing.T) {
		for _, r := range alertRules(t) {
			require.Regexp(t, `^Bandeira[A-Z]`, r.Alert)
			require.Contains(t, []string{"critical", "warning"}, r.Labels["severity"], r.Alert)
			require.NotEmpty(t, r.Annotations["summary"], r.Alert)
			require.NotEmpty(t, r.Annotations["description"], r.Alert)
		}
	})
	t.Run("docker-compose.yml mounts files that exist where the images read them", func(t *testing.T) {
		var c struct {
			Services map[string]struct {
				Build *struct {
					Context, Dockerfile string
				}
				Volumes []string
				Ports   []string
			}
		}
		data, err := os.ReadFile(filepath.Join(opsDir, "docker-compose.yml"))
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(data, &c))
		mounts := map[string]string{}
		for name, s := range c.Services {
			for _, p := range s.Ports {
				require.True(t, strings.HasPrefix(p, "127.0.0.1:"), "%s publishes %s beyond loopback", name, p)
			}
			for _, v := range s.Volumes {
				src, dst, _ := strings.Cut(v, ":")
				dst = strings.TrimSuffix(dst, ":ro")
				if strings.HasPrefix(src, ".") {
					_, err := os.Stat(filepath.Join(opsDir, src))
					require.NoError(t, err, "%s mounts %s", name, src)
					mounts[dst] = src
				}
			}
			if s.Build != nil {
				require.FileExists(t, filepath.Join(opsDir, s.Build.Context, s.Build.Dockerfile))
			}
		}
		var prom struct {
			RuleFiles []string `yaml:"rule_files"`
		}
		data, err = os.ReadFile(filepath.Join(opsDir, "prometheus", "prometheus.yml"))
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(data, &prom))
		for _, rf := range prom.RuleFiles {
			require.Equal(t, "./prometheus/alerts.yml", mounts[rf], "rule file %s is mounted from alerts.yml", rf)
		}
		var provider struct {
			Providers []struct{ Options struct{ Path string } }
		}
		data, err = os.ReadFile(filepath.Join(opsDir, "grafana", "provisioning", "dashboards", "bandeira.yml"))
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(data, &provider))
		require.Equal(t, "./grafana/dashboards", mounts[provider.Providers[0].Options.Path])
		require.Equal(t, "./grafana/provisioning", mounts["/etc/grafana/provisioning"])
	})
}
