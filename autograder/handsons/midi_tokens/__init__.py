"""Hands-on 2: MIDI as tokens (anticipatory-music-transformer style), with mido."""
NUMBER = 2
TITLE = "MIDI as tokens"
# Grader-side modules besides grading.py: shipped with the public graders.
GRADER_MODULES = ("strategies",)
