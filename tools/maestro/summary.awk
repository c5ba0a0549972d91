# summary.awk - per network x dataflow summary of docs/maestro/comparison.csv as a Markdown table.
# usage: awk -f tools/maestro/summary.awk docs/maestro/comparison.csv
# Ratios are ours/MAESTRO; statistics skip NA and non-positive values; util diff = ours - MAESTRO
# (percentage points of the 256-PE array). Columns are found by header name.
BEGIN{FS=","}
NR==1{for(i=1;i<=NF;i++)c[$i]=i; next}
{k=$(c["network"])" "$(c["dataflow"]); n[k]++; keys[k]=1
 if($(c["maestro_cycles"])=="NA")nf[k]++
 split("cycles_ratio cycles_ratio_hop1 traffic_ratio w_ratio in_ratio out_ratio cycles_ratio_noc",M," ")
 for(j in M){m=M[j]; v=$(c[m]); if(v=="NA"||v<=0)continue; L[k,m]+=log(v); N[k,m]++; if(!((k,m) in mn)||v<mn[k,m])mn[k,m]=v; if(!((k,m) in mx)||v>mx[k,m])mx[k,m]=v; vals[k,m,N[k,m]]=v}
 d=$(c["util_diff"]); if(d=="NA")next; ud[k]+=d; nu[k]++; if(d<0)d=-d; if(d>umax[k])umax[k]=d}
function med(k,m,  i,j,t,a,nn){nn=N[k,m]; if(nn==0)return 0; for(i=1;i<=nn;i++)a[i]=vals[k,m,i]; for(i=2;i<=nn;i++){t=a[i];for(j=i-1;j>=1&&a[j]>t;j--)a[j+1]=a[j];a[j+1]=t} return nn%2?a[(nn+1)/2]:(a[nn/2]+a[nn/2+1])/2}
function gm(k,m){return N[k,m]?exp(L[k,m]/N[k,m]):0}
END{
 printf "| network | dataflow | rows (MAESTRO failed) | cycles ours/MAESTRO: median [min, max] | same vs MAESTRO hop latency 1: median [min, max] | util diff (pp): mean / max abs | L2 reads (w+in) ours/MAESTRO: median [min, max] | weights: median [min, max] | inputs: median [min, max] | outputs: median [min, max] | with NoC bw: median [min, max] |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
 nk=0; for(k in keys) K[++nk]=k; for(i=2;i<=nk;i++){t=K[i]; for(j=i-1;j>=1&&K[j]<t;j--)K[j+1]=K[j]; K[j+1]=t}
 for(q=1;q<=nk;q++){k=K[q]; split(k,p," ")
  printf "| %s | %s | %d (%d) | %.3f [%.3f, %.3f] | %.3f [%.3f, %.3f] | %+.2f / %.2f | %.2f [%.2f, %.2f] | %.3g [%.3g, %.3g] | %.3g [%.3g, %.3g] | %.3g [%.3g, %.3g] | %.3f [%.3f, %.3f] |\n", p[1],p[2],n[k],nf[k],
   med(k,"cycles_ratio"),mn[k,"cycles_ratio"],mx[k,"cycles_ratio"],
   med(k,"cycles_ratio_hop1"),mn[k,"cycles_ratio_hop1"],mx[k,"cycles_ratio_hop1"],
   nu[k]?100*ud[k]/nu[k]:0,100*umax[k],
   med(k,"traffic_ratio"),mn[k,"traffic_ratio"],mx[k,"traffic_ratio"],
   med(k,"w_ratio"),mn[k,"w_ratio"],mx[k,"w_ratio"],
   med(k,"in_ratio"),mn[k,"in_ratio"],mx[k,"in_ratio"],
   med(k,"out_ratio"),mn[k,"out_ratio"],mx[k,"out_ratio"],
   med(k,"cycles_ratio_noc"),mn[k,"cycles_ratio_noc"],mx[k,"cycles_ratio_noc"]}
 printf "\nGeometric means (cycles, hop1, L2 reads, w, in, out, NoC):\n"
 for(q=1;q<=nk;q++){k=K[q]; printf "  %s: %.3f %.3f %.3f %.3g %.3g %.3g %.3f\n", k, gm(k,"cycles_ratio"),gm(k,"cycles_ratio_hop1"),gm(k,"traffic_ratio"),gm(k,"w_ratio"),gm(k,"in_ratio"),gm(k,"out_ratio"),gm(k,"cycles_ratio_noc")}
}
