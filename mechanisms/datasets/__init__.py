"""Loaders for real preference data."""
from .csv_rankings import read_csv_rankings
from .ordinal import RankingData, read_ordinal
from .preflib import SocData, course_market, read_soc, resample

__all__ = ["RankingData", "SocData", "course_market", "read_csv_rankings", "read_ordinal", "read_soc", "resample"]
