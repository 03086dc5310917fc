// Tests for RitzTUI arrive with the module's sources.
