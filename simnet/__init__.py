"""simnet: testbots' reference network (Alpha and Delta) in one process on loopback."""
