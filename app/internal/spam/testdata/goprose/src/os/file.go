package os

// Open opens the named file for reading; the returned file can be used to read
// from it, and the caller must close it when done.
func Open() {}

// Close closes the file, rendering it unusable for further reads or writes here.
