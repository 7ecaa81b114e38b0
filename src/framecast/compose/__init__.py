"""compose: scenes (images, videos), narration, music and captions → one finished video,
every frame made by our renderer and encoded once."""
