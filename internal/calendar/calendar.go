package calendar

// DaysIn returns the number of days of month (1-12) of year, Gregorian:
// February has 29 in a year divisible by 4, except a century not
// divisible by 400.
func DaysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
