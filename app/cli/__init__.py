"""The command line: a second, thin front end on the same core as the window."""
