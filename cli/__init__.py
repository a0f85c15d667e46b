"""The `evidence` command line: click wiring over the evidence library."""
