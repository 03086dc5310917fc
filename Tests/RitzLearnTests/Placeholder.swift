// Tests for RitzLearn arrive with the module's sources.
