"""Hands-on 1: Encodec and residual vector quantization (transformers' EncodecModel, RVQ by hand)."""
NUMBER = 1
TITLE = "Encodec and residual vector quantization"
