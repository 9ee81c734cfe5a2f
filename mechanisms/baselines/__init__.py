"""Baseline mechanisms: serial dictatorship and random serial dictatorship."""
from .serial_dictatorship import RandomSerialDictatorship, SerialDictatorship, pick_bundle, pick_object

__all__ = ["SerialDictatorship", "RandomSerialDictatorship", "pick_bundle", "pick_object"]
