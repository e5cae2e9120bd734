"""Stage 01, cleaning: standardise values, repair or quarantine what is wrong, merge
duplicates, and account for every input row."""
