package x

// This block sits in a vendor directory and must never be read as prose at all.
