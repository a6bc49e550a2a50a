# Draws compare-latency.svg from compare-latency.dat: gnuplot compare-latency.gp
set terminal svg size 640,480 dynamic noenhanced font 'sans,11' background rgb 'white'
set output 'compare-latency.svg'
set title 'Mean latency of all calls, no failure vs DB primary lost'
set ylabel 'mean latency (ms, log scale)'
set datafile missing '?'
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9 relative
set grid ytics
set key above
set xtics nomirror rotate by -30 left
set logscale y
plot 'compare-latency.dat' using 2:3:4:xtic(1) title 'no failure', '' using 5:6:7 title 'DB primary lost'
