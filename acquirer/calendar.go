package acquirer

import "time"

// Calendar knows Brazil's business days: every day but Saturdays, Sundays and the
// configured national holidays (Resolução CMN 4.880/2020: those are not business days for
// the financial market). It is immutable and safe for concurrent use.
//
// It knows only the holidays it was given: past the last configured year every weekday
// counts as a business day.
type Calendar struct {
	holidays map[Date]bool
}

// NewCalendar returns a calendar with the given holidays; duplicates are harmless.
func NewCalendar(holidays []Date) *Calendar {
	c := &Calendar{holidays: make(map[Date]bool, len(holidays))}
	for _, h := range holidays {
		c.holidays[h] = true
	}
	return c
}

// IsHoliday reports whether d is one of the configured holidays.
func (c *Calendar) IsHoliday(d Date) bool { return c.holidays[d] }

// IsBusinessDay reports whether d is neither a weekend day nor a holiday.
func (c *Calendar) IsBusinessDay(d Date) bool {
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday && !c.holidays[d]
}

// RollForward returns d when it is a business day, otherwise the next business day.
func (c *Calendar) RollForward(d Date) Date {
	for !c.IsBusinessDay(d) {
		d = d.AddDays(1)
	}
	return d
}

// AddBusinessDays returns the n-th business day after d (D+n in business days): one
// business day after a Friday, a Saturday or a Sunday is the next Monday that is not a
// holiday. A negative n counts as 0, which returns d itself.
func (c *Calendar) AddBusinessDays(d Date, n int) Date {
	for ; n > 0; n-- {
		d = c.RollForward(d.AddDays(1))
	}
	return d
}
