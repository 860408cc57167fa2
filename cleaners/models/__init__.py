"""Learned models of the cleaner: each ships here as a small file with the script that trains it
(training reads ../shared/devsets, never committed; inference needs numpy only)."""
