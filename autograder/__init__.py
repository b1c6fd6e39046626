"""The grading engine, the graders of each hands-on and the command line."""
