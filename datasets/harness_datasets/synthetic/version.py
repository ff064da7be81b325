"""Version of the generator's model: bump it whenever the same seed would give different signals."""

GENERATOR_VERSION = "1.0"
