"""Stage 03, segmentation: preprocessing, the analyst's rules and bins, the RFM map,
k-means and k-prototypes with the choice of k, stability and minimum size."""
