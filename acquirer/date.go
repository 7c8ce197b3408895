package acquirer

import (
	"errors"
	"fmt"
	"time"
)

// Date is a calendar day in Brazil, without a time or a zone: the day a sale was made or a
// payout is due. The zero Date is not a valid day. In YAML and JSON it is "YYYY-MM-DD".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ErrInvalidDate reports text that is not a real calendar day written YYYY-MM-DD.
var ErrInvalidDate = errors.New("acquirer: invalid date")

// brasilia is Brazil's official time (UTC−3, no daylight saving since 2019).
var brasilia = time.FixedZone("BRT", -3*60*60)

// NewDate returns the date y-m-d, normalizing overflow as time.Date does (January 32 is
// February 1).
func NewDate(y int, m time.Month, d int) Date {
	return dateOfTime(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the day t falls on in Brasília time (UTC−3), the acquirer's business day:
// a sale at 23:30 in Brasília is on that day although it is already tomorrow in UTC.
func DateOf(t time.Time) Date { return dateOfTime(t.In(brasilia)) }

func dateOfTime(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate reads a date written YYYY-MM-DD (years 1000–9999). The error names the input.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) || t.Year() < 1000 {
		return Date{}, fmt.Errorf("parsing %q as YYYY-MM-DD: %w", s, ErrInvalidDate)
	}
	return dateOfTime(t), nil
}

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// AddDays returns the date n calendar days after d (before it when n is negative).
func (d Date) AddDays(n int) Date { return dateOfTime(d.time().AddDate(0, 0, n)) }

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return d.time().Weekday() }

// Compare returns -1 if d is before o, 0 if they are the same day and +1 if d is after o.
func (d Date) Compare(o Date) int { return d.time().Compare(o.time()) }

// MarshalText writes the date as YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a date written YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d Date) time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }
