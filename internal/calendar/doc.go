// Package calendar holds the Gregorian calendar rules the kernels read
// card dates by: the days of a month. The contact kernel (package emv)
// checks the application's effective and expiration dates with it (Book 3
// §10.4.3) and package oda an ECC certificate's expiration date (Book 2
// Tables 35 and 36); it sits below both so that the rule is written once.
package calendar
