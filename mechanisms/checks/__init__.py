"""Property checkers shared by the mechanisms' tests and the auditor."""
