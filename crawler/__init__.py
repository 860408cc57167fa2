"""Crawler: a Scrapy project that discovers and fetches articles and keeps every response as WARC.
It never cleans; `cleaners` reads what it writes."""
