# summary.awk - per network x dataflow summary of docs/maestro/comparison.csv as a Markdown table.
# usage: awk -f tools/maestro/summary.awk docs/maestro/comparison.csv
# Ratios are ours/MAESTRO; geomeans skip NA and non-positive values; util diff = ours - MAESTRO.
BEGIN{FS=","}
NR==1{for(i=1;i<=NF;i++)c[$i]=i; next}
{k=$1" "$5; n[k]++; keys[k]=1
 split("cycles_ratio cycles_ratio_hop1 traffic_ratio w_ratio in_ratio out_ratio cycles_ratio_noc",M," ")
 for(j in M){m=M[j]; v=$(c[m]); if(v=="NA"||v<=0)continue; L[k,m]+=log(v); N[k,m]++; if(!((k,m) in mn)||v<mn[k,m])mn[k,m]=v; if(!((k,m) in mx)||v>mx[k,m])mx[k,m]=v; vals[k,m,N[k,m]]=v}
 d=$(c["util_diff"]); if(d<0)d=-d; ud[k]+=d; if(d>umax[k])umax[k]=d}
function med(k,m,  i,j,t,a,nn){nn=N[k,m]; for(i=1;i<=nn;i++)a[i]=vals[k,m,i]; for(i=2;i<=nn;i++){t=a[i];for(j=i-1;j>=1&&a[j]>t;j--)a[j+1]=a[j];a[j+1]=t} return nn%2?a[(nn+1)/2]:(a[nn/2]+a[nn/2+1])/2}
END{
 printf "| network | dataflow | layers | cycles ours/MAESTRO: geomean, median [min, max] | same, MAESTRO hop latency 1: geomean [min, max] | util |diff| mean / max | buffer reads (w+in) ours/MAESTRO: geomean [min, max] | weights | inputs | outputs | with NoC bw: geomean [min, max] |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
 nk=0; for(k in keys) K[++nk]=k; for(i=2;i<=nk;i++){t=K[i]; for(j=i-1;j>=1&&K[j]<t;j--)K[j+1]=K[j]; K[j+1]=t}
 for(q=1;q<=nk;q++){k=K[q]; split(k,p," ")
  printf "| %s | %s | %d | %.3f, %.3f [%.3f, %.3f] | %.3f [%.3f, %.3f] | %.4f / %.4f | %.2f [%.2f, %.2f] | %.3g | %.3g | %.3g | %.3f [%.3f, %.3f] |\n", p[1],p[2],n[k],
   exp(L[k,"cycles_ratio"]/N[k,"cycles_ratio"]),med(k,"cycles_ratio"),mn[k,"cycles_ratio"],mx[k,"cycles_ratio"],
   exp(L[k,"cycles_ratio_hop1"]/N[k,"cycles_ratio_hop1"]),mn[k,"cycles_ratio_hop1"],mx[k,"cycles_ratio_hop1"],
   ud[k]/n[k],umax[k],
   exp(L[k,"traffic_ratio"]/N[k,"traffic_ratio"]),mn[k,"traffic_ratio"],mx[k,"traffic_ratio"],
   exp(L[k,"w_ratio"]/N[k,"w_ratio"]),exp(L[k,"in_ratio"]/N[k,"in_ratio"]),exp(L[k,"out_ratio"]/N[k,"out_ratio"]),
   exp(L[k,"cycles_ratio_noc"]/N[k,"cycles_ratio_noc"]),mn[k,"cycles_ratio_noc"],mx[k,"cycles_ratio_noc"]}
}
