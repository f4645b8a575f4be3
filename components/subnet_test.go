package components

import "testing"

func TestSubnetCIDR(t *testing.T) {
	tests := []struct {
		vpc     string
		bits    int
		index   int
		want    string
		wantErr bool
	}{
		{"10.0.0.0/16", 20, 0, "10.0.0.0/20", false},
		{"10.0.0.0/16", 20, 5, "10.0.80.0/20", false},
		{"10.0.0.0/16", 20, 15, "10.0.240.0/20", false},
		{"10.0.0.0/16", 20, 16, "", true}, // past the VPC
		{"10.0.0.0/16", 20, -1, "", true}, // would wrap to the top of the address space
		{"10.0.0.0/16", 16, 0, "", true},  // not smaller than the VPC
		{"fd00::/48", 64, 0, "", true},    // IPv4 only
	}
	for _, tc := range tests {
		got, err := subnetCIDR(tc.vpc, tc.bits, tc.index)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("subnetCIDR(%q, %d, %d) = %q, %v; want %q (error %v)", tc.vpc, tc.bits, tc.index, got, err, tc.want, tc.wantErr)
		}
	}
}
