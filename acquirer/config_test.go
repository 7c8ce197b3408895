package acquirer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/bandeira/bandeira"
)

func TestDefaultConfig(t *testing.T) {
	cfg := DefaultConfig()
	t.Run("is valid", func(t *testing.T) {
		require.NoError(t, cfg.Validate())
	})
	t.Run("has a WhatsApp catalog shop on whatsapp-2020 as the default merchant", func(t *testing.T) {
		m := DefaultMerchant()
		require.Equal(t, PlanWhatsApp2020, m.Plan)
		require.Len(t, m.TerminalID, TerminalIDLen)
		require.Contains(t, cfg.Merchants, m)
	})
	t.Run("has the ordinary merchants on the default plan", func(t *testing.T) {
		mccs := map[string]string{}
		for _, m := range cfg.Merchants {
			if m.Plan == "" {
				mccs[m.MCC] = m.Name
			}
		}
		for _, mcc := range []string{"5462", "5812", "5411", "5912"} {
			require.Contains(t, mccs, mcc)
		}
		require.Equal(t, PlanStandard, cfg.DefaultPlan)
	})
}

// mutate returns DefaultConfig changed by f.
func mutate(f func(c *Config)) Config {
	c := DefaultConfig()
	f(&c)
	return c
}

func setRate(c *Config, plan string, b bandeira.Brand, t Tier, r Rate) {
	c.Plans[plan][b][t] = r
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"debit interchange above the 50 bps cap", mutate(func(c *Config) {
			setRate(c, PlanStandard, bandeira.Visa, TierDebit, Rate{MDR: 199, Interchange: 51, BrandFee: 10, Margin: 138})
		}), `plan "standard": visa debit: interchange_bps 51 is above the debit cap of 50 bps (Resolução BCB 246`},
		{"prepaid interchange above the 70 bps cap", mutate(func(c *Config) {
			setRate(c, PlanWhatsApp2020, bandeira.Mastercard, TierPrepaid, Rate{MDR: 399, Interchange: 71, BrandFee: 10, Margin: 318})
		}), `plan "whatsapp-2020": mastercard prepaid: interchange_bps 71 is above the prepaid cap of 70 bps`},
		{"parts that do not add up to the MDR", mutate(func(c *Config) {
			setRate(c, PlanStandard, bandeira.Mastercard, TierCredit, Rate{MDR: 349, Interchange: 165, BrandFee: 10, Margin: 175})
		}), `plan "standard": mastercard credit: interchange_bps 165 + brand_fee_bps 10 + margin_bps 175 = 350, not mdr_bps 349`},
		{"a negative part", mutate(func(c *Config) {
			setRate(c, PlanStandard, bandeira.Visa, TierCredit, Rate{MDR: 349, Interchange: 360, BrandFee: 10, Margin: -21})
		}), `plan "standard": visa credit: margin_bps -21 is negative`},
		{"an MDR above 100%", mutate(func(c *Config) {
			setRate(c, PlanStandard, bandeira.Visa, TierCredit, Rate{MDR: 10001, Interchange: 10001})
		}), `mdr_bps 10001 is above 10000`},
		{"a plan missing a product", mutate(func(c *Config) {
			delete(c.Plans[PlanStandard][bandeira.Visa], TierPrepaid)
		}), `plan "standard": visa prepaid: no rate`},
		{"a plan missing a brand", mutate(func(c *Config) {
			delete(c.Plans[PlanWhatsApp2020], bandeira.Mastercard)
		}), `plan "whatsapp-2020": mastercard debit: no rate`},
		{"an unknown brand", mutate(func(c *Config) {
			c.Plans[PlanStandard]["elo"] = c.Plans[PlanStandard][bandeira.Visa]
		}), `plan "standard": unknown brand "elo"`},
		{"an unknown product", mutate(func(c *Config) {
			setRate(c, PlanStandard, bandeira.Visa, "combo", standardRates[0])
		}), `plan "standard": visa: unknown tier "combo"`},
		{"2–6x parts that do not add up to the MDR", mutate(func(c *Config) {
			setRate(c, PlanStandard, bandeira.Visa, TierCredit2To6, Rate{MDR: 399, Interchange: 185, BrandFee: 10, Margin: 205})
		}), `plan "standard": visa credit_2_6: interchange_bps 185 + brand_fee_bps 10 + margin_bps 205 = 400, not mdr_bps 399`},
		{"a negative 7–12x margin", mutate(func(c *Config) {
			setRate(c, PlanWhatsApp2020, bandeira.Mastercard, TierCredit7To12, Rate{MDR: 399, Interchange: 400, BrandFee: 10, Margin: -11})
		}), `plan "whatsapp-2020": mastercard credit_7_12: margin_bps -11 is negative`},
		{"a plan missing the 7–12x band", mutate(func(c *Config) {
			delete(c.Plans[PlanStandard][bandeira.Mastercard], TierCredit7To12)
		}), `plan "standard": mastercard credit_7_12: no rate`},
		{"a band the simulator does not price", mutate(func(c *Config) {
			setRate(c, PlanStandard, bandeira.Visa, "credit_13_24", standardRates[4])
		}), `plan "standard": visa: unknown tier "credit_13_24" (want debit, prepaid, credit, credit_2_6 or credit_7_12)`},
		{"a holiday listed twice", mutate(func(c *Config) { c.Holidays = append(c.Holidays, c.Holidays[4]) }),
			`holidays[26] 2026-04-21: already listed at holidays[4]`},
		{"no plans at all", mutate(func(c *Config) { c.Plans = nil }), "at least one plan"},
		{"a default plan that does not exist", mutate(func(c *Config) { c.DefaultPlan = "gold" }), `default_plan "gold": no such plan`},
		{"an empty default plan", mutate(func(c *Config) { c.DefaultPlan = "" }), `default_plan "": no such plan`},
		{"a merchant on a plan that does not exist", mutate(func(c *Config) { c.Merchants[1].Plan = "gold" }),
			`merchants[1] "PADARIA00000001": plan "gold": no such plan`},
		{"a merchant ID of 16 characters", mutate(func(c *Config) { c.Merchants[0].ID = "WACATALOGO000001" }),
			`merchants[0] "WACATALOGO000001": id must be 1 to 15 printable ASCII characters`},
		{"an empty merchant ID", mutate(func(c *Config) { c.Merchants[0].ID = "" }), `merchants[0] "": id must be`},
		{"a merchant ID with a trailing space", mutate(func(c *Config) { c.Merchants[0].ID = "SHOP " }), `id must be`},
		{"a duplicate merchant ID", mutate(func(c *Config) { c.Merchants[2].ID = c.Merchants[1].ID; c.Merchants[2].TerminalID = "" }),
			`merchants[2] "PADARIA00000001": duplicate id`},
		{"an MCC that is not four digits", mutate(func(c *Config) { c.Merchants[0].MCC = "541" }), `mcc "541" must be four digits`},
		{"a name too long for field 43", mutate(func(c *Config) { c.Merchants[0].Name = strings.Repeat("x", 23) }), `name "xxx`},
		{"a name that is not ASCII", mutate(func(c *Config) { c.Merchants[1].Name = "Padaria Pão Quente" }), `must be 1 to 22 printable ASCII`},
		{"a city too long for field 43", mutate(func(c *Config) { c.Merchants[0].City = "Belo Horizonte" }), `city "Belo Horizonte"`},
		{"a terminal ID that is not 8 characters", mutate(func(c *Config) { c.Merchants[0].TerminalID = "T1" }), `terminal_id "T1" must be exactly 8`},
		{"a terminal ID shared by two merchants", mutate(func(c *Config) { c.Merchants[1].TerminalID = "WAPP0001" }),
			`merchants[1] "PADARIA00000001": terminal_id "WAPP0001" already belongs to "WACATALOGO00001"`},
	}
	for _, tt := range tests {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			require.ErrorContains(t, tt.cfg.Validate(), tt.want)
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"debit interchange exactly at the cap", mutate(func(c *Config) {
			setRate(c, PlanStandard, bandeira.Visa, TierDebit, Rate{MDR: 50, Interchange: 50})
		})},
		{"credit interchange far above the debit caps (credit is uncapped)", mutate(func(c *Config) {
			setRate(c, PlanStandard, bandeira.Visa, TierCredit, Rate{MDR: 600, Interchange: 560, BrandFee: 10, Margin: 30})
		})},
		{"a plan with zero rates", mutate(func(c *Config) { c.Plans["free"] = uniformPlan([5]Rate{}) })},
		{"no merchants", mutate(func(c *Config) { c.Merchants = nil })},
		{"no holidays (only weekends are days off)", mutate(func(c *Config) { c.Holidays = nil })},
		{"credit installment interchange far above the debit caps", mutate(func(c *Config) {
			setRate(c, PlanStandard, bandeira.Visa, TierCredit7To12, Rate{MDR: 1299, Interchange: 560, BrandFee: 10, Margin: 729})
		})},
		{"merchants without terminals", mutate(func(c *Config) {
			for i := range c.Merchants {
				c.Merchants[i].TerminalID = ""
			}
		})},
	}
	for _, tt := range tests {
		t.Run("accepts "+tt.name, func(t *testing.T) {
			require.NoError(t, tt.cfg.Validate())
		})
	}
	t.Run("reports every problem at once", func(t *testing.T) {
		err := mutate(func(c *Config) { c.DefaultPlan = "gold"; c.Merchants[0].MCC = "x" }).Validate()
		require.ErrorContains(t, err, "default_plan")
		require.ErrorContains(t, err, "mcc")
	})
}

