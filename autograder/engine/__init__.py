"""The grading engine: sandbox, worker client, pytest plug-in, results. It knows
nothing about music; each hands-on plugs in from ``autograder/handsons/``."""
