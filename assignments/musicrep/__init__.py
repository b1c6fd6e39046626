"""Provided helper code for the hands-ons (not graded).

- ``musicrep.encodec``: load Encodec models and feature extractors (Hands-on 1).
- ``musicrep.tiny_encodec``: the tiny Encodec checkpoints tests and grading use.
- ``musicrep.hifigan``: the HiFi-GAN generator, V1/V2/V3, original checkpoints (Hands-on 3).
- ``musicrep.hub``: find pretrained weights in the Hugging Face cache, offline.
- ``musicrep.audio``: render MIDI to audio with FluidSynth.
"""
