"""(placeholder: filled by the ocam issue)"""
