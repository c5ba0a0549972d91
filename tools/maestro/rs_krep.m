# dnnfuser <-> MAESTRO comparison: `rs` = row-stationary (Eyeriss style), case P <= COLS/2.
# Same PE sets as rs.m, but when an output plane has few rows the array columns hold
# @KR@ = floor(COLS/P) replicas of the P-column block, each working on a different output channel
# (Eyeriss "replication"; src/core/cost.c: crep = floor(cols/P)).
# PE count handed to MAESTRO: @KR@ * P * @CR@ * R.
#   level 0 (@KR@ clusters): one output channel K each (SpatialMap K), C @CR@ at a time; Y is not
#           mapped, so MAESTRO hands the whole (P-1)*stride+R input rows down at once; X swept
#           one output column (an Sz(S) window sliding by 1 input column) per step.
#   level 1 (@P@ clusters = array columns of one replica): one output row each (SpatialMap(Sz(R),1)
#           Y: an R-row input window per cluster), X swept as above.
#   level 2 (@CR@ PE sets per column): one input channel each, psums reduced down the column.
#   level 3 (R PEs per set): filter row r x input row y+r, S-tap 1-D convolution.
# Compute per layer = ceil(K/@KR@) * ceil(C/@CR@) * Q * S steps, as in src/core/cost.c.
# Written with Y/X (input coordinates) rather than Y'/X': at MAESTRO 4eb08d1 (which skips iteration
# cases with no partial sums) the Y'/X' form of this file dies with SIGFPE; this form gives the same
# figures as the Y'/X' form did at the older commit adb638b.
SpatialMap(1,1) K;
TemporalMap(@CR@,@CR@) C;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
TemporalMap(Sz(S),1) X;
Cluster(@P@,P);
SpatialMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(@CR@,P);
SpatialMap(1,1) C;
Cluster(Sz(R),P);
SpatialMap(1,1) Y;
SpatialMap(1,1) R;
TemporalMap(Sz(S),Sz(S)) S;
