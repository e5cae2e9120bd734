"""From segments to campaigns and back: portable segment rules, audiences with control groups,
campaign responses read with full row accounting, and the uplift each segment's action earned."""
