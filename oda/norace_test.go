//go:build !race

package oda

const raceEnabled = false
