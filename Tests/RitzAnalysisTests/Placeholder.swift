// Tests for RitzAnalysis arrive with the module's sources.
