"""Outputs for the classroom: slide decks (PPTX) and 3D models (glTF binary)."""
