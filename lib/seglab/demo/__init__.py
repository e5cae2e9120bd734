"""Generated data with planted truth: the demo data set and the case-study scenarios."""
