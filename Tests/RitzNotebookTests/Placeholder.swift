// Tests for RitzNotebook arrive with the module's sources.
