"""Local stand-ins for the cloud speech providers, speaking each one's documented wire format.

Tests and benches cannot reach AssemblyAI, DeepL or ElevenLabs, so these
servers play them, as their documentation describes them (each module names
the sections it follows), reached through the official SDKs like the real
services. `python -m standins` runs all three in one process.
"""
