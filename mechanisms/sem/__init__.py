"""(placeholder: filled by the sem issue)"""
