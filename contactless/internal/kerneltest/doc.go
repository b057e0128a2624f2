// Package kerneltest holds the test helpers that the tests of the quick
// contactless kernels (Kernel 3, Book C-3; Kernel 7, Book C-7) share: hex
// and BCD writing, the Entry Point's terminal data of a tap, reading a Data
// Record object, the commands and UI requests a run gave, and the reading
// of recorded sessions with their kernel header. It is internal to
// contactless and used by tests only.
package kerneltest
