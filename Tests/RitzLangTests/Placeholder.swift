// Tests for RitzLang arrive with the module's sources.
