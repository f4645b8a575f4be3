package stacks

// loadPlatform reads the keys of the phases that run on the cluster (2, 3, 4, 8, 10).
func (c *Config) loadPlatform(r *reader) {}
