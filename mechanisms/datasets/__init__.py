"""Loaders for real preference data."""
from .preflib import SocData, course_market, read_soc, resample

__all__ = ["SocData", "course_market", "read_soc", "resample"]
