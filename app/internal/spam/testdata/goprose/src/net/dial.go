// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license.

package net

// Dial connects to the address on the named network and returns the connection
// it made, or an error when no address answered in time.
func Dial() {}

// Too short to learn from.
func short() {}

//go:noinline
func directive() {}
