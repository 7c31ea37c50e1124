"""makerlink: the bot application (data, services, channels, CLI)."""

__version__ = "0.1.0"
