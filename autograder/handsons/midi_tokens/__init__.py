"""Hands-on 2: MIDI as tokens (anticipatory-music-transformer style), with mido."""
NUMBER = 2
TITLE = "MIDI as tokens"
# The grader, split by job (grading.py says which holds what): shipped with the public graders.
GRADER_MODULES = ("token_checks", "midi_checks", "runs")
