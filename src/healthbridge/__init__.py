"""HealthBridge: the ASEAN–Republic of Korea health cooperation system."""

__version__ = "0.1.0"
