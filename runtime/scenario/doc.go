// Package scenario loads and validates Terrarium scenario files: Load
// reads a file into a validated Scenario with every default applied,
// Parse does the same for bytes in memory. Every problem is an *Error
// naming the file, line, column and field path; all of one parse come
// back at once as an Errors sorted by position. The file format, with
// its defaults, is in docs/SCENARIO.md.
package scenario
