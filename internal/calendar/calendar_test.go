package calendar

import (
	"testing"
	"time"
)

// DaysIn agrees with the time package for every month from 1900 to 2400,
// which holds the leap years of every kind (1900 and 2100 are not, 2000
// and 2400 are).
func TestDaysInMatchesTime(t *testing.T) {
	for year := 1900; year <= 2400; year++ {
		for month := 1; month <= 12; month++ {
			want := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
			if got := DaysIn(year, month); got != want {
				t.Fatalf("DaysIn(%d, %d) = %d, want %d", year, month, got, want)
			}
		}
	}
}
