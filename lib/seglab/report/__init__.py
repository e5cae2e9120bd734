"""Stages 04-05, what a client reads: personas, figures, report sections and the pages,
workbook and PDF built from them."""
