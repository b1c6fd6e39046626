"""Hands-on 3: HiFi-GAN's log-mel spectrogram, and vocoding it with a HiFi-GAN generator."""
NUMBER = 3
TITLE = "HiFi-GAN: the log-mel spectrogram and vocoding"
# The grader, split by job (grading.py says which holds what): shipped with the public graders.
GRADER_MODULES = ("checks", "runs")
