# dnnfuser <-> MAESTRO comparison: `os` = YX-partitioned output-stationary (ShiDianNao style).
# Written for dnnfuser; follows the structure of MAESTRO's YX-P example, resized to a ROWS x COLS array.
# Lines starting with '#' are dropped by compare.sh; @NAME@ tokens are filled in per layer.
#
# Array: ROWS x COLS PEs. MAESTRO sees ROWS top-level clusters of COLS PEs.
#   level 0 (ROWS clusters = array rows): one output row per cluster (an Sz(R)-row input window,
#           sliding by the stride), so output rows are unrolled ROWS-wide; a tile of COLS output
#           columns (@XT@ = (COLS-1)*stride + S input columns, advancing @XO@ = COLS*stride) is taken
#           per step; K and C are walked one at a time (outermost), R and S whole.
#   level 1 (COLS PEs = array columns): one output column per PE (Sz(S)-wide input window); every
#           PE accumulates its own output over R*S MACs per (K, C) step: outputs never move until done.
# Compute per layer = ceil(P/ROWS) * ceil(Q/COLS) * K * C * R * S steps, as in src/core/cost.c.
TemporalMap(1,1) K;
TemporalMap(1,1) C;
SpatialMap(Sz(R),1) Y;
TemporalMap(@XT@,@XO@) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
Cluster(@COLS@,P);
SpatialMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