const sampleYAML = `
default_plan: promo
plans:
  promo:
    visa:
      debit:   {mdr_bps: 99,  interchange_bps: 50,  brand_fee_bps: 10, margin_bps: 39}
      prepaid: {mdr_bps: 149, interchange_bps: 70,  brand_fee_bps: 10, margin_bps: 69}
      credit:  {mdr_bps: 199, interchange_bps: 165, brand_fee_bps: 10, margin_bps: 24}
      credit_2_6:  {mdr_bps: 299, interchange_bps: 185, brand_fee_bps: 10, margin_bps: 104}
      credit_7_12: {mdr_bps: 349, interchange_bps: 205, brand_fee_bps: 10, margin_bps: 134}
    mastercard:
      debit:   {mdr_bps: 99,  interchange_bps: 50,  brand_fee_bps: 10, margin_bps: 39}
      prepaid: {mdr_bps: 149, interchange_bps: 70,  brand_fee_bps: 10, margin_bps: 69}
      credit:  {mdr_bps: 199, interchange_bps: 165, brand_fee_bps: 10, margin_bps: 24}
      credit_2_6:  {mdr_bps: 299, interchange_bps: 185, brand_fee_bps: 10, margin_bps: 104}
      credit_7_12: {mdr_bps: 349, interchange_bps: 205, brand_fee_bps: 10, margin_bps: 134}
merchants:
  - {id: LOJA1, name: Loja Um, mcc: "5999", city: Manaus, terminal_id: LOJA0001}
  - {id: LOJA2, name: Loja Dois, mcc: "5999", plan: whatsapp-2020}
holidays:
  - 2026-01-01   # Confraternização Universal
  - "2026-01-25" # quoted works too
`

