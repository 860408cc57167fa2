"""Spiders of the dgsn-corpus crawler (the generic `news` spider arrives with the crawler issue)."""
