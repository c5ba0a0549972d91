# dnnfuser <-> MAESTRO comparison: `rs` = row-stationary (Eyeriss style), case P > COLS/2.
# Written for dnnfuser; uses MAESTRO's row-stationary building block (a cluster of Sz(R) PEs, one
# filter row and one input row each, diagonal input reuse) placed on a ROWS x COLS array the way
# src/core/cost.c places it. (MAESTRO's own RS example instead lines up floor(PEs/R) such clusters
# on one flat axis, one output row each, with 16 filters per step: no 2-D array geometry.)
# Lines starting with '#' are dropped by compare.sh; @NAME@ tokens are filled in per layer.
#
# MAESTRO's Cluster(n) counts units of the level below, so the PE count handed to MAESTRO is
# COLS * @CR@ * R (the PEs our model keeps busy; the ROWS - @CR@*R leftover PEs of each column are
# idle in both models and utilisation is always reported over ROWS*COLS).
#   level 0 (COLS clusters = array columns): one output row Y' per column, folded ceil(P/COLS)
#           times; output columns X' swept one at a time; K one at a time; C @CR@ at a time.
#   level 1 (@CR@ = floor(ROWS/R) PE sets per column): one input channel per set; the psums of the
#           sets are reduced spatially down the column.
#   level 2 (R PEs per set): PE r holds filter row r and input row y+r (SpatialMap on Y and R),
#           and runs the S-tap 1-D convolution: S MACs per output pixel.
# Compute per layer = K * ceil(C/@CR@) * ceil(P/COLS) * Q * S steps, as in src/core/cost.c.
TemporalMap(1,1) K;
TemporalMap(@CR@,@CR@) C;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
SpatialMap(1,1) Y';
TemporalMap(1,1) X';
Cluster(@CR@,P);
SpatialMap(1,1) C;
Cluster(Sz(R),P);
SpatialMap(1,1) Y;
SpatialMap(1,1) R;
TemporalMap(Sz(S),Sz(S)) S;
