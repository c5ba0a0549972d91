# dnnfuser <-> MAESTRO comparison: `rs` = row-stationary (Eyeriss style), case P <= COLS/2.
# Same PE sets as rs.m, but when an output plane has few rows the array columns hold
# @KR@ = floor(COLS/P) replicas of the P-column block, each working on a different output channel
# (Eyeriss "replication"; src/core/cost.c: crep = floor(cols/P)).
# PE count handed to MAESTRO: @KR@ * P * @CR@ * R.
#   level 0 (@KR@ clusters): one output channel K each (SpatialMap K), C @CR@ at a time; Y is left
#           out so MAESTRO hands all P output rows down at once; X' swept.
#   level 1 (@P@ clusters = array columns of one replica): one output row Y' each, X' swept.
#   level 2 (@CR@ PE sets per column): one input channel each, psums reduced down the column.
#   level 3 (R PEs per set): filter row r x input row y+r, S-tap 1-D convolution.
# Compute per layer = ceil(K/@KR@) * ceil(C/@CR@) * Q * S steps, as in src/core/cost.c.
SpatialMap(1,1) K;
TemporalMap(@CR@,@CR@) C;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
TemporalMap(1,1) X';
Cluster(@P@,P);
SpatialMap(1,1) Y';
TemporalMap(1,1) X';
Cluster(@CR@,P);
SpatialMap(1,1) C;
Cluster(Sz(R),P);
SpatialMap(1,1) Y;
SpatialMap(1,1) R;
TemporalMap(Sz(S),Sz(S)) S;