func TestConfigYAML(t *testing.T) {
	t.Run("reads plans and merchants over the defaults, keeping unnamed default plans", func(t *testing.T) {
		cfg := DefaultConfig()
		dec := yaml.NewDecoder(strings.NewReader(sampleYAML))
		dec.KnownFields(true)
		require.NoError(t, dec.Decode(&cfg))
		require.NoError(t, cfg.Validate())
		require.Equal(t, "promo", cfg.DefaultPlan)
		require.Equal(t, Rate{MDR: 199, Interchange: 165, BrandFee: 10, Margin: 24}, cfg.Plans["promo"][bandeira.Mastercard][TierCredit])
		require.Equal(t, Rate{MDR: 349, Interchange: 205, BrandFee: 10, Margin: 134}, cfg.Plans["promo"][bandeira.Visa][TierCredit7To12])
		require.Equal(t, []Date{day("2026-01-01"), day("2026-01-25")}, cfg.Holidays)
		require.Contains(t, cfg.Plans, PlanStandard)
		require.Contains(t, cfg.Plans, PlanWhatsApp2020)
		require.Equal(t, []MerchantConfig{
			{ID: "LOJA1", Name: "Loja Um", MCC: "5999", City: "Manaus", TerminalID: "LOJA0001"},
			{ID: "LOJA2", Name: "Loja Dois", MCC: "5999", Plan: PlanWhatsApp2020},
		}, cfg.Merchants)
	})
	t.Run("rejects an unknown rate key in strict mode", func(t *testing.T) {
		cfg := DefaultConfig()
		dec := yaml.NewDecoder(strings.NewReader("plans: {standard: {visa: {debit: {mdr: 199}}}}"))
		dec.KnownFields(true)
		require.ErrorContains(t, dec.Decode(&cfg), "field mdr not found")
	})
	t.Run("rejects a holiday that is not a YYYY-MM-DD day, naming it", func(t *testing.T) {
		cfg := DefaultConfig()
		dec := yaml.NewDecoder(strings.NewReader("holidays: [2026-02-30]"))
		require.ErrorContains(t, dec.Decode(&cfg), `"2026-02-30"`)
	})
	t.Run("writes the default config in the documented shape", func(t *testing.T) {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		require.NoError(t, enc.Encode(DefaultConfig()))
		out := buf.String()
		require.Contains(t, out, "default_plan: standard")
		require.Contains(t, out, "interchange_bps: 165")
		require.Contains(t, out, "terminal_id: WAPP0001")
		require.Contains(t, out, "credit_7_12:")
		require.Contains(t, out, "- \"2026-02-16\"")
	})
}
