# dnnfuser <-> MAESTRO comparison: `ws` = KC-partitioned weight-stationary (NVDLA style).
# Written for dnnfuser; follows the structure of MAESTRO's KC-P example, resized to a ROWS x COLS array.
# Lines starting with '#' are dropped by compare.sh; @NAME@ tokens are filled in per layer.
#
# Array: ROWS x COLS PEs (16 x 16 = 256). MAESTRO sees COLS top-level clusters of ROWS PEs.
#   level 0 (COLS clusters = array columns): one output channel K per cluster, so K is unrolled
#           COLS-wide and folded ceil(K/COLS) times; input channels arrive ROWS at a time
#           (C folded ceil(C/ROWS) times, outside the output sweep, so psums go back to the
#           buffer between C folds); the whole R x S window stays in the PEs; the output plane is
#           swept one output pixel per step (Y, X windows slide by the layer stride).
#   level 1 (ROWS PEs = array rows): one input channel per PE; every PE does R*S MACs per output
#           pixel and the ROWS partial sums of a column are reduced spatially.
# Compute per layer = ceil(K/COLS) * ceil(C/ROWS) * P * Q * R * S steps, as in src/core/cost.c.
SpatialMap(1,1) K;
TemporalMap(@ROWS@,@ROWS@) C;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(@ROWS@,P);
SpatialMap(1,1) C;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
