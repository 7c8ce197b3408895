package acquirer

import "time"

// Holiday is a national holiday with its name, for documentation and tests.
type Holiday struct {
	Date Date
	Name string
}

// BrazilHolidays returns Brazil's national holidays on which banks do not settle, for 2026
// and 2027, in date order: the FEBRABAN bank-holiday calendar under Resolução CMN
// 4.880/2020. Carnival Monday and Tuesday and Corpus Christi are bank holidays although
// not civil ones; Consciência Negra is national since Lei 14.759/2023. Ash Wednesday (banks
// open at noon) and December 31 (branches closed to the public) are not in the list: they
// count as business days here.
func BrazilHolidays() []Holiday {
	return []Holiday{
		{NewDate(2026, time.January, 1), "Confraternização Universal"},
		{NewDate(2026, time.February, 16), "Carnaval (segunda-feira)"},
		{NewDate(2026, time.February, 17), "Carnaval (terça-feira)"},
		{NewDate(2026, time.April, 3), "Sexta-feira Santa"},
		{NewDate(2026, time.April, 21), "Tiradentes"},
		{NewDate(2026, time.May, 1), "Dia do Trabalho"},
		{NewDate(2026, time.June, 4), "Corpus Christi"},
		{NewDate(2026, time.September, 7), "Independência do Brasil"},
		{NewDate(2026, time.October, 12), "Nossa Senhora Aparecida"},
		{NewDate(2026, time.November, 2), "Finados"},
		{NewDate(2026, time.November, 15), "Proclamação da República"},
		{NewDate(2026, time.November, 20), "Dia Nacional de Zumbi e da Consciência Negra"},
		{NewDate(2026, time.December, 25), "Natal"},
		{NewDate(2027, time.January, 1), "Confraternização Universal"},
		{NewDate(2027, time.February, 8), "Carnaval (segunda-feira)"},
		{NewDate(2027, time.February, 9), "Carnaval (terça-feira)"},
		{NewDate(2027, time.March, 26), "Sexta-feira Santa"},
		{NewDate(2027, time.April, 21), "Tiradentes"},
		{NewDate(2027, time.May, 1), "Dia do Trabalho"},
		{NewDate(2027, time.May, 27), "Corpus Christi"},
		{NewDate(2027, time.September, 7), "Independência do Brasil"},
		{NewDate(2027, time.October, 12), "Nossa Senhora Aparecida"},
		{NewDate(2027, time.November, 2), "Finados"},
		{NewDate(2027, time.November, 15), "Proclamação da República"},
		{NewDate(2027, time.November, 20), "Dia Nacional de Zumbi e da Consciência Negra"},
		{NewDate(2027, time.December, 25), "Natal"},
	}
}

// DefaultHolidays returns the dates of BrazilHolidays, the Config default.
func DefaultHolidays() []Date {
	hs := BrazilHolidays()
	out := make([]Date, len(hs))
	for i, h := range hs {
		out[i] = h.Date
	}
	return out
}
