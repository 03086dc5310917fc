// Tests for RitzPlot arrive with the module's sources.
