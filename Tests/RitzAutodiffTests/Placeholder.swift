// Tests for RitzAutodiff arrive with the module's sources.
