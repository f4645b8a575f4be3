package testdata

// This block sits in a testdata directory and must never be read as prose at all.
