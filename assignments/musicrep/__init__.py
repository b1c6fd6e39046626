"""Provided helper code for the hands-ons (not graded).

- ``musicrep.hub``: find pretrained weights in the Hugging Face cache, offline.
- ``musicrep.audio``: render MIDI to audio with FluidSynth.
"""
