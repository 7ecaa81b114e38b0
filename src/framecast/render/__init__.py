"""The renderer: a still image and a camera path in, a smooth H.264 clip out."""
