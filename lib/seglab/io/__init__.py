"""Data in and files out: readers for every source format, pseudonymisation of personal
data, and the atomic, injection-safe writers every stage uses."""
