package acquirer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func day(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err) // test data only
	}
	return d
}

func TestParseDate(t *testing.T) {
	t.Run("reads and writes YYYY-MM-DD", func(t *testing.T) {
		d, err := ParseDate("2026-02-16")
		require.NoError(t, err)
		require.Equal(t, Date{2026, time.February, 16}, d)
		require.Equal(t, "2026-02-16", d.String())
		txt, err := d.MarshalText()
		require.NoError(t, err)
		require.Equal(t, "2026-02-16", string(txt))
	})
	for _, bad := range []string{"", "2026-2-16", "2026-02-30", "26-02-16", "2026/02/16", "2026-02-16T00:00:00Z", "0999-01-01", " 2026-02-16"} {
		t.Run("rejects "+bad+" naming it", func(t *testing.T) {
			_, err := ParseDate(bad)
			require.ErrorIs(t, err, ErrInvalidDate)
			require.ErrorContains(t, err, `"`+bad+`"`)
		})
	}
}

func TestDateArithmetic(t *testing.T) {
	t.Run("adds days across month and year ends", func(t *testing.T) {
		require.Equal(t, day("2026-03-01"), day("2026-02-28").AddDays(1))
		require.Equal(t, day("2027-01-30"), day("2026-12-31").AddDays(30))
		require.Equal(t, day("2028-02-29"), day("2028-02-28").AddDays(1), "2028 is a leap year")
		require.Equal(t, day("2026-01-31"), day("2026-03-02").AddDays(-30))
	})
	t.Run("compares days", func(t *testing.T) {
		require.Equal(t, -1, day("2026-12-31").Compare(day("2027-01-01")))
		require.Equal(t, 0, day("2026-05-01").Compare(NewDate(2026, time.April, 31)))
		require.Equal(t, 1, day("2027-01-01").Compare(day("2026-12-31")))
		require.True(t, Date{}.IsZero())
	})
	t.Run("takes a sale's day in Brasília time", func(t *testing.T) {
		require.Equal(t, day("2026-11-26"), DateOf(time.Date(2026, 11, 27, 2, 30, 0, 0, time.UTC)), "23:30 BRT")
		require.Equal(t, day("2026-11-27"), DateOf(time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)), "00:00 BRT")
	})
}

func TestCalendarBusinessDays(t *testing.T) {
	cal := NewCalendar(DefaultHolidays())
	tests := []struct {
		day      string
		business bool
		why      string
	}{
		{"2026-11-26", true, "an ordinary Thursday"},
		{"2026-11-28", false, "a Saturday"},
		{"2026-11-29", false, "a Sunday"},
		{"2026-02-18", true, "Ash Wednesday (banks open at noon)"},
		{"2026-12-24", true, "Christmas Eve"},
		{"2026-12-31", true, "New Year's Eve"},
		{"2028-01-03", true, "a Monday past the configured years"},
	}
	for _, h := range BrazilHolidays() {
		tests = append(tests, struct {
			day      string
			business bool
			why      string
		}{h.Date.String(), false, h.Name})
	}
	for _, tt := range tests {
		verdict := "a day off"
		if tt.business {
			verdict = "a business day"
		}
		t.Run(tt.day+" ("+tt.why+") is "+verdict, func(t *testing.T) {
			require.Equal(t, tt.business, cal.IsBusinessDay(day(tt.day)))
		})
	}
}

