"""One folder per hands-on: the plug-ins of the grading engine."""
