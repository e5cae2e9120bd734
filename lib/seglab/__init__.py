"""seglab: a repeatable customer-segmentation workbench."""

__version__ = "0.1.0"
