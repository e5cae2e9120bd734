"""Stage 02, customer features: RFM, lifecycle, lifetime value and churn risk, and the
value × risk grid they place each customer on."""
