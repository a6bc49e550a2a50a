# Draws latency-mixed.svg from latency-mixed.dat: gnuplot latency-mixed.gp
set terminal svg size 1560,480 dynamic noenhanced font 'sans,11' background rgb 'white'
set output 'latency-mixed.svg'
set title 'Mean latency per call, mixed workload'
set ylabel 'mean latency (ms, log scale)'
set datafile missing '?'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9 relative
set grid ytics
set key above
set xtics nomirror rotate by -30 left
set logscale y
plot 'latency-mixed.dat' using 2:xtic(1) title 's1:1+1', '' using 3 title 's2:10+10', '' using 4 title 's3:100+100'