func TestCalendarAddBusinessDays(t *testing.T) {
	cal := NewCalendar(DefaultHolidays())
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"one business day after a Tuesday is Wednesday", "2026-11-24", 1, "2026-11-25"},
		{"one business day after a Friday is Monday", "2026-11-27", 1, "2026-11-30"},
		{"one business day after a Saturday is Monday", "2026-11-28", 1, "2026-11-30"},
		{"two business days after a Thursday is Monday", "2026-11-26", 2, "2026-11-30"},
		{"one business day after Carnival Friday skips Carnival to Ash Wednesday", "2026-02-13", 1, "2026-02-18"},
		{"two business days after Carnival Friday is Thursday", "2026-02-13", 2, "2026-02-19"},
		{"one business day after Maundy Thursday skips Good Friday and the weekend", "2026-04-02", 1, "2026-04-06"},
		{"one business day after Monday 20 April 2026 skips Tiradentes", "2026-04-20", 1, "2026-04-22"},
		{"one business day after 31 December 2026 skips New Year to Monday 4 January", "2026-12-31", 1, "2027-01-04"},
		{"two business days after Christmas Eve 2026 skip Christmas and the weekend", "2026-12-24", 2, "2026-12-29"},
		{"one business day after Wednesday 26 May 2027 skips Corpus Christi", "2027-05-26", 1, "2027-05-28"},
		{"one business day after Thursday 19 November 2026 skips Consciência Negra", "2026-11-19", 1, "2026-11-23"},
		{"zero business days is the day itself, even on a holiday", "2026-12-25", 0, "2026-12-25"},
		{"a negative count is zero", "2026-12-25", -3, "2026-12-25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, day(tt.want), cal.AddBusinessDays(day(tt.from), tt.n))
		})
	}
	t.Run("rolls a day forward only when it is not a business day", func(t *testing.T) {
		require.Equal(t, day("2026-11-26"), cal.RollForward(day("2026-11-26")))
		require.Equal(t, day("2026-11-30"), cal.RollForward(day("2026-11-28")))
		require.Equal(t, day("2026-02-18"), cal.RollForward(day("2026-02-14")))
	})
	t.Run("without holidays only weekends are skipped", func(t *testing.T) {
		require.Equal(t, day("2026-12-25"), NewCalendar(nil).AddBusinessDays(day("2026-12-24"), 1))
	})
}

// easter is the Gregorian Easter Sunday (the anonymous Meeus/Jones/Butcher algorithm), an
// independent check of the movable holidays in the configuration.
func easter(y int) Date {
	a, b, c := y%19, y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	return NewDate(y, time.Month((h+l-7*m+114)/31), (h+l-7*m+114)%31+1)
}

func TestBrazilHolidays(t *testing.T) {
	hs := BrazilHolidays()
	byDate := make(map[Date]string, len(hs))
	for _, h := range hs {
		byDate[h.Date] = h.Name
	}
	for _, y := range []int{2026, 2027} {
		e := easter(y)
		want := map[Date]string{
			NewDate(y, time.January, 1):   "Confraternização Universal",
			e.AddDays(-48):                "Carnaval (segunda-feira)",
			e.AddDays(-47):                "Carnaval (terça-feira)",
			e.AddDays(-2):                 "Sexta-feira Santa",
			NewDate(y, time.April, 21):    "Tiradentes",
			NewDate(y, time.May, 1):       "Dia do Trabalho",
			e.AddDays(60):                 "Corpus Christi",
			NewDate(y, time.September, 7): "Independência do Brasil",
			NewDate(y, time.October, 12):  "Nossa Senhora Aparecida",
			NewDate(y, time.November, 2):  "Finados",
			NewDate(y, time.November, 15): "Proclamação da República",
			NewDate(y, time.November, 20): "Dia Nacional de Zumbi e da Consciência Negra",
			NewDate(y, time.December, 25): "Natal",
		}
		for d, name := range want {
			t.Run(name+" "+d.String()+" is a configured holiday", func(t *testing.T) {
				require.Equal(t, name, byDate[d])
			})
		}
	}
	t.Run("lists 13 holidays a year in date order", func(t *testing.T) {
		require.Len(t, hs, 26)
		for i := 1; i < len(hs); i++ {
			require.Equal(t, -1, hs[i-1].Date.Compare(hs[i].Date), hs[i].Date.String())
		}
		require.Equal(t, day("2026-02-16"), hs[1].Date, "Carnival 2026 is 16–17 February")
		require.Equal(t, day("2027-02-08"), hs[14].Date, "Carnival 2027 is 8–9 February")
	})
}
