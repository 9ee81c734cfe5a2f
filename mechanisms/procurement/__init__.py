"""(placeholder: filled by the procurement issue)"""
